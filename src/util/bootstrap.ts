/**
 * Percentile bootstrap confidence intervals: resample the n items with replacement,
 * recompute the statistic on each resample, take the (1−level)/2 and (1+level)/2
 * quantiles. Resamples whose statistic is undefined (NaN, e.g. a rank correlation of a
 * resample whose values are all tied) are dropped and counted.
 */
import { Rng } from "./rng.ts";

/** A statistic with its bootstrap interval. */
export interface Interval {
  readonly value: number;
  readonly low: number;
  readonly high: number;
  /** The interval's nominal coverage (0.95 for a 95% interval). */
  readonly level: number;
  /** Resamples whose statistic was defined. */
  readonly resamples: number;
}

export interface BootstrapOptions {
  readonly resamples?: number;
  readonly level?: number;
  readonly seed?: number;
}

/**
 * The interval of `statistic` over n items; `statistic(indices)` reads the items at
 * `indices` (a resample: n indices drawn with replacement; the identity for `value`).
 */
export function bootstrapInterval(
  n: number,
  statistic: (indices: readonly number[]) => number,
  options: BootstrapOptions = {},
): Interval {
  const resamples = options.resamples ?? 2_000;
  const level = options.level ?? 0.95;
  if (!(Number.isInteger(n) && n >= 1)) throw new RangeError(`bootstrap: n must be >= 1, got ${n}`);
  if (!(level > 0 && level < 1)) throw new RangeError(`bootstrap: level must be in (0, 1)`);
  const rng = new Rng(options.seed ?? 0);
  const value = statistic(Array.from({ length: n }, (_, i) => i));
  const values: number[] = [];
  const indices = new Array<number>(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) indices[i] = rng.int(n);
    const v = statistic(indices);
    if (Number.isFinite(v)) values.push(v);
  }
  values.sort((x, y) => x - y);
  return {
    value,
    low: quantile(values, (1 - level) / 2),
    high: quantile(values, (1 + level) / 2),
    level,
    resamples: values.length,
  };
}

/** The q-quantile of sorted values, linear between order statistics (NaN when empty). */
export function quantile(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  const pos = q * (sorted.length - 1);
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
}
