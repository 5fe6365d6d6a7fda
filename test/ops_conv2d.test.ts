/**
 * Dense conv2d on the GPU against the float64 CPU reference: forward, input gradient
 * and weight gradient, for both kernel families, over kernel sizes 1/3/5/7, strides
 * 1/2, odd sizes, batch 1 and 3, and channel counts that are not multiples of 4;
 * each case also through autograd.
 */
import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import {
  conv2d,
  conv2dBackwardInput,
  conv2dBackwardWeight,
  conv2dForward,
  withReusedWeightPacks,
} from "../src/ops/conv2d.ts";
import {
  conv2d as refConv2d,
  conv2dBackward as refConv2dBackward,
} from "../src/reference/conv2d.ts";
import { randomHost } from "../src/reference/host_tensor.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { fromArray, zeros } from "../src/tensor/creation.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";
import type { KernelVariant } from "../src/gpu/device.ts";
import type { Gpu } from "../src/gpu/gpu.ts";
import { convShape } from "../kernels/conv2d.ts";
import {
  chunkByUniform,
  forwardStripSpec,
  inputGradStripSpecs,
} from "../kernels/conv2d_register.ts";
import { gemmWeightGradSpec } from "../kernels/conv2d_register_weight_grad.ts";

/** [N, C, H, W, Co, k, stride] */
type Case = [number, number, number, number, number, number, 1 | 2];

const CASES: Case[] = [
  [1, 3, 7, 9, 5, 1, 1], // 1×1 as a GEMM over a 63-pixel plane (scalar loads)
  [2, 4, 8, 8, 8, 1, 1], // 1×1 GEMM with vec4 loads and stores
  [4, 32, 16, 16, 520, 1, 1], // ≥ 2^24 MACs: 16-pixel × 32-channel strips, a partial block
  [4, 40, 16, 16, 1100, 1, 1], // dx sums 1100 channels in three uniform parts, 32-channel blocks
  [4, 37, 8, 8, 67, 1, 1], // 1×1 dW: partial channel blocks on both sides, two k slots
  [3, 5, 9, 9, 6, 1, 1], // 1×1 dW: scalar k steps (H·W odd), four k slots
  [3, 6, 5, 5, 10, 1, 2], // 1×1 stride 2: odd rows and columns of dx are zero
  [1, 3, 7, 9, 5, 3, 1],
  [2, 1, 12, 12, 16, 3, 1], // stem: 1 input channel, 16-channel blocks
  [1, 3, 9, 9, 12, 5, 2], // stem-like 5×5 stride 2, a partial 16-channel block
  [3, 6, 5, 5, 10, 3, 2],
  [2, 4, 16, 16, 8, 3, 2], // vec4 windows with stride 2
  [3, 5, 12, 20, 6, 3, 1], // vec4 strips running past the row end
  [1, 3, 7, 9, 5, 5, 1],
  [3, 6, 5, 5, 10, 5, 2],
  [1, 5, 9, 7, 6, 7, 1],
  [3, 6, 7, 9, 5, 7, 2],
  [2, 64, 6, 8, 40, 3, 1], // packed weights span two uniform-buffer chunks
  [1, 44, 5, 6, 45, 7, 1], // narrower blocks so that one fits a uniform buffer
  [1, 90, 5, 6, 8, 7, 1], // even a 4-channel block exceeds a uniform buffer: reduction parts
];

