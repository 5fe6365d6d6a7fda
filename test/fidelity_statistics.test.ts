/**
 * The fidelity measures (src/util/rank_correlation.ts, src/util/bootstrap.ts,
 * src/fidelity/statistics.ts, src/fidelity/sample.ts) on cases with known answers.
 */
import assert from "node:assert/strict";
import { stratifiedPaths } from "../src/fidelity/sample.ts";
import {
  agreement,
  ceilingOf,
  meanOverSeeds,
  noiseCeiling,
  RESAMPLES,
  topKOverlap,
} from "../src/fidelity/statistics.ts";
import { parseSetting } from "../src/fidelity/config.ts";
import { standaloneArgs, standaloneRequest } from "../src/fidelity/ground_truth.ts";
import { parseTrainArgs } from "../src/train/train_command.ts";
import { bootstrapInterval, quantile } from "../src/util/bootstrap.ts";
import { kendallTau, pearson, spearman } from "../src/util/rank_correlation.ts";
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
  // Seed vs seed is the agreement of the two single-seed lists.
  const seedVsSeed = ceiling.seedVsSeed.tau.value;
  close(seedVsSeed, kendallTau(bySeed.map((r) => r[0]), bySeed.map((r) => r[1])));
  assert.ok(seedVsSeed > 0.8 && seedVsSeed < 1, `seed vs seed ${seedVsSeed}`);
  // The ceiling of the two-seed mean, from Pearson r between the seeds by Spearman–Brown.
  const r = pearson(bySeed.map((s) => s[0]), bySeed.map((s) => s[1]));
  close(ceiling.oneSeedReliability.value, r);
  close(ceiling.targetReliability.value, 2 * r / (1 + r));
  close(ceiling.correlation.value, Math.sqrt(2 * r / (1 + r)));
  assert.equal(ceiling.seeds, 2);
  assert.ok(ceiling.correlation.value > r, "the mean is a less noisy target than one seed");
  assert.ok(ceiling.tau.low <= ceiling.tau.value && ceiling.tau.value <= ceiling.tau.high);
  // Resamples of 6 networks that repeat one network are constant and dropped: a few.
  assert.ok(ceiling.tau.resamples > 0.99 * RESAMPLES, `${ceiling.tau.resamples} resamples`);
  assert.ok(RESAMPLES >= 10_000, "bounds that decide sentences: at least 10,000 resamples");
  assert.equal(noiseCeiling([[0.8], [0.9]], { k: 1, seed: 0 }), null, "one seed: no ceiling");
  // Three seeds: r is the mean over the three pairs, the target the mean of three.
  const three = noiseCeiling(bySeed.map((s, i) => [...s, s[0] + (i % 2) * 0.01]), {
    k: 2,
    seed: 0,
  })!;
  assert.equal(three.seeds, 3);
  const r3 = three.oneSeedReliability.value;
  close(three.targetReliability.value, 3 * r3 / (1 + 2 * r3));
});

Deno.test("noise ceiling: Spearman–Brown, √reliability, and the τ and ρ of a correlation", () => {
  // r = 1/3: the two-seed mean's reliability is 1/2, √ = 1/√2, τ = (2/π)·asin(1/√2) = 1/2.
  const c = ceilingOf(1 / 3, 2);
  close(c.target, 0.5);
  close(c.correlation, Math.SQRT1_2);
  close(c.tau, 0.5);
  close(c.rho, (6 / Math.PI) * Math.asin(Math.SQRT1_2 / 2));
  // Perfectly reliable seeds: every figure 1; a negative r is noise around 0: ceiling 0.
  const one = ceilingOf(1, 2);
  for (const v of [one.target, one.correlation, one.tau, one.rho]) close(v, 1);
  const none = ceilingOf(-0.2, 2);
  assert.equal(none.oneSeed, -0.2, "r itself is kept");
  for (const v of [none.target, none.correlation, none.tau, none.rho]) close(v, 0);
  close(pearson([1, 2, 3], [2, 4, 6]), 1);
  close(pearson([1, 2, 3], [3, 1, 2]), -0.5);
  // Simulated: true accuracies with seed noise of the same variance (r = 1/2). A perfect
  // predictor (the truth itself) against the two-seed mean lands near the ceiling
  // √(2/3) = 0.816 (τ 0.61), well above what one seed reaches against another.
  const rng = new Rng(11);
  const n = 400;
  const truth = Array.from({ length: n }, () => rng.normal());
  const seeds = truth.map((t) => [t + rng.normal(), t + rng.normal()]);
  const mean = meanOverSeeds(seeds);
  const r = pearson(seeds.map((s) => s[0]), seeds.map((s) => s[1]));
  const expected = ceilingOf(r, 2);
  assert.ok(Math.abs(pearson(truth, mean) - expected.correlation) < 0.05, `r ${r}`);
  assert.ok(Math.abs(kendallTau(truth, mean) - expected.tau) < 0.05);
  assert.ok(kendallTau(seeds.map((s) => s[0]), seeds.map((s) => s[1])) < expected.tau - 0.1);
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

Deno.test("fidelity: the stand-alone training request is what its recorded train command reads", () => {
  const recipe = { epochs: 2, trainImages: 300, batchSize: 32, testImages: 100, seeds: [0, 1] };
  for (const resume of [false, true]) {
    const args = standaloneArgs(recipe, "runs/f/networks/net-00.json", 1, "runs/f/t");
    const read = parseTrainArgs([...args, "--quiet", ...(resume ? ["--resume"] : [])]);
    assert.deepEqual(
      standaloneRequest(recipe, "runs/f/networks/net-00.json", 1, "runs/f/t", resume),
      read,
    );
  }
});
