/**
 * Batch-norm statistics from the partials the strip conv writes as it produces its
 * output (src/ops/strip_partials.ts, kernels/bn_partial_stats.ts) against the CPU
 * reference of conv → BN → ReLU6: the output, the running statistics, and dx, dw, dγ,
 * dβ. Shapes cover 1×1 convs with 8- and 16-pixel strips, rows that end in a short
 * strip (whose pixels past the row's end, non-zero for a 3×3 conv, must be left out),
 * stride 2, a partial channel block, a large offset (where E[x²] − E[x]² of unshifted
 * sums would lose the variance), and the fallbacks: channels not in vec4 quads, planes
 * under 7×7, the tiled kernels, eval mode, and partials freed before the batch norm ran.
 * The depthwise forward's partials (one a lane, over its blocks of one or several
 * images) are checked the same way. Elements whose bn(y) lies within rounding of ReLU6's
 * corners get no output gradient: float32 may clamp them where float64 does not.
 */
import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { batchNormAct } from "../src/ops/batch_norm.ts";
import { conv2d } from "../src/ops/conv2d.ts";
import { depthwiseConv2d } from "../src/ops/depthwise_conv2d.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { stripPartialsOf } from "../src/ops/strip_partials.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll, type Tensor } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(41);

interface Case {
  /** Conv input [N, C, H, W], output channels (C for a depthwise conv), kernel, stride. */
  x: number[];
  co: number;
  /** A depthwise conv (groups = C) instead of a dense one. */
  depthwise?: boolean;
  k: number;
  stride: 1 | 2;
  /** Added to every input value (and so, through the weights, to every output). */
  offset: number;
  /** Whether the strip kernel can write partials for this conv. */
  partials: boolean;
}

const cases: Case[] = [
  // 1×1 over 7×7 planes: 8-pixel strips, each plane's last one a single pixel.
  { x: [4, 12, 7, 7], co: 16, k: 1, stride: 1, offset: 0, partials: true },
  // 1×1 over 8×8 planes: whole strips; 20 channels, a partial block of 16.
  { x: [3, 8, 8, 8], co: 20, k: 1, stride: 1, offset: 0.5, partials: true },
  // Wide 16-pixel strips (≥ 2^24 MACs) over 14×14 planes: each plane's last strip 4 pixels.
  { x: [16, 64, 14, 14], co: 128, k: 1, stride: 1, offset: 0, partials: true },
  // 3×3 over 10-wide rows: the last strip's pixels past the row read real input.
  { x: [2, 3, 10, 10], co: 8, k: 3, stride: 1, offset: 0, partials: true },
  { x: [2, 4, 16, 16], co: 12, k: 3, stride: 2, offset: 0, partials: true },
  // Outputs far from zero against their spread.
  { x: [4, 8, 8, 8], co: 8, k: 1, stride: 1, offset: 60, partials: true },
  // Channels not in vec4 quads, and planes under 7×7: the statistics pass.
  { x: [2, 5, 7, 7], co: 6, k: 1, stride: 1, offset: 0, partials: false },
  { x: [8, 8, 4, 4], co: 16, k: 1, stride: 1, offset: 0, partials: false },
];

/**
 * Depthwise convs: whole-row blocks (14×14, 28×28 → 14×14), whole-plane blocks (7×7
 * and 5×5; at 64×64 and 64×128 several images a lane, whose partial spans them all),
 * and the fallbacks: channels not in quads, blocks that overhang a 36-wide plane.
 */
