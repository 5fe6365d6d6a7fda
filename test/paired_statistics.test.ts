/**
 * Paired differences over seeds (src/util/paired_statistics.ts) on data with known answers:
 * the t quantile against printed tables, a t-interval by hand, the exact sign-flip p-values,
 * the Monte Carlo fallback, and Holm's adjustment.
 */
import assert from "node:assert/strict";
import {
  holm,
  incompleteBeta,
  pairedStatistics,
  studentTCdf,
  studentTQuantile,
  verdict,
} from "../src/util/paired_statistics.ts";

const close = (a: number, b: number, eps: number) =>
  assert.ok(Math.abs(a - b) <= eps, `${a} ≠ ${b} (±${eps})`);

Deno.test("Student t: the 0.975 quantiles of the printed tables, and the CDF they invert", () => {
  // t_{0.975, df} to three decimals, as every table prints them.
  const table: [number, number][] = [[1, 12.706], [2, 4.303], [4, 2.776], [7, 2.365], [30, 2.042]];
  for (const [df, t] of table) close(studentTQuantile(0.975, df), t, 5e-4);
  close(studentTQuantile(0.975, 2), 4.302652729911275, 1e-9);
  close(studentTQuantile(0.025, 4), -2.776445105197793, 1e-9);
  close(studentTQuantile(0.5, 3), 0, 0);
  // df = 1 is the Cauchy distribution: F(t) = 1/2 + atan(t)/π.
  for (const t of [-3, -0.5, 0, 0.7, 10]) {
    close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-12);
  }
  // df = 2: F(t) = 1/2 + t / (2 √(2 + t²)).
  for (const t of [-2, 0.3, 5]) {
    close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(2 + t * t)), 1e-12);
  }
  // I_x(1, 1) = x; I_x(a, b) = 1 − I_{1−x}(b, a).
  close(incompleteBeta(0.3, 1, 1), 0.3, 1e-14);
  close(incompleteBeta(0.2, 2.5, 4), 1 - incompleteBeta(0.8, 4, 2.5), 1e-13);
});

Deno.test("paired statistics: the t-interval of a small set, by hand", () => {
  // [1, 2, 3]: mean 2, sd 1, se 1/√3; half-width 4.302653 / √3 = 2.484138.
  const s = pairedStatistics([1, 2, 3]);
  assert.equal(s.n, 3);
  close(s.mean, 2, 1e-15);
  close(s.sd, 1, 1e-15);
  assert.equal(s.tInterval.df, 2);
  close(s.tInterval.low, 2 - 2.484138, 1e-6);
  close(s.tInterval.high, 2 + 2.484138, 1e-6);
  assert.equal(s.resolved, false, "the interval spans 0");
  assert.equal(verdict(s), "not resolved");
  // [0.5, 1.5, 1.0, 2.0, 1.0]: mean 1.2, sd √0.325; half-width 2.776445 · √0.325 / √5.
  const five = pairedStatistics([0.5, 1.5, 1.0, 2.0, 1.0]);
  close(five.mean, 1.2, 1e-15);
  close(five.sd, Math.sqrt(0.325), 1e-15);
  const half = 2.776445105 * Math.sqrt(0.325) / Math.sqrt(5);
  close(five.tInterval.low, 1.2 - half, 1e-8);
  close(five.tInterval.high, 1.2 + half, 1e-8);
  assert.equal(five.tInterval.excludesZero, true);
  assert.equal(five.resolved, false, "5 pairs cannot give p < 0.05 (0.0625 at best)");
  assert.equal(verdict(five), "not resolved by p");
  // Two close pairs: a narrow t-interval on one degree of freedom, but p = 0.5.
  const two = pairedStatistics([0.42, 0.43]);
  assert.ok(two.tInterval.low > 0);
  assert.equal(two.p, 0.5);
  assert.equal(verdict(two), "not resolved by p");
  // Eight pairs of one sign: both agree; Holm's adjustment can still undo it.
  const eight = pairedStatistics([1.1, 0.9, 1.3, 0.8, 1.0, 1.2, 0.7, 1.05]);
  assert.equal(eight.resolved, true);
  assert.equal(verdict(eight), "resolved, above 0");
  assert.equal(verdict(eight, 0.06), "not resolved by p");
  assert.throws(() => pairedStatistics([1]), /at least 2 deltas/);
});