async function checkCase(variant: KernelVariant, [n, c, h, w, co, k, s]: Case, rng: Rng) {
  const xh = randomHost([n, c, h, w], rng);
  const wh = randomHost([co, c, k, k], rng);
  const yh = refConv2d(xh, wh, { stride: s, groups: 1 });
  const dyh = randomHost(yh.shape, rng);
  const ref = refConv2dBackward(xh, wh, dyh, { stride: s, groups: 1 });
  const x = toGpu(xh, "x");
  const wt = toGpu(wh, "w");
  const dy = toGpu(dyh, "dy");
  const y = conv2dForward(x, wt, s, variant);
  const dx = conv2dBackwardInput(dy, wt, x.shape, s, variant);
  const dw = conv2dBackwardWeight(x, dy, wt.shape, s, variant);
  const [ya, dxa, dwa] = await readAll([y, dx, dw]);
  const label = `${variant} x[${n},${c},${h},${w}] w[${co},${c},${k},${k}] stride ${s}`;
  assert.deepEqual(y.shape, yh.shape, `${label}: y shape`);
  assertClose(ya, yh.data, `${label}: y`);
  assertClose(dxa, ref.dx.data, `${label}: dx`);
  assertClose(dwa, ref.dw.data, `${label}: dw`);
  // Through autograd (x needs a gradient): the register form packs the weights for
  // the forward and for dx in one dispatch and keeps the second packing for backward.
  const xg = requireGrad(toGpu(xh, "xg"));
  const yg = conv2d(xg, wt, { stride: s, variant });
  backward(yg, dy);
  const [yga, dxga] = await readAll([yg, xg.grad!]);
  assertClose(yga, yh.data, `${label}: y (autograd)`);
  assertClose(dxga, ref.dx.data, `${label}: dx (autograd)`);
  for (const t of [x, wt, dy, y, dx, dw, xg, yg]) t.dispose();
}

for (const variant of ["register", "tiled"] as const) {
  gpuTest(`conv2d ${variant}: forward, dx and dw match the reference`, async () => {
    const rng = new Rng(7);
    for (const c of CASES) await checkCase(variant, c, rng);
  }, { slowOnGl: variant === "tiled" }); // 17.5 minutes on GL llvmpipe

  gpuTest(`conv2d ${variant}: autograd gives dx and dw only where required`, async () => {
    const rng = new Rng(11);
    const xh = randomHost([2, 3, 6, 7], rng);
    const wh = randomHost([5, 3, 3, 3], rng);
    const dyh = randomHost([2, 5, 3, 4], rng);
    const ref = refConv2dBackward(xh, wh, dyh, { stride: 2, groups: 1 });
    const x = requireGrad(toGpu(xh, "x"));
    const w = requireGrad(toGpu(wh, "w"));
    const y = conv2d(x, w, { stride: 2, variant });
    assert.deepEqual(y.shape, [2, 5, 3, 4]);
    backward(y, toGpu(dyh, "dy"));
    const [dx, dw] = await readAll([x.grad!, w.grad!]);
    assertClose(dx, ref.dx.data, `${variant} autograd dx`);
    assertClose(dw, ref.dw.data, `${variant} autograd dw`);

    // Only w needs a gradient: x gets none.
    const x2 = toGpu(xh, "x2");
    const w2 = requireGrad(toGpu(wh, "w2"));
    backward(conv2d(x2, w2, { stride: 2, variant }), toGpu(dyh, "dy2"));
    assert.equal(x2.grad, null);
    assertClose(await w2.grad!.read(), ref.dw.data, `${variant} autograd dw (x constant)`);
  });

  gpuTest(`conv2d ${variant}: the weight gradient is bitwise deterministic`, async () => {
    const rng = new Rng(3);
    const x = toGpu(randomHost([3, 8, 10, 10], rng), "x");
    const dy = toGpu(randomHost([3, 12, 10, 10], rng), "dy");
    const a = conv2dBackwardWeight(x, dy, [12, 8, 3, 3], 1, variant);
    const b = conv2dBackwardWeight(x, dy, [12, 8, 3, 3], 1, variant);
    const [da, db] = await readAll([a, b]);
    assert.deepEqual(da, db);
  });
}

/** What `fn` returns and the weight packings it dispatched. */
function countingPacks<T>(gpu: Gpu, fn: () => T): { result: T; packs: number } {
  let packs = 0;
  const dispatch = gpu.dispatch;
  gpu.dispatch = (kernel, buffers, groups, label) => {
    if (label?.startsWith("conv2d pack")) packs++;
    return dispatch.call(gpu, kernel, buffers, groups, label);
  };
  try {
    return { result: fn(), packs };
  } finally {
    gpu.dispatch = dispatch;
  }
}

