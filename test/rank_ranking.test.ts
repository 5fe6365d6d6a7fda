/**
 * The Table 6 criterion (after how many epochs α orders the networks as their trained
 * accuracies do, and keeps that order), the initial settings (the reverse of the true
 * order is among them whatever that order is), the true ranking's gap-versus-spread
 * check, and the fitness update's direction.
 */
import assert from "node:assert/strict";
import { DEFAULT_RANK_CONFIG, QUICK_RANK_CONFIG } from "../src/rank/config.ts";
import { FitnessScores } from "../src/rank/fitness_scores.ts";
import {
  alphaByNetwork,
  isReverseOrder,
  TABLE6_ROWS,
  table6Settings,
} from "../src/rank/initial_alphas.ts";
import {
  alphaAgrees,
  epochsToCorrectOrder,
  firstAgreement,
  orderMargin,
  worstToBest,
} from "../src/rank/ranking.ts";
import { type RankedNetwork, rankNetworks } from "../src/rank/true_ranking.ts";
import { depthNetwork } from "../src/rank/depth_family.ts";
import { Rng } from "../src/util/rng.ts";
import { WeightPathSampler } from "../src/supernet/path_sampling.ts";

/** Records at epochs 0..n−1 from α lists. */
const records = (alphas: number[][]) => alphas.map((alpha, epoch) => ({ epoch, alpha }));

/** The 6 orders of 3 networks. */
const ORDERS = [[0, 1, 2], [0, 2, 1], [1, 0, 2], [1, 2, 0], [2, 0, 1], [2, 1, 0]];

Deno.test("worstToBest, alphaAgrees and orderMargin follow the scores", () => {
  assert.deepEqual(worstToBest([0.9, 0.8, 0.85]), [1, 2, 0]);
  assert.deepEqual(worstToBest([0.5, 0.5, 0.4]), [2, 0, 1], "ties keep index order");
  assert.ok(alphaAgrees([-1, 0, 1], [0, 1, 2]));
  assert.ok(!alphaAgrees([-1, 0, 1], [0, 2, 1]));
  assert.ok(!alphaAgrees([0, 0, 1], [0, 1, 2]), "equal α is no ranking");
  assert.equal(orderMargin([-1, 0, 0.5], [0, 1, 2]), 0.5);
  assert.equal(orderMargin([1, 0, 0.5], [0, 1, 2]), -1);
  assert.throws(() => alphaAgrees([0, 1, 2], [0, 0, 1]), /not an order/);
});

Deno.test("epochsToCorrectOrder: the first epoch from which the order holds to the end", () => {
  const order = [0, 1, 2];
  const right = [-1, 0, 1];
  const wrong = [1, 0, -1];
  assert.equal(epochsToCorrectOrder(records([right, right, right]), order), 0);
  assert.equal(epochsToCorrectOrder(records([wrong, wrong, wrong, right, right]), order), 3);
  // Correct at 2, lost at 3, back from 4: Table 6 counts from 4.
  const flip = records([wrong, wrong, right, wrong, right, right]);
  assert.equal(epochsToCorrectOrder(flip, order), 4);
  assert.equal(firstAgreement(flip, order), 2);
  assert.equal(epochsToCorrectOrder(records([right, right, wrong]), order), null);
  assert.equal(firstAgreement(records([wrong, wrong]), order), null);
  // A tie at the end is not the order.
  assert.equal(epochsToCorrectOrder(records([right, [0, 0, 1]]), order), null);
  // The order is the true one, not index order.
  assert.equal(epochsToCorrectOrder(records([right, wrong]), [2, 1, 0]), 1);
  // Epochs need not start at 0 or be consecutive, but must increase.
  const sparse = [{ epoch: 2, alpha: wrong }, { epoch: 5, alpha: right }];
  assert.equal(epochsToCorrectOrder(sparse, order), 5);
  assert.throws(
    () => epochsToCorrectOrder([{ epoch: 1, alpha: right }, { epoch: 1, alpha: right }], order),
    /must increase/,
  );
});

