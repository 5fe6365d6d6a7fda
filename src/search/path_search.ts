/**
 * The bookkeeping of a search over paths (SPOS's evolution, random search's draw),
 * apart from any supernet: the problem it is given, the record of every path scored,
 * and resume by replay.
 *
 * Resume: the state is the list of paths scored so far, in order, with their scores.
 * A resumed search runs again from its seed and, while the saved list lasts, takes
 * each score from it instead of calling `score` (checking that it asks for the same
 * path at the same position; anything else means the state belongs to another search).
 * Every random choice depends only on the seed and the scores, so the resumed run
 * reaches exactly the state of the interrupted one and goes on as it would have —
 * even when `score` itself is not deterministic. Replaying costs host time only.
 */
import type { Rng } from "../util/rng.ts";
import { checkPath, type Path } from "./expected_cost.ts";

/** What a path search is given. */
export interface PathSearchProblem {
  /** Candidates per searchable layer (a path picks 0..choices[l]−1 in layer l). */
  readonly choices: readonly number[];
  /** The cost of a path (e.g. `pathCost(model, ·)` in MAdds). */
  readonly cost: (path: Path) => number;
  /** Hard cap: no path costing more is scored or returned (Infinity for none). */
  readonly maxCost: number;
  /** Floor: no path costing less is scored or returned (absent: none). */
  readonly minCost?: number;
  /** The path's score, higher is better (e.g. held-out accuracy after BN recalibration). */
  readonly score: (path: Path) => Promise<number>;
  /**
   * Draws a random path for the random fills and random search. Default: uniform over
   * all paths (SPOS), those over the cap then skipped. Pass
   * `uniformPathSamplerUnderCap(model, cap)` when few paths fit under the cap.
   */
  readonly samplePath?: (rng: Rng) => number[];
}

/** The problem's sampler, or one candidate a layer uniformly. */
export function randomPathSampler(problem: PathSearchProblem, rng: Rng): () => number[] {
  const { choices, samplePath } = problem;
  return samplePath ? () => samplePath(rng) : () => choices.map((k) => rng.int(k));
}

/** A path with its cost and score. */
export interface ScoredPath {
  path: number[];
  cost: number;
  score: number;
}

/** Serialisable progress of a path search (JSON-safe); pass it back as `resume`. */
export interface PathSearchState {
  version: 1;
  algorithm: string;
  /** The settings the search ran with (seed included), checked on resume. */
  settings: Record<string, number>;
  /** Every path scored so far, in scoring order. */
  scored: ScoredPath[];
}

/** Sent after each path is scored. */
export interface PathScoredEvent {
  scored: ScoredPath;
  /** Paths scored so far (replayed ones included). */
  evaluated: number;
  /** The most paths this search can score. */
  budget: number;
  /** The population being filled (0 = the initial one); 0 for random search. */
  generation: number;
  best: ScoredPath;
  /** True while a resumed search replays scores from its saved state. */
  replayed: boolean;
  /** The state to checkpoint now (a copy). */
  state: () => PathSearchState;
}

/** Sent when a population is complete (once for random search). */
export interface GenerationEvent {
  generation: number;
  /** Paths of this population, best first. */
  population: ScoredPath[];
  /** The best path so far. */
  best: ScoredPath;
  /** True when every score of this population came from the saved state. */
  replayed: boolean;
}

/** Callbacks and resume state of a path search. */
export interface PathSearchHooks {
  onScored?: (event: PathScoredEvent) => void | Promise<void>;
  onGeneration?: (event: GenerationEvent) => void | Promise<void>;
  /** A state from `PathScoredEvent.state()` or a result, to continue from. */
  resume?: PathSearchState;
}

/** What a path search returns. */
export interface PathSearchResult {
  /** The best path scored (never over the cap). */
  best: ScoredPath;
  /** The top paths, best first (the top-k for evolution, every path for random search). */
  ranked: ScoredPath[];
  /** Per population: its paths, best first. */
  generations: ScoredPath[][];
  evaluated: number;
  state: PathSearchState;
}

/** The canonical key of a path ("3,0,2"). */
export function pathKey(path: Path): string {
  return path.join(",");
}

/** Best first; on equal scores the one scored earlier (sort is stable). */
export function rankByScore(paths: readonly ScoredPath[]): ScoredPath[] {
  return [...paths].sort((a, b) => b.score - a.score);
}

/** Checks the problem's shape; returns the choices as a plain array. */
export function checkProblem(problem: PathSearchProblem): number[] {
  const { choices, maxCost } = problem;
  if (choices.length === 0) throw new RangeError("path search: no searchable layers");
  choices.forEach((k, l) => {
    if (!(Number.isInteger(k) && k >= 1)) {
      throw new RangeError(`path search: layer ${l} has ${k} candidates; need an integer >= 1`);
    }
  });
  if (!(maxCost > 0)) throw new RangeError(`path search: the cost cap must be > 0, got ${maxCost}`);
  return [...choices];
}

/** Checks a search setting: an integer (or any number) within [min, max]. */
export function checkSetting(
  name: string,
  value: number,
  rule: { integer?: boolean; min: number; max?: number },
): number {
  const ok = Number.isFinite(value) && (!rule.integer || Number.isInteger(value)) &&
    value >= rule.min && value <= (rule.max ?? Infinity);
  if (!ok) {
    const range = rule.max === undefined ? `>= ${rule.min}` : `in [${rule.min}, ${rule.max}]`;
    throw new RangeError(
      `${name} must be ${rule.integer ? "an integer " : ""}${range}, got ${value}`,
    );
  }
  return value;
}

