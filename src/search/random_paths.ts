/**
 * Random search's draw over paths (its driver, `--algo random`, is random.ts), as
 * path_evolution.ts is SPOS's search: uniformly random paths (one candidate a layer,
 * each equally likely, or the problem's sampler, e.g. uniform under the cap), those over
 * the cost cap or seen before skipped unscored, until `samples` paths are scored or
 * `randomTries` draws per wanted path run out; the best scored path wins. Scored
 * exactly like SPOS's candidates, with the same state, resume and events
 * (`path_search.ts`).
 */
import { Rng } from "../util/rng.ts";
import {
  checkProblem,
  checkSetting,
  type PathSearchHooks,
  type PathSearchProblem,
  type PathSearchResult,
  randomPathSampler,
  rankByScore,
  ScoreLedger,
} from "./path_search.ts";

/** Settings of `randomSearch`. */
export interface RandomSearchSettings {
  /** Paths to score. */
  samples: number;
  /** Random draws allowed per path still wanted. */
  randomTries: number;
  seed: number;
}

/** Defaults: as many scores as the default SPOS evolution's 96, rounded. */
export const DEFAULT_RANDOM_SETTINGS: RandomSearchSettings = {
  samples: 100,
  randomTries: 100,
  seed: 0,
};

/** Random search; see the module comment. */
export async function randomSearch(
  problem: PathSearchProblem,
  settings: Partial<RandomSearchSettings> = {},
  hooks: PathSearchHooks = {},
): Promise<PathSearchResult> {
  const s = { ...DEFAULT_RANDOM_SETTINGS, ...settings };
  checkSetting("samples", s.samples, { integer: true, min: 1 });
  checkSetting("randomTries", s.randomTries, { integer: true, min: 1 });
  checkSetting("seed", s.seed, { integer: true, min: 0 });
  checkProblem(problem);
  const ledger = new ScoreLedger(problem, "random", { ...s }, s.samples, hooks);
  const rng = new Rng(s.seed);
  const draws = s.samples * s.randomTries;
  const scored = await ledger.collect(randomPathSampler(problem, rng), s.samples, draws);
  ledger.requireSome(draws);
  await ledger.finishGeneration(scored, ledger.replaying);
  const ranked = rankByScore(scored);
  return {
    best: ranked[0],
    ranked,
    generations: [ranked],
    evaluated: ranked.length,
    state: ledger.state(),
  };
}
