import assert from "node:assert/strict";
import { Rng } from "../src/util/rng.ts";
import {
  add,
  addBackward,
  batchNorm2dBackward,
  batchNorm2dEval,
  batchNorm2dTrain,
  broadcastShapes,
  finiteDifferenceGrad,
  globalAvgPool,
  globalAvgPoolBackward,
  gradientCheckError,
  type HostTensor,
  hostTensor,
  linear,
  linearBackward,
  maxRelError,
  mean,
  meanBackward,
  mul,
  mulBackward,
  randomHost,
  relu6Backward,
  relu6Forward,
  reluBackward,
  reluForward,
  sigmoidBackward,
  sigmoidForward,
  siluBackward,
  siluForward,
  size,
  softmax,
  softmaxBackward,
  softmaxCrossEntropy,
  softmaxCrossEntropyBackward,
  sum,
  sumBackward,
  updateRunningStats,
  weightedSum,
  weightedSumBackward,
} from "../src/reference/mod.ts";

const TOL = 1e-6;

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, tol = 1e-12, what = "") {
  const err = maxRelError(actual, expected);
  assert.ok(err <= tol, `${what}: error ${err} > ${tol}; got [${[...Array.from(actual)]}]`);
}

// ---------------------------------------------------------------- helpers

Deno.test("size, hostTensor and randomHost", () => {
  assert.equal(size([2, 3, 4]), 24);
  assert.equal(size([]), 1);
  assert.throws(() => size([2, -1]), /dimension -1/);
  const t = hostTensor([2, 2], [1, 2, 3, 4]);
  assert.deepEqual([...t.data], [1, 2, 3, 4]);
  assert.throws(() => hostTensor([2, 2], [1, 2, 3]), /needs 4/);
  const r = randomHost([1000], new Rng(7), 0.5);
  assert.ok(r.data.every((v) => v >= -0.5 && v < 0.5));
  assert.ok(r.data.some((v) => v < -0.4) && r.data.some((v) => v > 0.4));
});

Deno.test("maxRelError is normwise and never passes NaN", () => {
  assert.equal(maxRelError([1, 2], [1, 2]), 0);
  assert.equal(maxRelError([1.5, 10], [1, 10]), 0.05);
  // A tiny absolute error on a near-zero entry stays small relative to the norm.
  assert.ok(maxRelError([1e-9, 1], [0, 1]) < 1e-8);
  assert.equal(maxRelError([NaN], [0]), Infinity);
  assert.equal(maxRelError([0], [0]), 0);
  assert.throws(() => maxRelError([1], [1, 2]), /same size/);
});

Deno.test("finiteDifferenceGrad differentiates Σ x³ and leaves x unchanged", () => {
  const x = new Float64Array([0.5, -1.25, 2, 0]);
  const before = x.slice();
  const g = finiteDifferenceGrad((v) => v.reduce((s, a) => s + a * a * a, 0), x);
  close(g, [...before].map((a) => 3 * a * a), 1e-8, "3x²");
  assert.deepEqual([...x], [...before]);
});

Deno.test("gradientCheckError catches a wrong gradient", () => {
  const rng = new Rng(8);
  const x = randomHost([2, 3], rng);
  const r = randomHost([2, 3], rng);
  const wrong = hostTensor([2, 3], r.data); // true gradient of Σ r·2x is 2r
  assert.ok(gradientCheckError(() => x.data.map((v) => 2 * v), x, r.data, wrong.data) > 0.4);
  const right = r.data.map((v) => 2 * v);
  assert.ok(gradientCheckError(() => x.data.map((v) => 2 * v), x, r.data, right) < TOL);
});

// ---------------------------------------------------------------- batch norm

Deno.test("batchNorm2dTrain on a hand-computed channel", () => {
  // One channel holding 1, 2, 3, 4: mean 2.5, biased var 1.25, unbiased var 5/3.
  const x = hostTensor([2, 1, 1, 2], [1, 2, 3, 4]);
  const out = batchNorm2dTrain(x, hostTensor([1], [2]), hostTensor([1], [0.5]), 0);
  close(out.mean.data, [2.5], 1e-15, "mean");
  close(out.invStd.data, [1 / Math.sqrt(1.25)], 1e-15, "invStd");
  close(out.varUnbiased.data, [5 / 3], 1e-15, "varUnbiased");
  const s = Math.sqrt(1.25);
  close(out.y.data, [-1.5, -0.5, 0.5, 1.5].map((d) => (2 * d) / s + 0.5), 1e-15, "y");
});

