/**
 * One regeneration (paper Figure 2), every `f` weight steps, layer by layer:
 *
 *   1. Eq. 5 folds the supernet's learned α* of the sampled cells into their fitness,
 *      and records the iterations n′ they were trained (skipped on the first one);
 *   2. tournament selection picks K cells (the new sampled paths);
 *   3. the winners' mutated children join the population, under τ of the reference
 *      DAG during the first half of the evolution (Eq. 2);
 *   4. the mixed layer is rebuilt from the weight bank (weights inherited, §3.3), with
 *      α starting from the winners' fitness and a fresh Adam.
 */
import { ArchAdam } from "../supernet/arch_optimizer.ts";
import { useReferenceAt } from "./config.ts";
import { updateFitness } from "./fitness.ts";
import type { LayerRegenerationRecord } from "./history.ts";
import { stepPopulation } from "./population_step.ts";
import { type EvolutionRun, mixedLayerOf } from "./run_state.ts";

/** What a regeneration did: per layer, and whether τ's reference constraint applied. */
export interface Regeneration {
  stats: LayerRegenerationRecord[];
  useRef: boolean;
}

/** Regenerates every layer and counts the regeneration; `first`: no supernet to fold yet. */
export function regenerate(run: EvolutionRun, first: boolean): Regeneration {
  const { cfg, rng, bank, reference, schedule } = run;
  const useRef = reference !== undefined &&
    useReferenceAt(
      cfg,
      Math.max(0, run.position.step - schedule.warmupSteps),
      schedule.evolutionSteps,
    );
  const stats: LayerRegenerationRecord[] = [];
  for (const s of run.layers) {
    const pop = s.population;
    const { winners, children, evicted } = stepPopulation(
      pop,
      cfg,
      rng,
      first ? null : { sampled: s.sampled, alphaStar: s.alpha },
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
    stats.push({
      layer: s.layer,
      sampled: winners.map((id, i) => ({ id, alpha: s.alpha[i] })),
      population: pop.size,
      children: children.length,
      evicted: evicted.length,
      members: pop.entries().map((e) => [e.id, e.fitness, e.trainedIterations, e.timesSampled]),
    });
  }
  run.regeneration++;
  return { stats, useRef };
}

/** The last supernet's Eq. 5 fold at the end of the run (no selection follows). */
export function foldFinalFitness(run: EvolutionRun): void {
  for (const s of run.layers) updateFitness(s.population, s.sampled, s.alpha, run.cfg.epsilon);
}