Deno.test("paired statistics: exact sign-flip p-values", () => {
  // ±1 ±2 ±3: |sum| reaches 6 in 2 of 8 patterns.
  const three = pairedStatistics([1, 2, 3]);
  assert.equal(three.p, 0.25);
  assert.equal(three.pMethod, "exact");
  assert.equal(three.patterns, 8);
  assert.equal(three.minP, 0.25);
  // Five deltas of one sign: only the observed pattern and its mirror, 2/32.
  const five = pairedStatistics([0.5, 1.5, 1.0, 2.0, 1.0]);
  assert.equal(five.p, 0.0625);
  assert.equal(five.minP, 0.0625);
  // Eight of one sign: 2/256; the smallest p eight pairs can give.
  const eight = pairedStatistics([1, 2, 3, 4, 5, 6, 7, 8].map((d) => -d / 100));
  close(eight.p, 2 / 256, 1e-15);
  // A mean of 0 is reached by every pattern: p = 1. [0.1, 0.1, 0.2]: |sum| ≥ 0.4 only in
  // (+,+,+) and (−,−,−), 2/8, whatever rounding the sums carry.
  assert.equal(pairedStatistics([1, -1]).p, 1);
  assert.equal(pairedStatistics([0.1, 0.1, 0.2]).p, 0.25);
  // [−0.12, +0.37, −0.96]: |sum| = 0.71; with +0.96 the sums are 1.45, 0.71, 1.21, 0.47,
  // so 3 of 4 patterns reach it, and their mirrors: 6/8.
  assert.equal(pairedStatistics([-0.12, 0.37, -0.96]).p, 0.75);
});

Deno.test("paired statistics: above 20 pairs a seeded Monte Carlo p, and it says so", () => {
  const deltas = Array.from({ length: 24 }, (_, i) => (i % 3 === 0 ? -1 : 1) * (1 + i / 10));
  const a = pairedStatistics(deltas, { seed: 3 });
  assert.equal(a.pMethod, "monte-carlo");
  assert.ok(a.patterns >= 10_000);
  assert.deepEqual(pairedStatistics(deltas, { seed: 3 }), a, "same seed, same p");
  assert.ok(a.p > 0 && a.p <= 1);
  // All of one sign: no random pattern reaches the observed sum unless it is all + or all −.
  const same = pairedStatistics(Array.from({ length: 24 }, (_, i) => 1 + i), { seed: 1 });
  assert.ok(same.p <= 3 / 20_001, `p ${same.p}`);
  assert.throws(() => pairedStatistics(deltas, { resamples: 500 }), /at least 10,000/);
});

Deno.test("Holm's step-down adjustment on a known list", () => {
  // Sorted: 0.005·4 = 0.02, 0.01·3 = 0.03, 0.03·2 = 0.06, 0.04·1 = 0.04 → 0.06 (monotone).
  const adjusted = holm([0.01, 0.04, 0.03, 0.005]);
  [0.03, 0.06, 0.06, 0.02].forEach((want, i) => close(adjusted[i], want, 1e-15));
  // 0.01·3 = 0.03, 0.4·2 = 0.8, 0.6·1 = 0.6 → 0.8; capped at 1; one p is left as it is.
  [0.8, 0.8, 0.03].forEach((want, i) => close(holm([0.6, 0.4, 0.01])[i], want, 1e-15));
  assert.deepEqual(holm([0.6, 0.7]), [1, 1]);
  assert.deepEqual(holm([0.3]), [0.3]);
  assert.deepEqual(holm([]), []);
  assert.throws(() => holm([1.2]), /in \[0, 1\]/);
});
