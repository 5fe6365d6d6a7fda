/**
 * How well one list of scores ranks the networks the way stand-alone training does:
 * Kendall τ-b and Spearman ρ with percentile-bootstrap intervals over the networks,
 * the top-k overlap, and the noise ceiling of the target the scores are compared with.
 *
 * The target is the mean of the stand-alone seeds, not one seed. Two single seeds agree
 * with each other less than a perfect predictor agrees with the seeds' mean (the mean is
 * the less noisy measure), so the seed-vs-seed τ is not a ceiling for a supernet's τ
 * against the mean: like is compared with like only by the ceiling of the mean itself.
 * It comes from classical test theory: the reliability r of one seed's accuracies is the
 * correlation between two seeds (Pearson, averaged over the pairs of seeds); the mean of
 * k seeds has the Spearman–Brown reliability k·r / (1 + (k − 1)·r) (2r / (1 + r) for two);
 * a perfect predictor of the true accuracies correlates with the noisy target at about
 * √reliability; and under a bivariate normal model a Pearson c corresponds to Kendall
 * τ = (2/π)·asin(c) and Spearman ρ = (6/π)·asin(c/2), the scales of the table.
 */
import { bootstrapInterval, type Interval } from "../util/bootstrap.ts";
import { kendallTau, pearson, spearman } from "../util/rank_correlation.ts";

/** Agreement of `scores` with `truth`. */
export interface Agreement {
  readonly tau: Interval;
  readonly rho: Interval;
  /** Networks in both top-k lists, over k. */
  readonly topKOverlap: number;
  readonly k: number;
}

/**
 * Bootstrap resamples of every interval: whether a bound is above 0 or above another
 * figure decides sentences of the report, and 10,000 resamples put the Monte Carlo error
 * of a 2.5% quantile well below the two decimals it is printed with.
 */
export const RESAMPLES = 10_000;

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

/** The ceiling of the mean of `seeds` seeds as a target, from one seed's reliability r. */
export function ceilingOf(r: number, seeds: number) {
  // A negative seed-to-seed correlation is noise around 0: nothing to predict.
  const one = Math.min(1, Math.max(0, r));
  const target = seeds * one / (1 + (seeds - 1) * one);
  const correlation = Math.sqrt(target);
  return {
    oneSeed: r,
    target,
    correlation,
    tau: (2 / Math.PI) * Math.asin(correlation),
    rho: (6 / Math.PI) * Math.asin(correlation / 2),
  };
}

/** What the ground truth allows a score to reach (see the module's comment). */
export interface NoiseCeiling {
  /** τ, ρ, top-k between the first two seeds: how well one single-seed measure ranks another. */
  readonly seedVsSeed: Agreement;
  /** Seeds averaged in the target. */
  readonly seeds: number;
  /**
   * Reliability of one seed: Pearson r between seeds (mean over pairs); the figures below
   * take a negative r as 0.
   */
  readonly oneSeedReliability: Interval;
  /** Spearman–Brown reliability of the seeds' mean. */
  readonly targetReliability: Interval;
  /** A perfect predictor's expected Pearson correlation with the target, √reliability. */
  readonly correlation: Interval;
  /** The same on Kendall τ's and Spearman ρ's scales: what the table's rows compare with. */
  readonly tau: Interval;
  readonly rho: Interval;
}

/**
 * The noise ceiling of the seeds' mean as a target (null with one seed). The intervals
 * resample networks (RESAMPLES times); every figure is a monotone function of the
 * resampled reliability, so their percentile intervals are the same resamples mapped.
 */
export function noiseCeiling(
  bySeed: readonly (readonly number[])[],
  options: { k: number; seed: number },
): NoiseCeiling | null {
  if (bySeed.length === 0 || bySeed[0].length < 2) return null;
  const seeds = bySeed[0].length;
  const pairs: [number, number][] = [];
  for (let a = 0; a < seeds; a++) for (let b = a + 1; b < seeds; b++) pairs.push([a, b]);
  const reliability = (idx: readonly number[]) =>
    pairs.reduce(
      (sum, [a, b]) => sum + pearson(idx.map((i) => bySeed[i][a]), idx.map((i) => bySeed[i][b])),
      0,
    ) / pairs.length;
  const r = bootstrapInterval(bySeed.length, reliability, {
    resamples: RESAMPLES,
    seed: options.seed,
  });
  const mapped = (f: (c: ReturnType<typeof ceilingOf>) => number): Interval => ({
    ...r,
    value: f(ceilingOf(r.value, seeds)),
    low: f(ceilingOf(r.low, seeds)),
    high: f(ceilingOf(r.high, seeds)),
  });
  return {
    seedVsSeed: agreement(bySeed.map((row) => row[0]), bySeed.map((row) => row[1]), options),
    seeds,
    oneSeedReliability: mapped((c) => c.oneSeed),
    targetReliability: mapped((c) => c.target),
    correlation: mapped((c) => c.correlation),
    tau: mapped((c) => c.tau),
    rho: mapped((c) => c.rho),
  };
}