Deno.test("batchNorm2dTrain output has mean beta and std gamma per channel", () => {
  const rng = new Rng(9);
  const x = randomHost([3, 4, 3, 5], rng, 3);
  const gamma = randomHost([4], rng);
  const beta = randomHost([4], rng);
  const { y } = batchNorm2dTrain(x, gamma, beta, 0);
  for (let c = 0; c < 4; c++) {
    const vals: number[] = [];
    for (let n = 0; n < 3; n++) {
      for (let p = 0; p < 15; p++) vals.push(y.data[(n * 4 + c) * 15 + p]);
    }
    const mu = vals.reduce((a, b) => a + b) / vals.length;
    const v = vals.reduce((a, b) => a + (b - mu) ** 2, 0) / vals.length;
    assert.ok(Math.abs(mu - beta.data[c]) < 1e-12);
    assert.ok(Math.abs(Math.sqrt(v) - Math.abs(gamma.data[c])) < 1e-12);
  }
});

Deno.test("batchNorm2dBackward matches finite differences", () => {
  const rng = new Rng(10);
  // With two values a channel, x̂ = ±1 whatever x, so dx is O(eps): a larger eps keeps
  // that case's gradient well above finite-difference noise.
  const cases: [number[], number][] = [
    [[2, 3, 3, 2], 1e-5],
    [[1, 5, 2, 3], 1e-5],
    [[3, 2, 1, 1], 1e-5],
    [[1, 1, 1, 2], 0.5],
  ];
  for (const [shape, eps] of cases) {
    const c = shape[1];
    const x = randomHost(shape, rng, 2);
    const gamma = randomHost([c], rng);
    const beta = randomHost([c], rng);
    const r = randomHost(shape, rng);
    const fwd = () => batchNorm2dTrain(x, gamma, beta, eps).y.data;
    const { mean: mu, invStd } = batchNorm2dTrain(x, gamma, beta, eps);
    const g = batchNorm2dBackward(x, gamma, mu, invStd, r);
    assert.ok(gradientCheckError(fwd, x, r.data, g.dx.data) < TOL, `dx [${shape}]`);
    assert.ok(gradientCheckError(fwd, gamma, r.data, g.dgamma.data) < TOL, `dgamma [${shape}]`);
    assert.ok(gradientCheckError(fwd, beta, r.data, g.dbeta.data) < TOL, `dbeta [${shape}]`);
  }
});

Deno.test("batchNorm2dTrain refuses one value per channel", () => {
  const x = hostTensor([1, 2, 1, 1]);
  assert.throws(() => batchNorm2dTrain(x, hostTensor([2]), hostTensor([2]), 1e-5), /more than 1/);
});

Deno.test("batchNorm2dEval and updateRunningStats on known numbers", () => {
  const x = hostTensor([1, 2, 1, 2], [1, 3, 5, 7]);
  const y = batchNorm2dEval(
    x,
    hostTensor([2], [1, 2]),
    hostTensor([2], [0, 1]),
    hostTensor([2], [1, 6]),
    hostTensor([2], [4, 1]),
    0,
  );
  // Channel 0: (x − 1)/2; channel 1: 2·(x − 6)/1 + 1.
  close(y.data, [0, 1, -1, 3], 1e-15, "eval");
  const rm = new Float64Array([0, 1]);
  const rv = hostTensor([2], [1, 1]);
  updateRunningStats(rm, rv, hostTensor([2], [10, -1]), new Float64Array([3, 0]), 0.1);
  close(rm, [1, 0.8], 1e-15, "running mean");
  close(rv.data, [1.2, 0.9], 1e-15, "running var");
  // Training statistics feed the running ones with the unbiased variance.
  const train = batchNorm2dTrain(
    hostTensor([2, 1, 1, 2], [1, 2, 3, 4]),
    hostTensor([1], [1]),
    hostTensor([1], [0]),
    1e-5,
  );
  const m1 = hostTensor([1]);
  const v1 = hostTensor([1], [1]);
  updateRunningStats(m1, v1, train.mean, train.varUnbiased, 1);
  close(m1.data, [2.5], 1e-15, "momentum 1 mean");
  close(v1.data, [5 / 3], 1e-15, "momentum 1 var");
});

// ---------------------------------------------------------------- activations

/** Random values in [-8, 8) kept at least 1e-3 away from the kinks at 0 and 6. */
function awayFromKinks(shape: number[], rng: Rng): HostTensor {
  const x = randomHost(shape, rng, 8);
  for (let i = 0; i < x.data.length; i++) {
    for (const kink of [0, 6]) {
      if (Math.abs(x.data[i] - kink) < 1e-3) x.data[i] = kink + 0.5;
    }
  }
  return x;
}