const depthwiseCases: Case[] = [
  { x: [4, 8, 14, 14], co: 8, k: 3, stride: 1, offset: 0, partials: true, depthwise: true },
  { x: [2, 12, 28, 28], co: 12, k: 3, stride: 2, offset: 0.5, partials: true, depthwise: true },
  { x: [3, 4, 5, 5], co: 4, k: 5, stride: 1, offset: 0, partials: true, depthwise: true },
  { x: [64, 64, 7, 7], co: 64, k: 3, stride: 1, offset: 0, partials: true, depthwise: true },
  { x: [64, 128, 4, 4], co: 128, k: 3, stride: 1, offset: 0, partials: true, depthwise: true },
  { x: [4, 8, 14, 14], co: 8, k: 3, stride: 1, offset: 60, partials: true, depthwise: true },
  { x: [32, 24, 14, 14], co: 24, k: 3, stride: 2, offset: 0, partials: true, depthwise: true },
  { x: [32, 48, 7, 7], co: 48, k: 3, stride: 1, offset: 0, partials: true, depthwise: true },
  { x: [2, 6, 14, 14], co: 6, k: 3, stride: 1, offset: 0, partials: false, depthwise: true },
  { x: [2, 4, 36, 36], co: 4, k: 3, stride: 1, offset: 0, partials: false, depthwise: true },
];

/** The inputs of one case on the host: conv input and weights, BN's parameters. */
function hostCase(c: Case) {
  const x = ref.randomHost(c.x, rng, 1);
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.fround(x.data[i] + c.offset);
  const cin = c.depthwise ? 1 : c.x[1];
  const w = ref.randomHost([c.co, cin, c.k, c.k], rng, 1 / Math.sqrt(cin * c.k * c.k));
  return {
    x,
    w,
    gamma: ref.randomHost([c.co], rng, 3),
    beta: ref.randomHost([c.co], rng, 2),
    runMean: ref.randomHost([c.co], rng),
    runVar: ref.hostTensor([c.co], Array.from({ length: c.co }, () => rng.uniform(0.5, 2))),
  };
}

type Host = ReturnType<typeof hostCase>;

/** relu6(bn(conv(x))) and its backward on the GPU; whether y carried partials. */
async function runGpu(
  variant: "register" | "tiled",
  c: Case,
  h: Host,
  dout: ref.HostTensor,
  opts: {
    training: boolean;
    momentum: number;
    eps: number;
    freePartials?: boolean;
  },
) {
  const x = requireGrad(toGpu(h.x, "x"));
  const w = requireGrad(toGpu(h.w, "w"));
  const gamma = requireGrad(toGpu(h.gamma, "gamma"));
  const beta = requireGrad(toGpu(h.beta, "beta"));
  const runMean = toGpu(h.runMean, "rm");
  const runVar = toGpu(h.runVar, "rv");
  let carried = false;
  try {
    const out = withKernelVariant(variant, () =>
      tidy(() => {
        const statistics = opts.training;
        const y = c.depthwise
          ? depthwiseConv2d(x, w, { stride: c.stride, statistics })
          : conv2d(x, w, { stride: c.stride, variant, statistics });
        carried = stripPartialsOf(y) !== null;
        if (opts.freePartials) stripPartialsOf(y)?.stats.dispose();
        const z = batchNormAct(y, gamma, beta, runMean, runVar, { ...opts, act: "relu6" });
        backward(z, toGpu(dout, "dout"));
        return z;
      }));
    const [z, rm, rv, dx, dw, dgamma, dbeta] = await readAll([
      out,
      runMean,
      runVar,
      x.grad!,
      w.grad!,
      gamma.grad!,
      beta.grad!,
    ]);
    out.dispose();
    return { z, rm, rv, dx, dw, dgamma, dbeta, carried };
  } finally {
    for (const t of [x, w, gamma, beta, runMean, runVar] as Tensor[]) t.dispose();
  }
}

