/**
 * Do a window's comparisons tell a layer's candidates apart? A gradient search's and an
 * evolution's fitness steps compare candidates of a layer on one held-out batch: through
 * the gate gradients (an idle candidate's ∂L/∂g less the drawn one's is, to first order,
 * the loss change of swapping it in), or through the losses of one-layer variations of a
 * context path. Each comparison is a difference d ≈ θ_a − θ_b of two candidates' effects
 * on the loss, plus noise. Over a window's comparisons the effects are fitted by least
 * squares with an intercept (a shift every comparison shares, such as the gate gradients'
 * common term, which Eq. 4's softmax cancels), and the F statistic asks whether they
 * explain more than noise would: where they do not, what the window's steps moved, they
 * moved on noise. Its p comes from relabelling, not from the F table, which assumes
 * normal noise: gate gradients are heavy-tailed, and with a few comparisons a candidate
 * the table's level is not the test's. Where every candidate is measured in
 * every step (the paired steps), the steps are blocks and the test is the two-way layout's
 * (`blockEvidence`), relabelled within each step.
 *
 * From the fitted effects the record also projects how many steps the window would need
 * for the test to pass at its measured effect size (the expected F reaching the 5%
 * critical value, about even odds of passing): the budget telling them apart needs here.
 */
import { incompleteBeta } from "../util/paired_statistics.ts";
import { Rng } from "../util/rng.ts";

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
  /**
   * The F statistic of the candidates' effects and its degrees of freedom; p by
   * permutation (999 relabellings, so no p below 0.001).
   */
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

/** An orthonormal basis of the span of `columns` (modified Gram–Schmidt). */
function orthonormalBasis(columns: readonly Float64Array[]): Float64Array[] {
  const basis: Float64Array[] = [];
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
    // A column within 1e-9 of the span of those before it adds nothing.
    if (norm <= 1e-9 * norm0) continue;
    for (let i = 0; i < v.length; i++) v[i] /= norm;
    basis.push(v);
  }
  return basis;
}

/** Residual sum of squares of `y` off the span of an orthonormal `basis`. */
function residual(basis: readonly Float64Array[], y: ArrayLike<number>): number {
  let rss = 0;
  for (let i = 0; i < y.length; i++) rss += y[i] * y[i];
  for (const q of basis) {
    let dot = 0;
    for (let i = 0; i < y.length; i++) dot += q[i] * y[i];
    rss -= dot * dot;
  }
  return Math.max(0, rss);
}

/** Relabellings that calibrate the p-value: a permutation test, never an F table's. */
const PERMUTATIONS = 999;
/** Its fixed seed: the same comparisons give the same p, in a run and after a resume. */
const PERMUTATION_SEED = 1;

/**
 * The permutation p of `f(values)`: the share of `PERMUTATIONS` relabellings, each made by
 * `shuffle` (which permutes its argument in place), whose statistic is at least the
 * observed one, counting the observed as one: (1 + as large) / (1 + relabellings).
 */
function permutationP(
  observed: number,
  values: Float64Array,
  statistic: (v: Float64Array) => number,
  shuffle: (v: Float64Array, rng: Rng) => void,
): number {
  const rng = new Rng(PERMUTATION_SEED);
  const work = Float64Array.from(values);
  let asLarge = 0;
  for (let r = 0; r < PERMUTATIONS; r++) {
    shuffle(work, rng);
    if (statistic(work) >= observed * (1 - 1e-12)) asLarge++;
  }
  return (1 + asLarge) / (1 + PERMUTATIONS);
}

/** Fisher–Yates over `v[from, to)`. */
function shuffleRange(v: Float64Array, rng: Rng, from = 0, to = v.length): void {
  for (let i = to - 1; i > from; i--) {
    const j = from + rng.int(i - from + 1);
    [v[i], v[j]] = [v[j], v[i]];
  }
}

/**
 * The fewest units (comparisons, or steps) n′ at which the expected F,
 * 1 + n′·perUnit/df1, reaches the 5% critical value of F(df1, df2Of(n′)), which falls
 * as n′ grows, searched from `fewest` (the least with a residual degree of freedom); null
 * where no effect beyond noise was measured.
 */