Deno.test("activation forward values", () => {
  const x = hostTensor([6], [-3, 0, 2, 6, 7, 1000]);
  assert.deepEqual([...reluForward(x).data], [0, 0, 2, 6, 7, 1000]);
  assert.deepEqual([...relu6Forward(x).data], [0, 0, 2, 6, 6, 6]);
  const s = sigmoidForward(hostTensor([3], [0, -1000, 1000])).data;
  assert.deepEqual([...s], [0.5, 0, 1]);
  close(sigmoidForward(hostTensor([1], [Math.log(3)])).data, [0.75], 1e-15, "σ(ln 3)");
  const silu = siluForward(hostTensor([3], [0, Math.log(3), -1000])).data;
  close(silu, [0, 0.75 * Math.log(3), 0], 1e-15, "silu");
});

Deno.test("activation gradients at the kinks are 0", () => {
  const x = hostTensor([4], [0, 6, -1e-9, 5.999]);
  const dy = hostTensor([4], [1, 1, 1, 1]);
  assert.deepEqual([...reluBackward(x, dy).data], [0, 1, 0, 1]);
  assert.deepEqual([...relu6Backward(x, dy).data], [0, 0, 0, 1]);
});

Deno.test("activation backward passes match finite differences", () => {
  const rng = new Rng(11);
  const ops: [
    string,
    (x: HostTensor) => HostTensor,
    (x: HostTensor, d: HostTensor) => HostTensor,
  ][] = [
    ["relu", reluForward, reluBackward],
    ["relu6", relu6Forward, relu6Backward],
    ["sigmoid", sigmoidForward, sigmoidBackward],
    ["silu", siluForward, siluBackward],
  ];
  for (const [name, fwd, bwd] of ops) {
    const x = awayFromKinks([2, 3, 5, 3], rng);
    const r = randomHost(x.shape, rng);
    const err = gradientCheckError(() => fwd(x).data, x, r.data, bwd(x, r).data);
    assert.ok(err < TOL, `${name}: ${err}`);
  }
});

// ---------------------------------------------------------------- element-wise

Deno.test("broadcastShapes aligns on the right", () => {
  assert.deepEqual(broadcastShapes([2, 3, 4, 5], [2, 3, 1, 1]), [2, 3, 4, 5]);
  assert.deepEqual(broadcastShapes([2, 3, 4, 5], [3, 1, 1]), [2, 3, 4, 5]);
  assert.deepEqual(broadcastShapes([3, 1], [1, 4]), [3, 4]);
  assert.deepEqual(broadcastShapes([4], []), [4]);
  assert.throws(() => broadcastShapes([2, 3], [4]), /aligned dimension 1/);
});

Deno.test("add and mul broadcast on hand-computed cases", () => {
  const a = hostTensor([2, 2], [1, 2, 3, 4]);
  assert.deepEqual([...add(a, hostTensor([2], [10, 20])).data], [11, 22, 13, 24]);
  assert.deepEqual([...mul(a, hostTensor([2, 1], [10, -1])).data], [10, 20, -3, -4]);
  // SE-style scale: [1, 2, 1, 2] ⊙ [1, 2, 1, 1].
  const x = hostTensor([1, 2, 1, 2], [1, 2, 3, 4]);
  assert.deepEqual([...mul(x, hostTensor([1, 2, 1, 1], [2, 0.5])).data], [2, 4, 1.5, 2]);
  const outer = add(hostTensor([3, 1], [1, 2, 3]), hostTensor([1, 2], [10, 20]));
  assert.deepEqual(outer.shape, [3, 2]);
  assert.deepEqual([...outer.data], [11, 21, 12, 22, 13, 23]);
  assert.throws(() => add(a, hostTensor([3], [1, 2, 3])), /aligned dimension/);
});

Deno.test("addBackward and mulBackward match finite differences, reducing broadcast dims", () => {
  const rng = new Rng(12);
  const pairs: [number[], number[]][] = [
    [[2, 3, 4], [2, 3, 4]],
    [[2, 3, 2, 3], [2, 3, 1, 1]],
    [[1, 5, 3, 3], [1, 5, 1, 1]],
    [[2, 3, 2, 2], [3, 1, 1]],
    [[4, 5], [5]],
    [[3, 1], [1, 4]],
    [[2, 3], []],
  ];
  for (const [sa, sb] of pairs) {
    const a = randomHost(sa, rng);
    const b = randomHost(sb, rng);
    const r = randomHost(broadcastShapes(sa, sb), rng);
    const ga = addBackward(sa, sb, r);
    const gm = mulBackward(a, b, r);
    const label = `[${sa}] with [${sb}]`;
    assert.deepEqual(ga.da.shape, sa);
    assert.deepEqual(gm.db.shape, sb);
    assert.ok(
      gradientCheckError(() => add(a, b).data, a, r.data, ga.da.data) < TOL,
      `add da ${label}`,
    );
    assert.ok(
      gradientCheckError(() => add(a, b).data, b, r.data, ga.db.data) < TOL,
      `add db ${label}`,
    );
    assert.ok(
      gradientCheckError(() => mul(a, b).data, a, r.data, gm.da.data) < TOL,
      `mul da ${label}`,
    );
    assert.ok(
      gradientCheckError(() => mul(a, b).data, b, r.data, gm.db.data) < TOL,
      `mul db ${label}`,
    );
  }
});

