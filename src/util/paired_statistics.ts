/**
 * Paired differences over seeds: arm − baseline, one delta per seed that drove both. With the
 * 2–8 pairs an experiment affords, a percentile bootstrap of the mean is no interval at all (3
 * pairs have 10 distinct resamples, and its "95%" bounds are then the smallest and the largest
 * delta), so the summary of a set of deltas is:
 *
 * - the mean and the sample standard deviation (n − 1);
 * - a two-sided Student-t 95% interval of the mean, mean ± t_{0.975, n−1} · sd / √n: exact when
 *   the deltas are normal, and honest about small n through the t quantile's width (12.71 at
 *   n = 2, 4.30 at n = 3, 2.78 at n = 5);
 * - an exact two-sided sign-flip permutation p-value: under "no difference" each delta is as
 *   likely positive as negative, so every one of the 2^n sign patterns is equally likely and the
 *   p-value is the share of patterns whose |mean| reaches the observed one. It assumes no shape
 *   of the distribution, only symmetry, but it is coarse: the smallest p it can give with n
 *   nonzero deltas is 2/2^n (0.5 for 2 pairs, 0.25 for 3, 0.0625 for 5, 0.0078 for 8), so
 *   fewer than 6 pairs can never reach p < 0.05 however large the difference;
 * - `resolved`: the t-interval excludes 0 and the sign-flip p is below 1 − level (0.05). "Not
 *   resolved" is the verdict when the interval spans 0, whatever the signs of the single deltas,
 *   and also when it excludes 0 but the permutation test cannot agree: two pairs that happen to
 *   lie close together (+0.42 and +0.43) give a narrow t-interval from an sd estimated on one
 *   degree of freedom, while the sign-flip test, which needs no such estimate, cannot go below
 *   p = 0.5 with two pairs. So no comparison of fewer than 6 pairs is ever resolved.
 *
 * For a table of several comparisons, `holm` adjusts their p-values for the multiplicity.
 */
import { Rng } from "./rng.ts";

/** The nominal coverage of the t-interval. */
export const LEVEL = 0.95;

/** Up to this many pairs, the permutation test enumerates every sign pattern (2^20 ≈ 10^6). */
export const EXACT_MAX_PAIRS = 20;

/** Monte Carlo sign patterns above EXACT_MAX_PAIRS pairs (the p-value's sd ≤ 0.0035). */
export const MONTE_CARLO_RESAMPLES = 20_000;

/** The summary of n ≥ 2 paired deltas. */
export interface PairedStatistics {
  readonly n: number;
  readonly mean: number;
  /** Sample standard deviation (divisor n − 1). */
  readonly sd: number;
  /** Two-sided Student-t interval of the mean at `level`. */
  readonly tInterval: {
    readonly low: number;
    readonly high: number;
    readonly level: number;
    /** Degrees of freedom, n − 1. */
    readonly df: number;
    /** The quantile t_{(1+level)/2, df} the half-width is made of. */
    readonly t: number;
    /** True when the interval lies wholly above or below 0. */
    readonly excludesZero: boolean;
  };
  /** Two-sided sign-flip permutation p-value of the mean. */
  readonly p: number;
  /**
   * "exact": all 2^n sign patterns enumerated (n ≤ EXACT_MAX_PAIRS); "monte-carlo":
   * `patterns` seeded random patterns, p = (1 + hits) / (1 + patterns).
   */
  readonly pMethod: "exact" | "monte-carlo";
  readonly patterns: number;
  /** The smallest p the exact test can give with n pairs, 2 / 2^n. */
  readonly minP: number;
  /** True when the t-interval excludes 0 and p < 1 − level. */
  readonly resolved: boolean;
}

export interface PairedOptions {
  /** Seed of the Monte Carlo sign patterns (n > EXACT_MAX_PAIRS only). */
  readonly seed?: number;
  /** Monte Carlo sign patterns; at least 10,000. */
  readonly resamples?: number;
}

/** n, mean, sd, the t-interval, the sign-flip p-value and the verdict of `deltas`. */
export function pairedStatistics(
  deltas: readonly number[],
  options: PairedOptions = {},
): PairedStatistics {
  const n = deltas.length;
  if (n < 2) throw new RangeError(`paired statistics need at least 2 deltas, got ${n}`);
  if (!deltas.every(Number.isFinite)) {
    throw new RangeError("paired statistics: a delta is not finite");
  }
  const mean = deltas.reduce((s, d) => s + d, 0) / n;
  const sd = Math.sqrt(deltas.reduce((s, d) => s + (d - mean) ** 2, 0) / (n - 1));
  const df = n - 1;
  const t = studentTQuantile((1 + LEVEL) / 2, df);
  const half = t * sd / Math.sqrt(n);
  const low = mean - half;
  const high = mean + half;
  const perm = signFlipP(deltas, options);
  const excludesZero = low > 0 || high < 0;
  return {
    n,
    mean,
    sd,
    tInterval: { low, high, level: LEVEL, df, t, excludesZero },
    ...perm,
    minP: 2 / 2 ** n,
    resolved: excludesZero && perm.p < 1 - LEVEL,
  };
}

/**
 * The verdict in words: "not resolved" when the t-interval spans 0; "not resolved by p" when it
 * excludes 0 but the sign-flip p (Holm-adjusted when `adjustedP` is given) is not below 0.05;
 * else "resolved, above 0" or "resolved, below 0".
 */
