/**
 * What a regeneration does to one layer's population (paper Figure 2), without the
 * supernet: Eq. 5 folds the last supernet's α* into the fitness of the cells it
 * sampled, tournament selection picks the next K, and the winners' mutated children
 * join (under τ of the reference DAG while `useReference` holds, Eq. 2), evicting the
 * worst unsampled cells. `regenerate` wraps it with the supernet's rebuild; the null
 * evolution (null_evolution.ts) runs it alone with α* from shuffled steps.
 */
import type { Backbone } from "../space/backbone.ts";
import type { Cell } from "../space/cell.ts";
import type { Rng } from "../util/rng.ts";
import { type EvolveConfig, maddsCapFor, referenceCellOf } from "./config.ts";
import { updateFitness } from "./fitness.ts";
import { addOffspring, makeOffspring, type Offspring } from "./offspring.ts";
import {
  LayerPopulation,
  type LayerPopulationShape,
  type PopulationEntry,
  searchableLayerShapes,
} from "./population.ts";
import { tournamentSelect } from "./selection.ts";

/** The last supernet's cells of this layer and their trained α* (path order). */
export interface SupernetFold {
  readonly sampled: readonly string[];
  readonly alphaStar: readonly number[];
}

/** What one population step did. */
export interface PopulationStep {
  /** The K winners, in the order they were won (the next supernet's path order). */
  readonly winners: string[];
  readonly children: Offspring[];
  readonly evicted: PopulationEntry[];
}

type StepConfig = Pick<
  EvolveConfig,
  | "epsilon"
  | "regenerateEvery"
  | "k"
  | "tournamentSize"
  | "childrenPerRegeneration"
  | "tau"
  | "childFitness"
  | "initFitness"
  | "edgeOps"
>;

/**
 * One regeneration of `pop`: the fold of `fold` (none on the first regeneration, when
 * no supernet has run), selection, offspring. Draws from `rng` in the evolution's order.
 */
export function stepPopulation(
  pop: LayerPopulation,
  cfg: StepConfig,
  rng: Rng,
  fold: SupernetFold | null,
  offspring: { readonly useReference: boolean; readonly reference: Cell | undefined },
): PopulationStep {
  if (fold !== null) {
    updateFitness(pop, fold.sampled, fold.alphaStar, cfg.epsilon); // Eq. 5
    pop.recordTraining(fold.sampled, cfg.regenerateEvery);
    pop.advanceRegeneration();
  }
  const winners = tournamentSelect(pop.entries(), cfg.k, cfg.tournamentSize, rng);
  pop.markSampled(winners);
  const children = makeOffspring(pop, winners, rng, {
    count: cfg.childrenPerRegeneration,
    useReference: offspring.useReference,
    reference: offspring.reference,
    tau: cfg.tau,
    ops: cfg.edgeOps,
  });
  const { evicted } = addOffspring(pop, children, cfg.childFitness, cfg.initFitness);
  return { winners, children, evicted };
}

/**
 * Every searchable layer's initial population (§3.2.1), drawn from `rng` layer by layer
 * in backbone order: the evolution's first draws after the supernet's weights.
 */
export function initialPopulations(
  cfg: Pick<
    EvolveConfig,
    | "populationSize"
    | "maddsMax"
    | "maxPopulation"
    | "tau"
    | "initFitness"
    | "allowZeroCells"
    | "reference"
    | "edgeOps"
  >,
  backbone: Backbone,
  rng: Rng,
): { layer: number; shape: LayerPopulationShape; population: LayerPopulation }[] {
  const reference = referenceCellOf(cfg);
  return searchableLayerShapes(backbone).map(({ layer, shape }) => ({
    layer,
    shape,
    population: LayerPopulation.initial(rng, cfg.populationSize, layer, shape, {
      maddsCap: maddsCapFor(cfg.maddsMax, shape),
      maxSize: cfg.maxPopulation,
      reference,
      tau: cfg.tau,
      initFitness: cfg.initFitness,
      allowZeroCell: cfg.allowZeroCells,
      ops: cfg.edgeOps,
    }),
  }));
}