// ---------------------------------------------------------------- pooling, linear, reductions

Deno.test("globalAvgPool forward and backward", () => {
  const x = hostTensor([1, 2, 2, 2], [1, 2, 3, 4, -1, -1, 5, 5]);
  assert.deepEqual([...globalAvgPool(x).data], [2.5, 2]);
  const rng = new Rng(13);
  for (const shape of [[2, 3, 3, 5], [1, 7, 1, 1]]) {
    const xr = randomHost(shape, rng);
    const r = randomHost([shape[0], shape[1]], rng);
    const dx = globalAvgPoolBackward(shape, r);
    assert.ok(gradientCheckError(() => globalAvgPool(xr).data, xr, r.data, dx.data) < TOL);
  }
});

Deno.test("linear forward and backward", () => {
  const y = linear(
    hostTensor([1, 2], [1, 2]),
    hostTensor([3, 2], [1, 0, 0, 1, 1, 1]),
    hostTensor([3], [0.5, 0, -1]),
  );
  assert.deepEqual([...y.data], [1.5, 2, 2]);
  assert.deepEqual([...linear(hostTensor([1, 2], [1, 2]), hostTensor([1, 2], [3, 4])).data], [11]);
  const rng = new Rng(14);
  for (const [n, i, o] of [[3, 5, 4], [1, 7, 3]]) {
    const x = randomHost([n, i], rng);
    const w = randomHost([o, i], rng);
    const b = randomHost([o], rng);
    const r = randomHost([n, o], rng);
    const g = linearBackward(x, w, r);
    const fwd = () => linear(x, w, b).data;
    assert.ok(gradientCheckError(fwd, x, r.data, g.dx.data) < TOL, "dx");
    assert.ok(gradientCheckError(fwd, w, r.data, g.dw.data) < TOL, "dw");
    assert.ok(gradientCheckError(fwd, b, r.data, g.db.data) < TOL, "db");
  }
});

Deno.test("sum and mean with their fills", () => {
  const x = hostTensor([2, 3], [1, 2, 3, 4, 5, 6]);
  assert.equal(sum(x), 21);
  assert.equal(mean(x), 3.5);
  assert.deepEqual([...sumBackward([2, 3], 2).data], [2, 2, 2, 2, 2, 2]);
  assert.deepEqual([...meanBackward([2, 3], 3).data], [0.5, 0.5, 0.5, 0.5, 0.5, 0.5]);
  const rng = new Rng(15);
  const xr = randomHost([3, 1, 5], rng);
  close(finiteDifferenceGrad(() => mean(xr), xr.data), meanBackward(xr.shape).data, 1e-8, "mean");
  close(finiteDifferenceGrad(() => sum(xr), xr.data), sumBackward(xr.shape).data, 1e-8, "sum");
});

// ---------------------------------------------------------------- losses

Deno.test("softmaxCrossEntropy on hand-computed cases", () => {
  // Row logits [0, ln 3] → p = [0.25, 0.75].
  const logits = hostTensor([1, 2], [0, Math.log(3)]);
  const plain = softmaxCrossEntropy(logits, new Int32Array([1]), 0);
  close(plain.probs.data, [0.25, 0.75], 1e-15, "probs");
  close([plain.loss], [-Math.log(0.75)], 1e-15, "plain loss");
  // ε = 0.2, K = 2: target [0.1, 0.9].
  const smooth = softmaxCrossEntropy(logits, new Int32Array([1]), 0.2);
  close([smooth.loss], [-0.1 * Math.log(0.25) - 0.9 * Math.log(0.75)], 1e-15, "smoothed loss");
  // Uniform logits: loss ln K whatever the smoothing; mean over rows.
  const flat = hostTensor([3, 4]);
  for (const eps of [0, 0.1, 1]) {
    const { loss } = softmaxCrossEntropy(flat, new Int32Array([0, 3, 2]), eps);
    close([loss], [Math.log(4)], 1e-15, `uniform ε=${eps}`);
  }
  // Large logits stay finite.
  const big = softmaxCrossEntropy(hostTensor([1, 2], [1000, 0]), new Int32Array([1]), 0);
  close([big.loss], [1000], 1e-15, "large logits");
  assert.throws(() => softmaxCrossEntropy(flat, new Int32Array([0, 4, 1]), 0), /labels\[1\] = 4/);
  assert.throws(() => softmaxCrossEntropy(flat, new Int32Array([0]), 0), /one label per row/);
});

