import assert from "node:assert/strict";
import { assertClose, gpuTest } from "./_helpers.ts";
import { BatchNorm2d, ConvBnAct } from "../src/nn/layers.ts";
import { Module } from "../src/nn/module.ts";
import { type ImageBatch, recalibrateBatchNorm } from "../src/nn/bn_recalibration.ts";
import { activation } from "../src/ops/elementwise.ts";
import { fromArray, upload } from "../src/tensor/creation.ts";
import { keep, noGrad, tidy } from "../src/tensor/engine.ts";
import { readAll, type Tensor } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

/** conv-BN-ReLU6 → strided 1×1 conv-BN, plus a BN the forward never reaches. */
class Probe extends Module {
  readonly first: ConvBnAct;
  readonly second: ConvBnAct;
  readonly unreached: BatchNorm2d;

  constructor(rng: Rng) {
    super();
    this.first = this.child("first", new ConvBnAct(3, 5, { kernel: 3, act: "relu6" }, rng));
    this.second = this.child(
      "second",
      new ConvBnAct(5, 4, { kernel: 1, stride: 2, act: "none" }, rng),
    );
    this.unreached = this.child("unreached", new BatchNorm2d(4));
  }

  forward(x: Tensor): Tensor {
    return this.second.forward(this.first.forward(x));
  }
}

const shape = [3, 8, 8] as const;

function randomBatches(rng: Rng, count: number, n: number): ImageBatch[] {
  return Array.from({ length: count }, (_, b) => ({
    n,
    x: Float32Array.from({ length: n * 3 * 8 * 8 }, () => rng.normal() * (1 + b) + 0.3 * b),
  }));
}

/** Per channel of NCHW data: mean and unbiased variance, in float64. */
function channelStats(data: Float32Array, dims: readonly number[]) {
  const [n, c, h, w] = dims;
  const m = n * h * w;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let i = 0; i < n; i++) for (let p = 0; p < h * w; p++) s += data[(i * c + ch) * h * w + p];
    mean[ch] = s / m;
    let q = 0;
    for (let i = 0; i < n; i++) {
      for (let p = 0; p < h * w; p++) q += (data[(i * c + ch) * h * w + p] - mean[ch]) ** 2;
    }
    variance[ch] = q / (m - 1);
  }
  return { mean, variance };
}

/**
 * The inputs each BN sees for `batch` in training mode (batch statistics, so they do
 * not depend on the running buffers), and their per-batch statistics.
 */
async function bnInputStats(net: Probe, batch: ImageBatch) {
  const [a, b] = noGrad(() =>
    tidy(() => {
      const x = fromArray([batch.n, ...shape], batch.x);
      const a = net.first.conv.forward(x);
      const y = activation("relu6", net.first.bn.forward(a));
      return [keep(a), keep(net.second.conv.forward(y))];
    })
  );
  const [ha, hb] = await readAll([a, b]);
  const stats = [channelStats(ha, a.shape), channelStats(hb, b.shape)];
  a.dispose();
  b.dispose();
  return stats;
}

function averageOf(perBatch: { mean: Float64Array; variance: Float64Array }[]) {
  const c = perBatch[0].mean.length;
  const mean = new Float64Array(c);
  const variance = new Float64Array(c);
  for (const s of perBatch) {
    for (let ch = 0; ch < c; ch++) {
      mean[ch] += s.mean[ch] / perBatch.length;
      variance[ch] += s.variance[ch] / perBatch.length;
    }
  }
  return { mean, variance };
}

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

gpuTest(
  "BN recalibration: running stats become the batch average, and nothing else moves",
  async () => {
    const rng = new Rng(17);
    const net = new Probe(rng);
    // Non-trivial affine parameters, so the second BN's input depends on them.
    for (const bn of [net.first.bn, net.second.bn]) {
      upload(bn.gamma, Float32Array.from({ length: bn.channels }, () => rng.uniform(0.5, 2)));
      upload(bn.beta, Float32Array.from({ length: bn.channels }, () => rng.uniform(-1, 1)));
    }
    const batches = randomBatches(rng, 3, 4);
    net.train();
    const perBatch = [];
    for (const batch of batches) perBatch.push(await bnInputStats(net, batch));

    // Stale statistics, a non-finite one among them, that the recalibration must replace.
    upload(net.first.bn.runningMean, Float32Array.from([5, NaN, -3, 2, 1]));
    upload(net.second.bn.runningVar, new Float32Array(4).fill(40));
    upload(net.unreached.runningMean, Float32Array.from([1, 2, 3, 4]));
    const params = net.parameters();
    const untouched = [
      ...params.map((p) => p.tensor),
      net.unreached.runningMean,
      net.unreached.runningVar,
    ];
    const before = await readAll(untouched);

    const result = await recalibrateBatchNorm(net, batches, { imageShape: shape });
    assert.deepEqual(result, { batches: 3, batchNorms: 2 });
    assert.equal(net.training, false, "left in eval mode");

    const [m1, v1, m2, v2] = await readAll([
      net.first.bn.runningMean,
      net.first.bn.runningVar,
      net.second.bn.runningMean,
      net.second.bn.runningVar,
    ]);
    const first = averageOf(perBatch.map((s) => s[0]));
    const second = averageOf(perBatch.map((s) => s[1]));
    assertClose(m1, first.mean, "first BN running mean");
    assertClose(v1, first.variance, "first BN running var (mean of unbiased batch variances)");
    assertClose(m2, second.mean, "second BN running mean");
    assertClose(v2, second.variance, "second BN running var");

    const after = await readAll(untouched);
    after.forEach((a, i) => {
      const name = i < params.length ? params[i].name : "unreached BN buffer";
      assert.deepEqual(bits(a), bits(before[i]), `${name} changed`);
    });
    assert.ok(params.every((p) => p.tensor.grad === null), "no gradients recorded");

    // maxBatches: only the first two batches count.
    const two = await recalibrateBatchNorm(net, batches, { imageShape: shape, maxBatches: 2 });
    assert.equal(two.batches, 2);
    const [m2b] = await readAll([net.second.bn.runningMean]);
    assertClose(m2b, averageOf(perBatch.slice(0, 2).map((s) => s[1])).mean, "two-batch mean");
    net.dispose();
  },
);
