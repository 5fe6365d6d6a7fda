/**
 * One regeneration (paper Figure 2), every `f` weight steps, layer by layer:
 *
 *   1. Eq. 5 folds the supernet's α* of the sampled cells into their fitness — the α
 *      that Eq. 4 trained, or what their paths' held-out losses credit them with
 *      (`--fitness`, fitness_mode.ts) — and records the iterations n′ they were trained
 *      (skipped on the first one);
 *   2. tournament selection picks K cells (the new sampled paths);
 *   3. the winners' mutated children join the population, under τ of the reference
 *      DAG during the first half of the evolution (Eq. 2);
 *   4. the mixed layer is rebuilt from the weight bank (weights inherited, §3.3), with
 *      α starting from the winners' fitness and a fresh Adam.
 */
import { ArchAdam } from "../supernet/arch_optimizer.ts";
import { useReferenceAt } from "./config.ts";
import { updateFitness } from "./fitness.ts";
import { alphaStarOf } from "./fitness_mode.ts";
import type { FoldRecord, LayerRegenerationRecord } from "./history.ts";
import {
  blockEvidence,
  type ComparisonEvidence,
  comparisonEvidence,
} from "../supernet/comparison_evidence.ts";
import {
  creditCells,
  creditPairedCells,
  pairedLossTables,
  type PathMeasurement,
} from "./path_credit.ts";
import { stepPopulation } from "./population_step.ts";
import { type EvolutionRun, mixedLayerOf } from "./run_state.ts";

/** What a regeneration did: per layer, and whether τ's reference constraint applied. */
export interface Regeneration {
  stats: LayerRegenerationRecord[];
  useRef: boolean;
}

/**
 * Each layer's α* of its sampled cells (path order) for Eq. 5, by `--fitness`, and what
 * the fold records; `measured`: the paths the fitness steps measured since the last
 * regeneration (none under `--fitness alpha`).
 */
export function trainedScores(
  run: EvolutionRun,
  measured: readonly PathMeasurement[],
): { alphaStar: number[]; folded: FoldRecord[] }[] {
  const credit = run.cfg.fitness === "paired" ? creditPairedCells : creditCells;
  const credits = credit(measured, run.layers.map((s) => s.sampled.length), run.cfg.archLr);
  return run.layers.map((s, l) => {
    const start = s.sampled.map((id) => s.population.require(id).fitness);
    const cellCredits = credits[l];
    const alphaStar = alphaStarOf(
      run.cfg.fitness,
      start,
      s.alpha,
      cellCredits.map((c) => c.step),
    );
    const folded = s.sampled.map((id, k): FoldRecord => {
      const { paths, loss, top1 } = cellCredits[k];
      return { id, delta: alphaStar[k] - start[k], ...(paths > 0 ? { paths, loss, top1 } : {}) };
    });
    return { alphaStar, folded };
  });
}

/**
 * Each layer's fitness evidence over the interval that ends now (src/supernet/comparison_evidence.ts):
 * the gate steps' comparisons (`alpha`, `mixed`) or the paired steps' (`paired`); none
 * for `accuracy`, whose single paths compare no two cells on one batch.
 */
function intervalEvidence(
  run: EvolutionRun,
  measured: readonly PathMeasurement[],
): (ComparisonEvidence | null)[] {
  if (run.cfg.fitness === "accuracy") return run.layers.map(() => null);
  if (run.cfg.fitness === "paired") {
    return pairedLossTables(measured, run.layers.map((s) => s.sampled.length))
      .map((table) => blockEvidence(table));
  }
  return run.layers.map((s) => comparisonEvidence(s.comparisons, s.comparedSteps));
}

/**
 * Regenerates every layer and counts the regeneration; `first`: no supernet to fold yet.
 * `measured`: the paths measured since the last regeneration (`--fitness accuracy|mixed|
 * paired`).
 */
export function regenerate(
  run: EvolutionRun,
  first: boolean,
  measured: readonly PathMeasurement[] = [],
): Regeneration {
  const { cfg, rng, bank, reference, schedule } = run;
  const useRef = reference !== undefined &&
    useReferenceAt(
      cfg,
      Math.max(0, run.position.step - schedule.warmupSteps),
      schedule.evolutionSteps,
    );
  const stats: LayerRegenerationRecord[] = [];
  const folds = first ? null : trainedScores(run, measured);
  const evidence = first ? null : intervalEvidence(run, measured);
  run.layers.forEach((s, li) => {
    const pop = s.population;
    const fold = folds?.[li];
    const { winners, children, evicted } = stepPopulation(
      pop,
      cfg,
      rng,
      fold ? { sampled: s.sampled, alphaStar: fold.alphaStar } : null,
      { useReference: useRef, reference },
    );
    bank.retain(s.layer, new Set(pop.entries().map((e) => e.id)));
    const blocks = winners.map((id) => {
      const e = pop.require(id);
      return bank.blockFor(s.layer, s.shape, id, e.cell);
    });
    const mixed = mixedLayerOf(run, s);
    mixed.setCandidates(blocks);
    mixed.train(true);
    s.sampled = winners;
    s.alpha = winners.map((id) => pop.require(id).fitness);
    s.adam = new ArchAdam(winners.length, run.archOptions);
    s.comparisons = [];
    s.comparedSteps = 0;
    const layerEvidence = evidence?.[li];
    stats.push({
      layer: s.layer,
      sampled: winners.map((id, i) => ({ id, alpha: s.alpha[i] })),
      population: pop.size,
      children: children.length,
      evicted: evicted.length,
      ...(fold ? { folded: fold.folded } : {}),
      members: pop.entries().map((e) => [e.id, e.fitness, e.trainedIterations, e.timesSampled]),
      ...(layerEvidence ? { evidence: layerEvidence } : {}),
    });
  });
  // The new candidates start a new balanced order of measured paths.
  run.creditOrder.flush();
  run.regeneration++;
  return { stats, useRef };
}

/**
 * The last supernet's Eq. 5 fold at the end of the run (no selection follows), with the
 * paths measured since the last regeneration (one host sync).
 */
export async function foldFinalFitness(run: EvolutionRun): Promise<void> {
  const folds = trainedScores(run, await run.credits.settle());
  run.layers.forEach((s, li) => {
    updateFitness(s.population, s.sampled, folds[li].alphaStar, run.cfg.epsilon);
  });
}