function unitsNeeded(
  perUnit: number,
  df1: number,
  df2Of: (units: number) => number,
  fewest: number,
): number | null {
  if (!(perUnit > 0) || !Number.isFinite(perUnit)) return null;
  const reaches = (m: number) =>
    1 + m * perUnit / df1 >= fQuantileUpper(EVIDENCE_LEVEL, df1, df2Of(m));
  let lo = fewest - 1;
  let hi = fewest;
  while (!reaches(hi)) {
    lo = hi;
    hi *= 2;
  }
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    if (reaches(mid)) hi = mid;
    else lo = mid;
  }
  return hi;
}

/**
 * The F test of one layer's comparisons over `steps` steps (module comment), its p by
 * permuting the differences over the comparisons (under no effect each is the shared
 * shift plus noise, exchangeable between steps whatever the noise's tails); null where
 * there are too few comparisons for it (no effect estimable, or no residual degrees of
 * freedom).
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
  const null0 = orthonormalBasis([intercept]);
  const full = orthonormalBasis([intercept, ...effects]);
  const df1 = full.length - null0.length;
  const df2 = n - full.length;
  if (df1 < 1 || df2 < 1) return null;
  const fOf = (v: Float64Array) => {
    const rss = residual(full, v);
    const explained = Math.max(0, residual(null0, v) - rss);
    return rss > 0 ? (explained / df1) / (rss / df2) : explained > 0 ? Infinity : 0;
  };
  const f = fOf(y);
  const p = permutationP(f, y, fOf, (v, rng) => shuffleRange(v, rng));
  // Noncentrality per comparison, by moments: E[explained/σ²] = df1 + λ, λ ∝ n.
  const perComparison = Number.isFinite(f) ? df1 * (f - 1) / n : 0;
  const needed = unitsNeeded(perComparison, df1, (m) => m - full.length, full.length + 1);
  return {
    steps,
    comparisons: n,
    cells: candidates.length,
    f,
    df1,
    df2,
    p,
    stepsNeeded: needed === null ? null : Math.max(1, Math.ceil(needed * steps / n)),
  };
}

/**
 * The same question for complete blocks: `losses[t][c]`, the loss of candidate c in step
 * t, every candidate measured in every step on the step's batch (the paired steps). Cell
 * effects against step effects (a two-way layout without interaction): F of the cells
 * over the residual, its p by permuting the candidates' labels within each step; the
 * comparisons counted are each candidate's against the others of its step, K − 1 a step.
 */
export function blockEvidence(losses: readonly (readonly number[])[]): ComparisonEvidence | null {
  const steps = losses.length;
  const k = losses[0]?.length ?? 0;
  if (steps < 2 || k < 2 || losses.some((row) => row.length !== k)) return null;
  const values = Float64Array.from(losses.flat());
  const df1 = k - 1;
  const df2 = (k - 1) * (steps - 1);
  const fOf = (v: Float64Array) => {
    const rowMeans = new Float64Array(steps);
    const colMeans = new Float64Array(k);
    let grand = 0;
    for (let t = 0; t < steps; t++) {
      for (let c = 0; c < k; c++) {
        const x = v[t * k + c];
        rowMeans[t] += x / k;
        colMeans[c] += x / steps;
        grand += x / (steps * k);
      }
    }
    let cells = 0;
    let error = 0;
    for (let c = 0; c < k; c++) cells += steps * (colMeans[c] - grand) ** 2;
    for (let t = 0; t < steps; t++) {
      for (let c = 0; c < k; c++) {
        error += (v[t * k + c] - rowMeans[t] - colMeans[c] + grand) ** 2;
      }
    }
    return error > 0 ? (cells / df1) / (error / df2) : cells > 0 ? Infinity : 0;
  };
  const f = fOf(values);
  const p = permutationP(f, values, fOf, (v, rng) => {
    for (let t = 0; t < steps; t++) shuffleRange(v, rng, t * k, (t + 1) * k);
  });
  const perStep = Number.isFinite(f) ? df1 * (f - 1) / steps : 0;
  const needed = unitsNeeded(perStep, df1, (m) => (k - 1) * (m - 1), 2);
  return {
    steps,
    comparisons: steps * (k - 1),
    cells: k,
    f,
    df1,
    df2,
    p,
    stepsNeeded: needed,
  };
}
