/**
 * Single Path One-Shot (`--algo spos`; Guo et al., ECCV 2020): the supernet is trained
 * one uniformly drawn path a step (no architecture parameters), then SPOS's
 * evolutionary search (population, top-k, mutation, crossover; src/search/
 * path_evolution.ts) looks for the best path under the cap, scoring each candidate on
 * held-out data after recalibrating its BN statistics on training batches.
 */
import type { SearchContext, SearchDriver } from "./driver.ts";
import { evolvePaths } from "./path_evolution.ts";
import { singlePathSearch } from "./single_path.ts";

export function sposSearch(ctx: SearchContext): SearchDriver {
  const { cfg } = ctx;
  return singlePathSearch(ctx, (problem, hooks) =>
    evolvePaths(problem, {
      populationSize: cfg.population,
      topK: cfg.topK,
      generations: cfg.generations,
      mutations: cfg.mutations,
      mutationProb: cfg.mutationProb,
      crossovers: cfg.crossovers,
      seed: cfg.seed,
    }, hooks));
}