Deno.test("the default and quick settings include the reverse of every possible true order", () => {
  for (const rows of [DEFAULT_RANK_CONFIG.rows, QUICK_RANK_CONFIG.rows!]) {
    const scales = DEFAULT_RANK_CONFIG.alphaScales;
    const settings = table6Settings(rows, scales);
    assert.equal(settings.length, rows.length * scales.length);
    for (const order of ORDERS) {
      const reverse = settings.filter((s) => isReverseOrder(alphaByNetwork(s, order), order));
      assert.deepEqual(reverse.map((s) => s.id), scales.map((x) => `row3-x${x}`), `${order}`);
      // Row 3 gives the worst network the highest α.
      const [first] = reverse;
      assert.equal(alphaByNetwork(first, order)[order[0]], TABLE6_ROWS[2][0] * first.scale);
    }
  }
  assert.deepEqual(
    table6Settings([1], [1e-3])[0].byRank,
    TABLE6_ROWS[0].map((a) => a * 1e-3),
  );
  assert.throws(() => table6Settings([6], [1]), /rows 1..5/);
  assert.throws(() => table6Settings([1], [0]), /scales must be > 0/);
});

Deno.test("rankNetworks: means, per-seed orders, and the gap against the seed spread", () => {
  const net = (depth: number, top1: number[]): RankedNetwork => ({
    depth,
    spec: depthNetwork(depth),
    madds: 0,
    params: 0,
    runs: top1.map((t, seed) => ({
      seed,
      testTop1: t,
      testLoss: 0,
      trainSeconds: 0,
      imagesPerSecond: 0,
    })),
    meanTestTop1: NaN,
  });
  const clear = rankNetworks([net(1, [0.80, 0.81]), net(2, [0.85, 0.84]), net(3, [0.88, 0.89])], [
    0,
    1,
  ]);
  assert.deepEqual(clear.order, [0, 1, 2]);
  assert.ok(clear.seedsAgree);
  assert.ok(Math.abs(clear.smallestGap - 0.04) < 1e-9);
  assert.ok(Math.abs(clear.largestSpread - 0.01) < 1e-9);
  const noisy = rankNetworks([net(1, [0.80, 0.81]), net(2, [0.86, 0.84]), net(3, [0.84, 0.87])], [
    0,
    1,
  ]);
  assert.deepEqual(noisy.order, [0, 1, 2], "means 0.805 < 0.85 < 0.855");
  assert.ok(!noisy.seedsAgree, "seed 0 ranks depth 2 above depth 3");
  assert.ok(noisy.smallestGap < noisy.largestSpread);
});

Deno.test("FitnessScores: the path whose gate gradient is lower gains α; the third keeps its p", () => {
  const scores = new FitnessScores([0, 0, 0], { lr: 0.1, beta1: 0, beta2: 0.999, eps: 1e-8 });
  const p0 = scores.probabilities();
  // ∂L/∂g: path 2 lowers the loss more than path 0.
  scores.update([0, 2], [0.5, -1.5]);
  const [a0, a1, a2] = scores.alpha;
  assert.ok(a2 > a1 && a1 > a0, `α ${scores.alpha}`);
  assert.ok(Math.abs(scores.probabilities()[1] - p0[1]) < 1e-12, "inactive path's p unchanged");
  // Adam's first step moves each active α by about lr, whatever the gradient's size.
  assert.ok(Math.abs(a2 - a0 - 0.2) < 1e-6, `step ${a2 - a0}`);
  assert.equal(scores.updates, 1);
  // Sampling follows p: a dominant network is almost always the weight step's path.
  const skewed = new FitnessScores([5, 0, 0], { lr: 0.1, beta1: 0, beta2: 0.999, eps: 1e-8 });
  const rng = new Rng(3);
  let first = 0;
  for (let i = 0; i < 200; i++) first += skewed.weightPath(rng) === 0 ? 1 : 0;
  assert.ok(first > 190, `${first}/200`);
  // Uniform sampling (src/supernet/path_sampling.ts) ignores p.
  const uniformSampler = new WeightPathSampler("uniform", [3]);
  let uniform = 0;
  for (let i = 0; i < 300; i++) uniform += uniformSampler.next(rng).path[0] === 0 ? 1 : 0;
  assert.ok(uniform > 70 && uniform < 130, `uniform sampling: ${uniform}/300`);
});
