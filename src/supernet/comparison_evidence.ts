/**
 * Do a window's comparisons tell a layer's candidates apart? A gradient search's and an
 * evolution's fitness steps compare candidates of a layer on one held-out batch: through
 * the gate gradients (an idle candidate's ∂L/∂g less the drawn one's is, to first order,
 * the loss change of swapping it in), or through the losses of one-layer variations of a
 * context path. Each comparison is a difference d ≈ θ_a − θ_b of two candidates' effects
 * on the loss, plus noise. Over a window's comparisons the effects are fitted by least
 * squares with an intercept (a shift every comparison shares, such as the gate gradients'
 * common term, which Eq. 4's softmax cancels), and the F test asks whether they explain
 * more than noise would: where they do not, what the window's steps moved, they moved on
 * noise.
 *
 * From the fitted effects the record also projects how many steps the window would need
 * for the test to pass at its measured effect size (the expected F reaching the 5%
 * critical value, about even odds of passing): the budget telling them apart needs here.
 */
import { incompleteBeta } from "../util/paired_statistics.ts";

/** One comparison of two candidates of a layer (indices into its candidates). */
export interface CandidateComparison {
  /** d estimates loss(a) − loss(b). */
  readonly a: number;
  readonly b: number;
  readonly d: number;
}

/** What one layer's comparisons over a window say. */
export interface ComparisonEvidence {
  /** Steps the comparisons came from. */
  readonly steps: number;
  readonly comparisons: number;
  /** Candidates that took part in at least one comparison. */
  readonly cells: number;
  /** The F statistic of the candidates' effects, its degrees of freedom and upper-tail p. */
  readonly f: number;
  readonly df1: number;
  readonly df2: number;
  readonly p: number;
  /**
   * Steps at which the expected F would reach the 5% critical value at the measured
   * effect size; null where no effect beyond noise was measured.
   */
  readonly stepsNeeded: number | null;
}

/** The level of the test and of the projection. */
export const EVIDENCE_LEVEL = 0.05;

/** Upper-tail probability of the F distribution with (d1, d2) degrees of freedom. */
export function fUpperTail(f: number, d1: number, d2: number): number {
  if (!(d1 > 0 && d2 > 0)) throw new RangeError(`F distribution: df must be > 0`);
  if (!(f > 0)) return 1;
  return incompleteBeta(d2 / (d2 + d1 * f), d2 / 2, d1 / 2);
}

/** The (1 − q) upper quantile of F(d1, d2), by bisection on the tail. */
export function fQuantileUpper(q: number, d1: number, d2: number): number {
  let hi = 1;
  while (fUpperTail(hi, d1, d2) > q) hi *= 2;
  let lo = 0;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (fUpperTail(mid, d1, d2) > q) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/**
 * Residual sum of squares of `y` after projecting out `columns` (modified Gram–Schmidt;
 * a column within 1e-9 of the span of those before it adds nothing) and the rank used.
 */
function leastSquaresResidual(
  columns: readonly Float64Array[],
  y: Float64Array,
): { rss: number; rank: number } {
  const basis: Float64Array[] = [];
  const r = Float64Array.from(y);
  for (const column of columns) {
    const v = Float64Array.from(column);
    const norm0 = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    if (norm0 === 0) continue;
    for (const q of basis) {
      let dot = 0;
      for (let i = 0; i < v.length; i++) dot += q[i] * v[i];
      for (let i = 0; i < v.length; i++) v[i] -= dot * q[i];
    }
    const norm = Math.sqrt(v.reduce((s, x) => s + x * x, 0));
    if (norm <= 1e-9 * norm0) continue;
    for (let i = 0; i < v.length; i++) v[i] /= norm;
    basis.push(v);
    let dot = 0;
    for (let i = 0; i < r.length; i++) dot += v[i] * r[i];
    for (let i = 0; i < r.length; i++) r[i] -= dot * v[i];
  }
  return { rss: r.reduce((s, x) => s + x * x, 0), rank: basis.length };
}

/**
 * The F test of one layer's comparisons over `steps` steps (module comment);
 * null where there are too few comparisons for it (no cell effect estimable, or no
 * residual degrees of freedom).
 */
export function comparisonEvidence(
  comparisons: readonly CandidateComparison[],
  steps: number,
): ComparisonEvidence | null {
  const n = comparisons.length;
  if (n === 0) return null;
  const candidates = [...new Set(comparisons.flatMap((c) => [c.a, c.b]))].sort((x, y) => x - y);
  const y = Float64Array.from(comparisons, (c) => c.d);
  const intercept = new Float64Array(n).fill(1);
  const effects = candidates.map((cell) =>
    Float64Array.from(comparisons, (c) => (c.a === cell ? 1 : 0) - (c.b === cell ? 1 : 0))
  );
  const null0 = leastSquaresResidual([intercept], y);
  const full = leastSquaresResidual([intercept, ...effects], y);
  const df1 = full.rank - null0.rank;
  const df2 = n - full.rank;
  if (df1 < 1 || df2 < 1) return null;
  const explained = Math.max(0, null0.rss - full.rss);
  const noise = full.rss / df2;
  const f = noise > 0 ? (explained / df1) / noise : explained > 0 ? Infinity : 0;
  const p = Number.isFinite(f) ? fUpperTail(f, df1, df2) : 0;
  // Noncentrality per comparison, by moments: E[explained] = σ²(df1 + λ), λ ∝ n.
  const perComparison = noise > 0 ? (explained / noise - df1) / n : 0;
  let stepsNeeded: number | null = null;
  if (perComparison > 0 && Number.isFinite(perComparison)) {
    // The fewest comparisons n′ at which the expected F, 1 + n′·perComparison/df1,
    // reaches the critical value of F(df1, n′ − rank) (which falls as n′ grows).
    const reaches = (m: number) =>
      1 + m * perComparison / df1 >= fQuantileUpper(EVIDENCE_LEVEL, df1, m - full.rank);
    let lo = full.rank;
    let hi = full.rank + 1;
    while (!reaches(hi)) {
      lo = hi;
      hi *= 2;
    }
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (reaches(mid)) hi = mid;
      else lo = mid;
    }
    stepsNeeded = Math.max(1, Math.ceil(hi * steps / n));
  }
  return { steps, comparisons: n, cells: candidates.length, f, df1, df2, p, stepsNeeded };
}
