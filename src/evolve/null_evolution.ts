/**
 * The evolution's null model: the same populations, tournaments, mutations, τ phases
 * and Eq. 5 folds as a real run (population_step.ts), but each supernet's change to a
 * sampled cell's α is a step drawn at random from the steps the real run made in that
 * layer. Selection then acts on noise of the real signal's size, so what a null run
 * keeps is what the evolution's mechanics and its starting cloud keep by themselves.
 * Comparing real runs' spaces with each other and with null runs' spaces
 * (`deno task compare-spaces`) says how much of what evolve learns is more than drift.
 *
 * Every `--fitness` mode folds α* = α + δ by Eq. 5 (src/evolve/fitness_mode.ts), so the
 * steps are recovered from any run's history alike; history lines also keep each fold's
 * δ (`folded`), which the recovery matches.
 */
import type { Backbone } from "../space/backbone.ts";
import type { Cell } from "../space/cell.ts";
import { Rng } from "../util/rng.ts";
import { type EvolveConfig, referenceCellOf, useReferenceAt } from "./config.ts";
import { updateFitness } from "./fitness.ts";
import type { RegenerationRecord } from "./history.ts";
import { initialPopulations, stepPopulation } from "./population_step.ts";

/**
 * Per layer, the changes δ = α* − α that the run's supernets made to their sampled
 * cells, recovered from consecutive history lines by inverting Eq. 5
 * (α_new = ε·α* + (1 − ε)·α). A cell evicted before the next line is skipped; so is the
 * warm-up supernet, which learns no α (its δ are all 0).
 */
export function alphaStepsOf(
  history: readonly RegenerationRecord[],
  epsilon: number,
): Map<number, number[]> {
  if (!(epsilon > 0 && epsilon <= 1)) {
    throw new RangeError(`alphaStepsOf: epsilon must be in (0, 1], got ${epsilon}`);
  }
  const steps = new Map<number, number[]>();
  for (let i = 0; i + 1 < history.length; i++) {
    for (const before of history[i].layers) {
      const after = history[i + 1].layers.find((l) => l.layer === before.layer);
      if (after === undefined) {
        throw new RangeError(
          `history line ${i + 2} has no layer ${before.layer}; is it one run's history.jsonl?`,
        );
      }
      const fitness = new Map(after.members.map(([id, alpha]) => [id, alpha]));
      const layerSteps = steps.get(before.layer) ?? [];
      for (const { id, alpha } of before.sampled) {
        const folded = fitness.get(id);
        if (folded === undefined) continue;
        const alphaStar = (folded - (1 - epsilon) * alpha) / epsilon;
        layerSteps.push(alphaStar - alpha);
      }
      steps.set(before.layer, layerSteps);
    }
  }
  return steps;
}

/** What a null run replays. */
export interface NullEvolutionPlan {
  readonly cfg: EvolveConfig;
  readonly backbone: Backbone;
  /** The real run's history.jsonl: its regenerations, τ phases and α steps. */
  readonly history: readonly RegenerationRecord[];
  readonly seed: number;
}

/** A null run's learned space: each layer's top-K cells by their final fitness. */
export interface NullEvolutionResult {
  readonly layers: { layer: number; cells: { cell: Cell; fitness: number }[] }[];
  /** Each layer's whole initial population: what the null run started from. */
  readonly initial: { layer: number; cells: { cell: Cell; fitness: number }[] }[];
  /** Regenerations made, the first one included (as the real run counts them). */
  readonly regenerations: number;
}

/**
 * Replays the real run's schedule — the first regeneration before the warm-up, then
 * one per history line with that line's τ phase, then the final fold — with every
 * supernet's α* = α + δ, δ drawn with replacement from the layer's `alphaStepsOf`.
 */
export function nullEvolution(plan: NullEvolutionPlan): NullEvolutionResult {
  const { cfg, backbone, history } = plan;
  const steps = alphaStepsOf(history, cfg.epsilon);
  const rng = new Rng(plan.seed);
  const reference = referenceCellOf(cfg);
  const layers = initialPopulations(cfg, backbone, rng).map((l) => {
    const pool = steps.get(l.layer) ?? [];
    if (pool.length === 0) {
      throw new Error(
        `the history has no α steps for layer ${l.layer}: a null run needs a run with at ` +
          `least three regenerations`,
      );
    }
    return { ...l, pool, sampled: [] as string[], alpha: [] as number[] };
  });
  const initial = layers.map((l) => l.population.toSearchSpaceLayer(l.population.size));

  const select = (fold: "none" | "unchanged" | "drawn", useReference: boolean) => {
    for (const l of layers) {
      const alphaStar = l.alpha.map((a) => fold === "drawn" ? a + rng.pick(l.pool) : a);
      const { winners } = stepPopulation(
        l.population,
        cfg,
        rng,
        fold === "none" ? null : { sampled: l.sampled, alphaStar },
        { useReference, reference },
      );
      l.sampled = winners;
      l.alpha = winners.map((id) => l.population.require(id).fitness);
    }
  };

  select("none", useReferenceAt(cfg, 0, 1));
  history.forEach((line, i) => {
    // The first line folds the warm-up supernet, which trained no α.
    select(i === 0 && cfg.warmupEpochs > 0 ? "unchanged" : "drawn", line.useReference);
  });
  for (const l of layers) {
    const alphaStar = l.alpha.map((a) => a + rng.pick(l.pool));
    updateFitness(l.population, l.sampled, alphaStar, cfg.epsilon); // the final Eq. 5 fold
  }
  return {
    layers: layers.map((l) => l.population.toSearchSpaceLayer(cfg.k)),
    initial,
    regenerations: history.length + 1,
  };
}