gpuTest(
  "conv2d: inside withReusedWeightPacks each weight is packed once, the outputs unchanged",
  async (gpu) => {
    const rng = new Rng(5);
    const x = toGpu(randomHost([2, 8, 9, 9], rng), "x");
    const w1 = toGpu(randomHost([12, 8, 3, 3], rng), "w1");
    const w2 = toGpu(randomHost([8, 8, 1, 1], rng), "w2");
    const three = () => [conv2dForward(x, w1, 1), conv2dForward(x, w2, 2), conv2dForward(x, w1, 1)];
    const outside = countingPacks(gpu, three);
    assert.equal(outside.packs, 3, "outside: one packing a conv");
    const inside = countingPacks(
      gpu,
      () => withReusedWeightPacks(() => withReusedWeightPacks(three)),
    );
    assert.equal(inside.packs, 2, "inside, nested too: one packing a weight");
    assert.deepEqual(await readAll(inside.result), await readAll(outside.result), "bit for bit");
    // After the scope the packings are gone: packed afresh again.
    assert.equal(
      countingPacks(gpu, () => three().forEach((t) => t.dispose())).packs,
      3,
    );
  },
);

gpuTest("conv2d: bad shapes and options throw one clear error", () => {
  const x = zeros([2, 3, 8, 8]);
  const w = zeros([4, 3, 3, 3]);
  assert.throws(
    () => conv2d(x, zeros([4, 5, 3, 3]), { stride: 1 }),
    /5 input channels but x has 3/,
  );
  assert.throws(() => conv2d(x, zeros([4, 3, 4, 4]), { stride: 1 }), /kernel 4×4 is not supported/);
  assert.throws(() => conv2d(x, zeros([4, 3, 3, 5]), { stride: 1 }), /kernel 3×5 is not supported/);
  assert.throws(() => conv2d(x, w, { stride: 3 as 1 }), /stride 3 is not supported/);
  assert.throws(() => conv2d(x, w, { stride: 1, groups: 3 }), /use depthwiseConv2d/);
  assert.throws(() => conv2d(zeros([3, 8, 8]), w, { stride: 1 }), /x must be rank 4/);
  assert.throws(() => conv2d(x, zeros([4, 3, 3]), { stride: 1 }), /w must be rank 4/);
  assert.throws(
    () => conv2dBackwardInput(zeros([2, 4, 4, 4]), w, x.shape, 1),
    /dy is \[2,4,4,4\] but .* give y \[2,4,8,8\]/,
  );
  assert.throws(
    () => conv2dBackwardWeight(x, zeros([2, 4, 8, 8]), w.shape, 2),
    /dy is \[2,4,8,8\] but .* give y \[2,4,4,4\]/,
  );
  const xi = fromArray([1, 1, 1, 1], new Int32Array([1]));
  assert.throws(() => conv2dForward(xi, zeros([1, 1, 1, 1]), 1), /is i32; conv needs f32/);
});

Deno.test("conv2d plans: the 1×1 weight gradient takes large blocks only for large convs", () => {
  const head = gemmWeightGradSpec(convShape([64, 160, 4, 4], [1280, 160, 1, 1], 1));
  assert.deepEqual([head.bo, head.bc, head.vk], [32, 32, 4]);
  const small = gemmWeightGradSpec(convShape([32, 96, 7, 7], [32, 96, 1, 1], 1));
  assert.deepEqual([small.bo, small.bc, small.vk], [16, 16, 1]);
  assert.ok(small.slots > 1, "a small conv splits its k range over several slots");
});