Deno.test("label smoothing 0 equals plain cross-entropy −mean log p[label]", () => {
  const rng = new Rng(16);
  const logits = randomHost([5, 7], rng, 3);
  const labels = new Int32Array([0, 6, 3, 3, 1]);
  const { loss, probs } = softmaxCrossEntropy(logits, labels, 0);
  let expected = 0;
  for (let n = 0; n < 5; n++) expected -= Math.log(probs.data[n * 7 + labels[n]]) / 5;
  close([loss], [expected], 1e-14, "plain CE");
});

Deno.test("softmaxCrossEntropyBackward matches finite differences", () => {
  const rng = new Rng(17);
  for (const [n, k, eps, dLoss] of [[4, 5, 0, 1], [3, 10, 0.1, 1], [1, 3, 0.3, 2.5]]) {
    const logits = randomHost([n, k], rng, 2);
    const labels = new Int32Array(n).map(() => rng.int(k));
    const { probs } = softmaxCrossEntropy(logits, labels, eps);
    const d = softmaxCrossEntropyBackward(probs, labels, eps, dLoss);
    const numeric = finiteDifferenceGrad(
      () => dLoss * softmaxCrossEntropy(logits, labels, eps).loss,
      logits.data,
    );
    close(d.data, numeric, TOL, `n=${n} k=${k} ε=${eps}`);
  }
});

// ---------------------------------------------------------------- architecture softmax, paths

Deno.test("softmax over a vector", () => {
  close(softmax([0, Math.log(3)]), [0.25, 0.75], 1e-15, "softmax");
  // 1000 + ln 3 is rounded to 1.1e-13 absolute, hence the looser tolerance.
  close(softmax([1001, 1000 + Math.log(3)]), softmax([1, Math.log(3)]), 1e-12, "shift");
  const p = softmax([-2.5, 0.1, 3, -0.4]);
  close([p.reduce((a, b) => a + b)], [1], 1e-15, "sums to 1");
  assert.throws(() => softmax([]), /empty/);
});

Deno.test("softmaxBackward is the Jacobian p_k(δ_ik − p_i) (Eq. 4), checked by finite differences", () => {
  const rng = new Rng(18);
  for (const k of [1, 2, 5]) {
    const v = randomHost([k], rng, 2);
    const dp = randomHost([k], rng);
    const dv = softmaxBackward(softmax(v.data), dp.data);
    assert.ok(gradientCheckError(() => softmax(v.data), v, dp.data, dv) < TOL, `K=${k}`);
  }
  // Hand case: p = [0.25, 0.75], dp = [1, 0] → dv = [0.25·0.75, −0.25·0.75].
  close(softmaxBackward([0.25, 0.75], [1, 0]), [0.1875, -0.1875], 1e-15, "hand");
});

Deno.test("weightedSum and its binary-gate gradient", () => {
  const ys = [hostTensor([2], [1, 2]), hostTensor([2], [10, 20])];
  assert.deepEqual([...weightedSum(ys, [0.5, 2]).data], [20.5, 41]);
  const hand = weightedSumBackward(ys, [0.5, 2], hostTensor([2], [1, -1]));
  assert.deepEqual([...hand.dw], [-1, -10]);
  assert.deepEqual([...hand.dys[1].data], [2, -2]);
  const rng = new Rng(19);
  const shape = [2, 3, 2, 3];
  const paths = [0, 1, 2].map(() => randomHost(shape, rng));
  const w = randomHost([3], rng);
  const r = randomHost(shape, rng);
  const g = weightedSumBackward(paths, w.data, r);
  const fwd = () => weightedSum(paths, w.data).data;
  assert.ok(gradientCheckError(fwd, w, r.data, g.dw) < TOL, "dw");
  paths.forEach((p, k) => {
    assert.ok(gradientCheckError(fwd, p, r.data, g.dys[k].data) < TOL, `dys[${k}]`);
  });
  assert.throws(() => weightedSum(ys, [1]), /one weight a path/);
});
