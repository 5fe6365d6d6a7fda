/**
 * The fidelity measures (src/util/rank_correlation.ts, src/util/bootstrap.ts,
 * src/fidelity/statistics.ts, src/fidelity/sample.ts) on cases with known answers.
 */
import assert from "node:assert/strict";
import { stratifiedPaths } from "../src/fidelity/sample.ts";
import { agreement, meanOverSeeds, noiseCeiling, topKOverlap } from "../src/fidelity/statistics.ts";
import { parseSetting } from "../src/fidelity/config.ts";
import { bootstrapInterval, quantile } from "../src/util/bootstrap.ts";
import { kendallTau, spearman } from "../src/util/rank_correlation.ts";
import { Rng } from "../src/util/rng.ts";

const close = (a: number, b: number, eps = 1e-12) =>
  assert.ok(Math.abs(a - b) <= eps, `${a} ≠ ${b}`);

Deno.test("Kendall τ-b and Spearman ρ on known permutations", () => {
  const a = [1, 2, 3, 4, 5];
  close(kendallTau(a, [10, 20, 30, 40, 50]), 1);
  close(kendallTau(a, [5, 4, 3, 2, 1]), -1);
  close(spearman(a, [5, 4, 3, 2, 1]), -1);
  // One adjacent swap of 5: 9 concordant, 1 discordant pair → τ = 0.8; ρ = 1 − 6·2/(5·24).
  close(kendallTau(a, [1, 3, 2, 4, 5]), 0.8);
  close(spearman(a, [1, 3, 2, 4, 5]), 0.9);
  // [2, 4, 1, 3]: 3 concordant, 3 discordant pairs.
  close(kendallTau([1, 2, 3, 4], [2, 4, 1, 3]), 0);
});

Deno.test("Kendall τ-b with ties: a tied list reaches 1 against itself, ties count for neither", () => {
  const tied = [1, 1, 2, 3];
  close(kendallTau(tied, tied), 1);
  // Pairs: (0,1) tied in a only; other 5 concordant. τ-b = 5 / sqrt(5 · 6).
  close(kendallTau(tied, [1, 2, 3, 4]), 5 / Math.sqrt(30));
  assert.ok(Number.isNaN(kendallTau([2, 2, 2], [1, 2, 3])), "a constant list has no τ");
  assert.throws(() => kendallTau([1, 2], [1]), /lengths/);
});

Deno.test("top-k overlap counts the networks in both top-k lists", () => {
  const truth = [0.9, 0.8, 0.7, 0.6, 0.5];
  assert.equal(topKOverlap([5, 4, 3, 2, 1], truth, 2), 1);
  assert.equal(topKOverlap([5, 1, 4, 2, 3], truth, 2), 0.5);
  assert.equal(topKOverlap([1, 2, 3, 4, 5], truth, 2), 0);
  assert.throws(() => topKOverlap([1, 2], [1, 2], 3), /k must be/);
});

Deno.test("bootstrap: quantiles, and a 95% interval of a mean covers the truth ~95% of the time", () => {
  close(quantile([0, 10], 0.25), 2.5);
  close(quantile([1, 2, 3], 0.5), 2);
  // Known case: the mean of 40 draws from N(0, 1); percentile intervals cover 0 in about
  // 95% of 200 repetitions (binomial sd ≈ 1.5%; the percentile method runs a little low at n = 40).
  const rng = new Rng(5);
  let covered = 0;
  const reps = 200;
  for (let r = 0; r < reps; r++) {
    const xs = Array.from({ length: 40 }, () => rng.normal());
    const mean = (idx: readonly number[]) => idx.reduce((s, i) => s + xs[i], 0) / idx.length;
    const ci = bootstrapInterval(xs.length, mean, { resamples: 400, seed: r });
    assert.ok(ci.low <= ci.value && ci.value <= ci.high);
    if (ci.low <= 0 && 0 <= ci.high) covered++;
  }
  assert.ok(covered >= 0.89 * reps && covered <= 0.99 * reps, `coverage ${covered}/${reps}`);
});

Deno.test("agreement and the noise ceiling on a ground truth with two seeds", () => {
  const bySeed = [[0.80, 0.81], [0.82, 0.83], [0.84, 0.83], [0.86, 0.87], [0.88, 0.89], [0.9, 0.9]];
  const mean = meanOverSeeds(bySeed);
  close(mean[0], 0.805);
  const perfect = agreement(mean, mean, { k: 2, seed: 0 });
  close(perfect.tau.value, 1);
  assert.equal(perfect.topKOverlap, 1);
  const reversed = agreement(mean.map((m) => -m), mean, { k: 2, seed: 0 });
  close(reversed.tau.value, -1);
  assert.ok(reversed.tau.high <= -0.99, "a perfect reversal stays reversed in every resample");
  const ceiling = noiseCeiling(bySeed, { k: 2, seed: 0 })!;
  assert.ok(ceiling.tau.value > 0.8 && ceiling.tau.value < 1, `ceiling ${ceiling.tau.value}`);
  assert.equal(noiseCeiling([[0.8], [0.9]], { k: 1, seed: 0 }), null, "one seed: no ceiling");
});

Deno.test("stratified sample: distinct paths across the MAdds range, seeded", () => {
  const choices = [4, 4, 4, 4, 4];
  const madds = {
    fixed: 1e6,
    perLayer: choices.map((k, l) => Array.from({ length: k }, (_, i) => (i + 1) * (l + 1) * 1e5)),
  };
  const sample = stratifiedPaths(choices, madds, 8, 3);
  assert.equal(sample.length, 8);
  assert.equal(new Set(sample.map((s) => s.path.join())).size, 8, "distinct paths");
  const cheapest = 1e6 + [1, 2, 3, 4, 5].reduce((s, l) => s + l * 1e5, 0);
  const dearest = 1e6 + [1, 2, 3, 4, 5].reduce((s, l) => s + 4 * l * 1e5, 0);
  const width = (dearest - cheapest) / 8;
  // One network per stratum of equal width: the first and last strata are both hit.
  assert.ok(sample[0].madds < cheapest + width, `cheapest sampled ${sample[0].madds}`);
  assert.ok(sample[7].madds >= dearest - width, `dearest sampled ${sample[7].madds}`);
  assert.deepEqual(stratifiedPaths(choices, madds, 8, 3), sample, "same seed, same sample");
  assert.notDeepEqual(stratifiedPaths(choices, madds, 8, 4), sample, "another seed");
  assert.throws(() => stratifiedPaths([2, 2], madds, 5, 0), /only 4 networks/);
});

Deno.test("fidelity settings are ALGO-MODE, checked in one line", () => {
  assert.deepEqual(parseSetting("g-fair"), {
    name: "g-fair",
    algo: "proxyless-g",
    pathSampling: "fair",
  });
  assert.equal(parseSetting("spos-uniform").algo, "spos");
  assert.throws(() => parseSetting("spos-proportional"), /no architecture weights/);
  assert.throws(() => parseSetting("dart-fair"), /ALGO-MODE/);
  assert.throws(() => parseSetting("g-random"), /one of proportional, uniform, fair/);
});