/** Checks one case against the reference of conv → BN (training) → ReLU6. */
async function assertTrainingCase(
  variant: "register" | "tiled",
  c: Case,
  freePartials = false,
): Promise<boolean> {
  const h = hostCase(c);
  const conv = { stride: c.stride, groups: c.depthwise ? c.x[1] : 1 };
  const eps = 1e-5;
  const momentum = 0.3;
  const y = ref.conv2d(h.x, h.w, conv);
  const bn = ref.batchNorm2dTrain(y, h.gamma, h.beta, eps);
  const out = ref.ACTIVATIONS.relu6.forward(bn.y);
  const dout = ref.randomHost(out.shape, rng);
  // Where bn(y) lies within float rounding of ReLU6's corners (0 or 6), a float32 run
  // may take either side of the clamp: give those elements no gradient to pass.
  for (let i = 0; i < dout.data.length; i++) {
    const v = bn.y.data[i];
    if (Math.abs(v) < 1e-4 || Math.abs(v - 6) < 1e-4) dout.data[i] = 0;
  }
  const g = await runGpu(variant, c, h, dout, { training: true, momentum, eps, freePartials });
  const dz = ref.ACTIVATIONS.relu6.backward(bn.y, dout);
  const bnGrads = ref.batchNorm2dBackward(y, h.gamma, bn.mean, bn.invStd, dz);
  const convGrads = ref.conv2dBackward(h.x, h.w, bnGrads.dx, conv);
  ref.updateRunningStats(h.runMean, h.runVar, bn.mean, bn.varUnbiased, momentum);
  const what = `${variant} ${c.depthwise ? "depthwise " : ""}${c.x} → ${c.co} k${c.k} ` +
    `s${c.stride} offset ${c.offset}`;
  assertClose(g.z, out.data, `output ${what}`);
  assertClose(g.rm, h.runMean.data, `running mean ${what}`);
  assertClose(g.rv, h.runVar.data, `running var ${what}`);
  assertClose(g.dgamma, bnGrads.dgamma.data, `dgamma ${what}`);
  assertClose(g.dbeta, bnGrads.dbeta.data, `dbeta ${what}`);
  assertClose(g.dx, convGrads.dx.data, `dx ${what}`);
  // dw = Σ x·dy cancels where x sits far from zero: 2e-4 with or without partials.
  assertClose(g.dw, convGrads.dw.data, `dw ${what}`, c.offset > 10 ? 1e-3 : 1e-4);
  return g.carried;
}

gpuTest(
  "conv2d → batchNormAct: statistics from the strip partials match the reference",
  async () => {
    for (const c of cases) {
      const carried = await assertTrainingCase("register", c);
      assert.equal(carried, c.partials, `partials written for ${c.x} → ${c.co} k${c.k}`);
    }
  },
);

gpuTest(
  "depthwiseConv2d → batchNormAct: statistics from the blocks' partials match the reference",
  async () => {
    for (const c of depthwiseCases) {
      const carried = await assertTrainingCase("register", c);
      assert.equal(carried, c.partials, `partials written for depthwise ${c.x} k${c.k}`);
    }
  },
);

gpuTest("depthwiseConv2d → batchNormAct (tiled): no partials, the statistics pass", async () => {
  assert.equal(await assertTrainingCase("tiled", depthwiseCases[0]), false);
}, { slowOnGl: true });

gpuTest("conv2d → batchNormAct: freed partials fall back to the statistics pass", async () => {
  assert.equal(await assertTrainingCase("register", cases[0], true), true);
});

gpuTest("conv2d → batchNormAct (tiled): no partials, the statistics pass", async () => {
  assert.equal(await assertTrainingCase("tiled", cases[0]), false);
}, { slowOnGl: true });

gpuTest("conv2d → batchNormAct (eval): no partials, the running statistics", async () => {
  const c = cases[0];
  const h = hostCase(c);
  const eps = 1e-5;
  const y = ref.conv2d(h.x, h.w, { stride: 1, groups: 1 });
  const z = ref.batchNorm2dEval(y, h.gamma, h.beta, h.runMean, h.runVar, eps);
  const out = ref.ACTIVATIONS.relu6.forward(z);
  const g = await runGpu("register", c, h, ref.randomHost(out.shape, rng), {
    training: false,
    momentum: 0.1,
    eps,
  });
  assert.equal(g.carried, false);
  assertClose(g.z, out.data, "eval output");
});