export function verdict(s: PairedStatistics, adjustedP = s.p): string {
  if (!s.tInterval.excludesZero) return "not resolved";
  if (!(adjustedP < 1 - s.tInterval.level)) return "not resolved by p";
  return `resolved, ${s.mean > 0 ? "above" : "below"} 0`;
}

/**
 * The two-sided sign-flip p-value: the share of sign patterns whose |Σ ± d| reaches the
 * observed |Σ d| (the sum orders patterns as the mean does). A relative tolerance of 1e-9
 * counts the patterns that tie with the observed one up to rounding (e.g. the observed
 * pattern itself computed in another order).
 */
function signFlipP(
  deltas: readonly number[],
  options: PairedOptions,
): Pick<PairedStatistics, "p" | "pMethod" | "patterns"> {
  const n = deltas.length;
  const abs = deltas.map(Math.abs);
  const observed = Math.abs(deltas.reduce((s, d) => s + d, 0));
  const scale = abs.reduce((s, d) => s + d, 0);
  const threshold = observed - 1e-9 * Math.max(scale, Number.MIN_VALUE);
  if (n <= EXACT_MAX_PAIRS) {
    const patterns = 2 ** n;
    let hits = 0;
    for (let mask = 0; mask < patterns; mask++) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += (mask >> i) & 1 ? -abs[i] : abs[i];
      if (Math.abs(sum) >= threshold) hits++;
    }
    return { p: hits / patterns, pMethod: "exact", patterns };
  }
  const patterns = options.resamples ?? MONTE_CARLO_RESAMPLES;
  if (!(Number.isInteger(patterns) && patterns >= 10_000)) {
    throw new RangeError(`sign-flip test: at least 10,000 Monte Carlo patterns, got ${patterns}`);
  }
  const rng = new Rng(options.seed ?? 0);
  let hits = 0;
  for (let r = 0; r < patterns; r++) {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += rng.next() < 0.5 ? -abs[i] : abs[i];
    if (Math.abs(sum) >= threshold) hits++;
  }
  // The observed pattern counts as one of the draws, so p is never 0.
  return { p: (1 + hits) / (1 + patterns), pMethod: "monte-carlo", patterns };
}

/**
 * Holm's step-down adjustment of m p-values, in their given order: the i-th smallest is
 * multiplied by m − i + 1, then made monotone (no adjusted p below the one of a smaller raw p)
 * and capped at 1. It controls the chance of any false "resolved" among the m comparisons,
 * like Bonferroni, without assuming independence, and is never more conservative than it.
 */
export function holm(ps: readonly number[]): number[] {
  for (const p of ps) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`holm: p-values must be in [0, 1], got ${p}`);
  }
  const m = ps.length;
  const order = ps.map((_, i) => i).sort((a, b) => ps[a] - ps[b] || a - b);
  const adjusted = new Array<number>(m);
  let running = 0;
  order.forEach((idx, rank) => {
    running = Math.max(running, Math.min(1, (m - rank) * ps[idx]));
    adjusted[idx] = running;
  });
  return adjusted;
}

/** ln Γ(x) for x > 0 (Lanczos, g = 7, 9 terms; ~1e-15 relative). */
export function logGamma(x: number): number {
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const c = [
    0.99999999999980993,
    676.5203681218851,
    -1259.1392167224028,
    771.32342877765313,
    -176.61502916214059,
    12.507343278686905,
    -0.13857109526572012,
    9.9843695780195716e-6,
    1.5056327351493116e-7,
  ];
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/**
 * The regularized incomplete beta function I_x(a, b), by its continued fraction (modified
 * Lentz), using the symmetry I_x(a, b) = 1 − I_{1−x}(b, a) where the fraction converges slowly.
 */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta: a, b must be > 0`);
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(
    logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x),
  );
  if (x > (a + 1) / (a + b + 2)) return 1 - front * betaFraction(1 - x, b, a) / b;
  return front * betaFraction(x, a, b) / a;
}

function betaFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - (a + b) * x / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let f = d;
  for (let m = 1; m <= 500; m++) {
    const m2 = 2 * m;
    // Even step.
    let num = m * (b - m) * x / ((a + m2 - 1) * (a + m2));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    f *= d * c;
    // Odd step.
    num = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1));
    d = 1 + num * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + num / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const step = d * c;
    f *= step;
    if (Math.abs(step - 1) < 1e-15) return f;
  }
  return f;
}

/** The CDF of Student's t with `df` degrees of freedom at `t`. */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new RangeError(`Student t: df must be > 0, got ${df}`);
  const tail = 0.5 * incompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The q-quantile of Student's t with `df` degrees of freedom, by bisection on the CDF (the
 * CDF is monotone, so bisection cannot miss; 200 halvings reach double precision).
 */
export function studentTQuantile(q: number, df: number): number {
  if (!(q > 0 && q < 1)) throw new RangeError(`Student t quantile: q must be in (0, 1), got ${q}`);
  if (q < 0.5) return -studentTQuantile(1 - q, df);
  if (q === 0.5) return 0;
  let hi = 1;
  while (studentTCdf(hi, df) < q) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > 1e-14 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}
