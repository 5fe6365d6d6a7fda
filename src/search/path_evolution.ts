/**
 * Single Path One-Shot's evolutionary search over paths (Guo et al., ECCV 2020; their
 * src/Search/search.py), run on a trained single-path supernet:
 *
 * 1. Fill the population with random paths under the cost cap (uniform, or the
 *    problem's own sampler).
 * 2. For each generation: keep the top-k paths scored so far; make `mutations`
 *    children (a random top-k parent, each layer redrawn uniformly with probability
 *    `mutationProb`) and `crossovers` children (two random top-k parents, each layer
 *    from either, uniformly), trying at most 10× as many as wanted; fill the rest of
 *    the population with random paths.
 *
 * A candidate over the cap, or one scored before, is dropped without being scored
 * (SPOS's `is_legal`), so no path is scored twice and none over the cap is ever scored
 * or returned. Random fills try at most `randomTries` draws per wanted path, so a cap
 * that few paths fit, or a space smaller than the population, ends a fill early instead
 * of looping. Unlike SPOS's script, the last generation's children enter the top-k.
 *
 * Settings: SPOS's are population 50, top-k 10, 20 generations, 25 mutations with
 * probability 0.1 and 25 crossovers (`SPOS_SETTINGS`); each score here costs a BN
 * recalibration and a held-out evaluation on the CPU, so the defaults keep SPOS's
 * proportions at a third of the population and a quarter of the generations
 * (`DEFAULT_EVOLUTION_SETTINGS`, at most 16 × 6 = 96 scores).
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
  type ScoredPath,
  ScoreLedger,
} from "./path_search.ts";

/** Settings of `evolvePaths`. */
export interface EvolutionSettings {
  populationSize: number;
  topK: number;
  /** Rounds of mutation and crossover after the initial population. */
  generations: number;
  mutations: number;
  /** Probability that a mutation redraws a layer. */
  mutationProb: number;
  crossovers: number;
  /** Random draws allowed per path a random fill still wants. */
  randomTries: number;
  seed: number;
}

/** The settings of SPOS's search script. */
export const SPOS_SETTINGS: Omit<EvolutionSettings, "seed" | "randomTries"> = {
  populationSize: 50,
  topK: 10,
  generations: 20,
  mutations: 25,
  mutationProb: 0.1,
  crossovers: 25,
};

/** Defaults sized for this CPU (see the module comment). */
export const DEFAULT_EVOLUTION_SETTINGS: EvolutionSettings = {
  populationSize: 16,
  topK: 4,
  generations: 5,
  mutations: 8,
  mutationProb: 0.1,
  crossovers: 8,
  randomTries: 100,
  seed: 0,
};

/** SPOS's limit on attempts to make the wanted number of mutations or crossovers. */
const CHILD_TRIES_PER_WANTED = 10;

/** Checks the settings; throws a RangeError naming the bad one. */
export function validateEvolutionSettings(s: EvolutionSettings): EvolutionSettings {
  checkSetting("populationSize", s.populationSize, { integer: true, min: 1 });
  checkSetting("topK", s.topK, { integer: true, min: 1 });
  checkSetting("generations", s.generations, { integer: true, min: 0 });
  checkSetting("mutations", s.mutations, { integer: true, min: 0 });
  checkSetting("crossovers", s.crossovers, { integer: true, min: 0 });
  checkSetting("mutationProb", s.mutationProb, { min: 0, max: 1 });
  checkSetting("randomTries", s.randomTries, { integer: true, min: 1 });
  checkSetting("seed", s.seed, { integer: true, min: 0 });
  if (s.mutations + s.crossovers > s.populationSize) {
    throw new RangeError(
      `mutations + crossovers (${s.mutations} + ${s.crossovers}) must not exceed ` +
        `populationSize (${s.populationSize})`,
    );
  }
  return s;
}

/** SPOS's evolutionary search; see the module comment. */
export async function evolvePaths(
  problem: PathSearchProblem,
  settings: Partial<EvolutionSettings> = {},
  hooks: PathSearchHooks = {},
): Promise<PathSearchResult> {
  const s = validateEvolutionSettings({ ...DEFAULT_EVOLUTION_SETTINGS, ...settings });
  const choices = checkProblem(problem);
  const budget = s.populationSize * (s.generations + 1);
  const ledger = new ScoreLedger(problem, "spos-evolution", { ...s }, budget, hooks);
  const rng = new Rng(s.seed);
  const randomPath = randomPathSampler(problem, rng);

  let top: ScoredPath[] = [];
  const generations: ScoredPath[][] = [];
  let population: ScoredPath[] = [];
  for (let generation = 0; generation <= s.generations; generation++) {
    ledger.generation = generation;
    if (generation > 0) {
      const parent = () => top[rng.int(top.length)].path;
      const mutate = () =>
        parent().map((i, l) => (rng.next() < s.mutationProb ? rng.int(choices[l]) : i));
      const cross = () => {
        const [a, b] = [parent(), parent()];
        return a.map((i, l) => (rng.int(2) === 0 ? i : b[l]));
      };
      population = [
        ...await ledger.collect(mutate, s.mutations, s.mutations * CHILD_TRIES_PER_WANTED),
        ...await ledger.collect(cross, s.crossovers, s.crossovers * CHILD_TRIES_PER_WANTED),
      ];
    }
    const missing = s.populationSize - population.length;
    population.push(...await ledger.collect(randomPath, missing, missing * s.randomTries));
    ledger.requireSome(missing * s.randomTries);
    top = rankByScore([...top, ...population]).slice(0, s.topK);
    generations.push(rankByScore(population));
    await ledger.finishGeneration(population, ledger.replaying);
  }
  return {
    best: top[0],
    ranked: top,
    generations,
    evaluated: ledger.evaluated,
    state: ledger.state(),
  };
}