/**
 * The record of every path scored: the cap check, the cache that keeps a path from
 * being scored twice, the replay of a saved state, and the scored events.
 */
export class ScoreLedger {
  private readonly scored: ScoredPath[] = [];
  private readonly byKey = new Map<string, ScoredPath>();
  private readonly costs = new Map<string, number>();
  private readonly replay: ScoredPath[];
  private bestSoFar: ScoredPath | null = null;
  /** The population being filled, for events. */
  generation = 0;

  constructor(
    private readonly problem: PathSearchProblem,
    private readonly algorithm: string,
    private readonly settings: Record<string, number>,
    readonly budget: number,
    private readonly hooks: PathSearchHooks,
  ) {
    this.replay = hooks.resume ? checkResume(hooks.resume, algorithm, settings) : [];
  }

  /** The path's cost (computed once). */
  cost(path: Path): number {
    const key = pathKey(path);
    let c = this.costs.get(key);
    if (c === undefined) {
      checkPath(this.problem.choices, path, "path search");
      c = this.problem.cost(path);
      if (Number.isNaN(c)) throw new RangeError(`path search: cost of ${key} is NaN`);
      this.costs.set(key, c);
    }
    return c;
  }

  /** Whether the path's cost lies between the floor and the cap. */
  fits(path: Path): boolean {
    const cost = this.cost(path);
    return cost <= this.problem.maxCost && cost >= (this.problem.minCost ?? 0);
  }

  /** Whether the path was scored already. */
  has(path: Path): boolean {
    return this.byKey.has(pathKey(path));
  }

  get evaluated(): number {
    return this.scored.length;
  }

  /** Whether the last score came from the saved state. */
  get replaying(): boolean {
    return this.scored.length <= this.replay.length;
  }

  get best(): ScoredPath | null {
    return this.bestSoFar;
  }

  /** Scores a new path under the cap (from the saved state while it lasts). */
  async score(path: Path): Promise<ScoredPath> {
    const key = pathKey(path);
    if (this.byKey.has(key)) throw new Error(`path search: ${key} was scored already`);
    const cost = this.cost(path);
    if (!(cost <= this.problem.maxCost)) {
      throw new Error(`path search: ${key} costs ${cost}, over the cap ${this.problem.maxCost}`);
    }
    const position = this.scored.length;
    const replayed = position < this.replay.length;
    let score: number;
    if (replayed) {
      const saved = this.replay[position];
      if (pathKey(saved.path) !== key) {
        throw new Error(
          `the saved ${this.algorithm} state does not match this search: path ${position + 1} ` +
            `was ${pathKey(saved.path)}, now ${key} (another space, cap or scoring?)`,
        );
      }
      score = saved.score;
    } else {
      score = await this.problem.score(path);
      if (!Number.isFinite(score)) throw new RangeError(`path search: ${key} scored ${score}`);
    }
    const entry: ScoredPath = { path: [...path], cost, score };
    this.scored.push(entry);
    this.byKey.set(key, entry);
    if (this.bestSoFar === null || score > this.bestSoFar.score) this.bestSoFar = entry;
    await this.hooks.onScored?.({
      scored: entry,
      evaluated: this.scored.length,
      budget: this.budget,
      generation: this.generation,
      best: this.bestSoFar,
      replayed,
      state: () => this.state(),
    });
    return entry;
  }

  /**
   * Draws paths from `make` and scores those that are new and fit, until `wanted` are
   * scored or `tries` draws are spent; returns the scored ones in order.
   */
  async collect(make: () => number[], wanted: number, tries: number): Promise<ScoredPath[]> {
    const out: ScoredPath[] = [];
    for (let t = 0; t < tries && out.length < wanted; t++) {
      const path = make();
      if (this.has(path) || !this.fits(path)) continue;
      out.push(await this.score(path));
    }
    return out;
  }

  /** Throws when nothing could be scored after `draws` random draws. */
  requireSome(draws: number): void {
    if (this.scored.length > 0) return;
    throw new Error(
      `no path under the cost cap ${this.problem.maxCost} in ${draws} random draws; ` +
        `raise the cap or the random tries`,
    );
  }

  /** Reports a complete population. */
  async finishGeneration(population: readonly ScoredPath[], replayed: boolean): Promise<void> {
    if (this.bestSoFar === null) return;
    await this.hooks.onGeneration?.({
      generation: this.generation,
      population: rankByScore(population),
      best: this.bestSoFar,
      replayed,
    });
  }

  /** A JSON-safe copy of the progress. */
  state(): PathSearchState {
    return {
      version: 1,
      algorithm: this.algorithm,
      settings: { ...this.settings },
      scored: this.scored.map((s) => ({ ...s, path: [...s.path] })),
    };
  }
}

function checkResume(
  state: PathSearchState,
  algorithm: string,
  settings: Record<string, number>,
): ScoredPath[] {
  if (state.version !== 1 || state.algorithm !== algorithm) {
    throw new Error(
      `the saved search state is for "${state.algorithm}" (version ${state.version}), ` +
        `not ${algorithm}; resume it with the same --algo`,
    );
  }
  const names = new Set([...Object.keys(settings), ...Object.keys(state.settings)]);
  for (const name of names) {
    if (state.settings[name] !== settings[name]) {
      throw new Error(
        `the saved ${algorithm} state ran with ${name} = ${state.settings[name]}, ` +
          `this search has ${settings[name]}; resume with the same settings`,
      );
    }
  }
  return state.scored;
}
