import assert from "node:assert/strict";
import { adamStep, finiteDifferenceGrad, softmax } from "../src/reference/mod.ts";
import {
  logProbability,
  logProbabilityGradient,
  PROXYLESS_RL,
  Reinforce,
  reward,
  type RewardSpec,
  samplePath,
} from "../src/search/reinforce.ts";
import { type CostModel, derivedPath, pathCost } from "../src/search/expected_cost.ts";
import { Rng } from "../src/util/rng.ts";

Deno.test("reinforce: ∇ log p(path) matches finite differences", () => {
  const rng = new Rng(4);
  const alphas = [3, 1, 4, 2].map((k) => Array.from({ length: k }, () => rng.uniform(-2, 2)));
  const path = samplePath(alphas, rng);
  const shape = alphas.map((a) => a.length);
  const unflatten = (x: Float64Array) => {
    let k = 0;
    return shape.map((n) => Array.from({ length: n }, () => x[k++]));
  };
  const numeric = finiteDifferenceGrad(
    (x) => logProbability(unflatten(x), path),
    Float64Array.from(alphas.flat()),
  );
  logProbabilityGradient(alphas, path).flat().forEach((g, i) => {
    assert.ok(Math.abs(g - numeric[i]) < 1e-7, `entry ${i}: ${g} vs ${numeric[i]}`);
  });
});

Deno.test("reinforce: paths are drawn with probability softmax(α) per layer", () => {
  const rng = new Rng(9);
  const alphas = [[0.5, -1, 2], [0, 0]];
  const counts = alphas.map((a) => a.map(() => 0));
  const n = 20000;
  for (let s = 0; s < n; s++) samplePath(alphas, rng).forEach((i, l) => counts[l][i]++);
  alphas.forEach((a, l) => {
    const p = softmax(a);
    p.forEach((pi, i) => {
      const sd = Math.sqrt(pi * (1 - pi) / n);
      assert.ok(Math.abs(counts[l][i] / n - pi) < 5 * sd, `layer ${l} candidate ${i}`);
    });
  });
});

Deno.test("reinforce: rewards and ProxylessNAS's baseline update", () => {
  assert.equal(reward({ kind: "accuracy" }, 0.8, 5), 0.8);
  const proxyless: RewardSpec = { kind: "proxyless", target: 100, tradeoff: 0.1 };
  assert.ok(Math.abs(reward(proxyless, 0.8, 200) - 0.8 * Math.pow(0.5, 0.1)) < 1e-15);
  assert.ok(Math.abs(reward({ kind: "linear", lambda: 1e-3 }, 0.8, 200) - 0.6) < 1e-15);
  const rl = new Reinforce();
  const alphas = [[0, 0]];
  rl.lossGradient(alphas, [{ path: [0], reward: 1 }, { path: [1], reward: 0 }]);
  assert.equal(rl.baseline, 0.5, "first batch: b = mean reward");
  const g = rl.lossGradient(alphas, [{ path: [0], reward: 1.5 }]);
  assert.ok(Math.abs(rl.baseline! - (0.5 + 0.99 * 1.0)) < 1e-12, "b ← b + 0.99·(R̄ − b)");
  // advantage 1.5 − 1.49 = 0.01; ∇ log p = (0.5, −0.5); loss gradient = −advantage·∇.
  assert.ok(Math.abs(g[0][0] + 0.005) < 1e-12 && Math.abs(g[0][1] - 0.005) < 1e-12);
});

Deno.test("reinforce: on a toy problem with a known best path, α converges to it", () => {
  // Per layer an "accuracy" contribution and a cost; the reward is ProxylessNAS's
  // acc·(T/cost)^w, observed with noise. The best path is found by enumeration.
  const rng = new Rng(2024);
  const choices = [3, 4, 2, 5, 3];
  const gain = choices.map((k) => Array.from({ length: k }, () => rng.uniform(0, 1)));
  const model: CostModel = {
    perLayer: choices.map((k) => Array.from({ length: k }, () => rng.uniform(1, 10))),
    fixed: 5,
  };
  const spec: RewardSpec = { kind: "proxyless", target: 25, tradeoff: 0.5 };
  const trueReward = (path: readonly number[]) => {
    const acc = path.reduce((s, i, l) => s + gain[l][i], 0) / choices.length;
    return reward(spec, acc, pathCost(model, path));
  };
  const ranked: { path: number[]; r: number }[] = [];
  const visit = (path: number[]) => {
    if (path.length === choices.length) return void ranked.push({ path, r: trueReward(path) });
    for (let i = 0; i < choices[path.length]; i++) visit([...path, i]);
  };
  visit([]);
  ranked.sort((a, b) => b.r - a.r);
  const best = ranked[0];
  assert.ok(best.r - ranked[1].r > 0.003, "the toy has a clear optimum");
  const mostAccurate = gain.map((g) => g.indexOf(Math.max(...g)));
  assert.notDeepEqual(best.path, mostAccurate, "the cost term decides part of the optimum");

  const alphas = choices.map((k) => new Array<number>(k).fill(0));
  const flat = new Float64Array(choices.reduce((s, k) => s + k, 0));
  const m = new Float64Array(flat.length);
  const v = new Float64Array(flat.length);
  const rl = new Reinforce();
  for (let step = 1; step <= 400; step++) {
    const samples = Array.from({ length: PROXYLESS_RL.samplesPerStep }, () => {
      const path = samplePath(alphas, rng);
      return { path, reward: trueReward(path) + rng.uniform(-0.02, 0.02) };
    });
    const grad = Float64Array.from(rl.lossGradient(alphas, samples).flat());
    adamStep(flat, grad, m, v, step, { lr: 0.05, beta1: 0 });
    let k = 0;
    alphas.forEach((a) => a.forEach((_, i) => a[i] = flat[k++]));
  }
  assert.deepEqual(derivedPath(alphas), best.path);
  const pBest = alphas.reduce((s, a, l) => s * softmax(a)[best.path[l]], 1);
  assert.ok(pBest > 0.8, `p(best path) = ${pBest.toFixed(3)}`);
});