Deno.test("conv2d plans: stride-2 input gradient visits exactly the taps that hit", () => {
  // k = 3, pad = 1: even rows ih get dy row (ih + 1 − a)/2 for a = 1 only; odd rows
  // for a = 0 and 2. Columns likewise, per pixel of an (even-length) strip.
  const specs = inputGradStripSpecs(convShape([1, 4, 9, 9], [6, 4, 3, 3], 2));
  assert.equal(specs.length, 2);
  const rowsOf = (i: number) => {
    const t = specs[i].rowTaps;
    return Array.from({ length: t.count }, (_, j) => t.a0 + j * t.aStep);
  };
  assert.deepEqual(rowsOf(0), [1]);
  assert.deepEqual(rowsOf(1), [0, 2]);
  assert.deepEqual([specs[0].rows, specs[1].rows], [5, 4]);
  assert.deepEqual(specs[0].colTaps[0].map((t) => t.b), [1]);
  assert.deepEqual(specs[0].colTaps[1].map((t) => t.b), [0, 2]);
});

Deno.test("conv2d plans: 1×1 convs take the 16–32-channel block that computes fewest extra channels", () => {
  const blocks = (x: number[], w: number[]) => {
    const g = convShape(x, w, 1);
    return [forwardStripSpec(g), ...inputGradStripSpecs(g)].map((s) => s.ob);
  };
  assert.deepEqual(blocks([64, 40, 7, 7], [40, 40, 1, 1]), [20, 20]); // 2 blocks, not 3 of 16
  assert.deepEqual(blocks([64, 40, 7, 7], [120, 40, 1, 1]), [24, 20]); // 5 × 24; dx 2 × 20
  assert.deepEqual(blocks([64, 96, 7, 7], [16, 96, 1, 1]), [16, 32]);
  assert.deepEqual(blocks([64, 8, 7, 7], [40, 8, 1, 1]), [16, 8]); // an 8-channel reduction keeps 16
  assert.deepEqual(blocks([64, 40, 7, 7], [40, 40, 3, 3]), [8, 8]); // k×k convs are unchanged
});

Deno.test("conv2d plans: weights are split into uniform-buffer chunks that cover every block", () => {
  const spec = forwardStripSpec(convShape([2, 64, 8, 8], [40, 64, 3, 3], 1));
  const chunks = chunkByUniform(spec);
  assert.ok(chunks.length > 1);
  let next = 0;
  for (const ch of chunks) {
    assert.equal(ch.weights, "uniform");
    assert.equal(ch.blockFirst, next);
    assert.ok(ch.blockCount * ch.cIn * ch.k * ch.k * ch.ob * 4 <= 65536);
    next += ch.blockCount;
  }
  assert.equal(next, spec.blockCount);
  // 300·9 weights a channel: 8-channel blocks would not fit, 4-channel ones do.
  const narrowed = forwardStripSpec(convShape([1, 300, 4, 4], [8, 300, 3, 3], 1));
  assert.equal(narrowed.ob, 4);
  assert.deepEqual(chunkByUniform(narrowed).map((c) => c.weights), ["uniform", "uniform"]);
  // 500·9·4 weights exceed a uniform buffer even in one 4-channel block: the
  // reduction is split into parts of 455 and 45 channels.
  const big = forwardStripSpec(convShape([1, 500, 4, 4], [8, 500, 3, 3], 1));
  assert.deepEqual(chunkByUniform(big).map((c) => [c.blockFirst, c.redFirst, c.redCount]), [
    [0, 0, 455],
    [0, 455, 45],
    [1, 0, 455],
    [1, 455, 45],
  ]);
});

Deno.test("conv2d plans: a wide input gradient splits a long reduction into uniform parts", () => {
  // dx of a 160 → 1280 1×1 conv: 32-channel blocks of 1280·32 weights (160 KiB) each
  // become three parts of ≤ 512 channels; the parts after the first add into dx.
  const [spec] = inputGradStripSpecs(convShape([64, 160, 4, 4], [1280, 160, 1, 1], 1));
  assert.equal(spec.ob, 32);
  const parts = chunkByUniform(spec);
  assert.equal(parts.length, 5 * 3);
  for (let b = 0; b < 5; b++) {
    const mine = parts.filter((p) => p.blockFirst === b);
    assert.deepEqual(mine.map((p) => [p.redFirst, p.redCount, p.accumulate]), [
      [0, 512, false],
      [512, 512, true],
      [1024, 256, true],
    ]);
    for (const p of mine) assert.equal(p.weights, "uniform");
  }
});
