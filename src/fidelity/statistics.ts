/**
 * How well one list of scores ranks the networks the way stand-alone training does:
 * Kendall τ-b and Spearman ρ with percentile-bootstrap intervals over the networks,
 * the top-k overlap, and the noise ceiling — the same measures between two stand-alone
 * seeds, which no supernet can beat on average (the ground truth disagrees with itself
 * that much).
 */
import { bootstrapInterval, type Interval } from "../util/bootstrap.ts";
import { kendallTau, spearman } from "../util/rank_correlation.ts";

/** Agreement of `scores` with `truth`. */
export interface Agreement {
  readonly tau: Interval;
  readonly rho: Interval;
  /** Networks in both top-k lists, over k. */
  readonly topKOverlap: number;
  readonly k: number;
}

/** Bootstrap resamples of every interval. */
const RESAMPLES = 2_000;

/** The indices of the k largest values (ties: the earlier index first). */
function topIndices(values: readonly number[], k: number): Set<number> {
  const order = values.map((_, i) => i).sort((a, b) => values[b] - values[a] || a - b);
  return new Set(order.slice(0, k));
}

/** |top-k(a) ∩ top-k(b)| / k. */
export function topKOverlap(a: readonly number[], b: readonly number[], k: number): number {
  if (!(Number.isInteger(k) && k >= 1 && k <= a.length)) {
    throw new RangeError(`top-k: k must be in [1, ${a.length}], got ${k}`);
  }
  const top = topIndices(b, k);
  return [...topIndices(a, k)].filter((i) => top.has(i)).length / k;
}

/** τ, ρ (with 95% intervals, resampling networks) and the top-k overlap. */
export function agreement(
  scores: readonly number[],
  truth: readonly number[],
  options: { k: number; seed: number },
): Agreement {
  if (scores.length !== truth.length) {
    throw new RangeError(`agreement: ${scores.length} scores for ${truth.length} networks`);
  }
  const pick = (values: readonly number[], idx: readonly number[]) => idx.map((i) => values[i]);
  const interval = (f: (a: readonly number[], b: readonly number[]) => number) =>
    bootstrapInterval(scores.length, (idx) => f(pick(scores, idx), pick(truth, idx)), {
      resamples: RESAMPLES,
      seed: options.seed,
    });
  return {
    tau: interval(kendallTau),
    rho: interval(spearman),
    topKOverlap: topKOverlap(scores, truth, options.k),
    k: options.k,
  };
}

/** The mean over seeds of each network's accuracy ([network][seed] → [network]). */
export function meanOverSeeds(bySeed: readonly (readonly number[])[]): number[] {
  return bySeed.map((row) => row.reduce((a, b) => a + b, 0) / row.length);
}

/** Agreement between the first two stand-alone seeds (null with one seed). */
export function noiseCeiling(
  bySeed: readonly (readonly number[])[],
  options: { k: number; seed: number },
): Agreement | null {
  if (bySeed.length === 0 || bySeed[0].length < 2) return null;
  return agreement(bySeed.map((r) => r[0]), bySeed.map((r) => r[1]), options);
}
