/**
 * Dense 2-D convolution (groups = 1) with autograd: 'same' padding (k − 1)/2,
 * k ∈ {1, 3, 5, 7}, stride 1 or 2, no bias, NCHW. Cross-correlation, as in PyTorch.
 *
 * Two kernel families, picked by `gpu.info.variant` unless a caller names one:
 * "register" (register-blocked strips, weights in a uniform buffer; for llvmpipe) and
 * "tiled" (workgroup-memory implicit GEMM; for real GPUs). See kernels/conv2d_*.ts.
 * Depthwise convolution (groups = C = Co) is `depthwiseConv2d` in depthwise_conv2d.ts.
 *
 * The forward and the weight gradient can read x through a batch norm and its
 * activation (`NormalizedSource`, src/ops/bn_act_conv2d.ts), in both families; the
 * register family's weight gradient only for 1×1 stride-1 convs (its GEMM kernel).
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import {
  type ConvShape,
  convShape,
  foldGroups,
  packedWeightCount,
  packWeightsInvocations,
  packWeightsPairWgsl,
  packWeightsWgsl,
  shapeKey,
  sumPartialsInvocations,
  sumPartialsWgsl,
} from "../../kernels/conv2d.ts";
import {
  chunkByUniform,
  fitStripWorkgroup,
  forwardStripSpec,
  inputGradStripSpecs,
  type StripConvSpec,
  stripConvWgsl,
  stripCount,
  UNIFORM_BYTES,
  uniformWeightRange,
} from "../../kernels/conv2d_register.ts";
import {
  gemmWeightGradInvocations,
  gemmWeightGradSpec,
  gemmWeightGradWgsl,
  weightGradInvocations,
  weightGradSpec,
  weightGradStripWgsl,
} from "../../kernels/conv2d_register_weight_grad.ts";
import {
  tiledForward,
  tiledInputGrad,
  tiledWeightGrad,
  tiledWeightGradChunks,
} from "../../kernels/conv2d_tiled.ts";
import type { KernelVariant } from "../gpu/device.ts";
import type { Bindable, Gpu } from "../gpu/gpu.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine, keep } from "../tensor/engine.ts";
import { sameShape, shapeStr, type Tensor } from "../tensor/tensor.ts";
import type { NormalizedSource } from "./batch_norm.ts";
import { attachStripPartials } from "./strip_partials.ts";

/** Options of `conv2d`. */
export interface Conv2dOptions {
  stride: 1 | 2;
  /** Only 1 is supported here; depthwise conv is `depthwiseConv2d`. */
  groups?: number;
  /** Overrides `gpu.info.variant` (tests run both). */
  variant?: KernelVariant;
  /**
   * A training-mode batch norm reads the output: where the kernel can, the forward
   * also writes its per-channel statistics partials (src/ops/strip_partials.ts).
   */
  statistics?: boolean;
}

const KERNEL_SIZES = [1, 3, 5, 7];

/** Checks shapes and options; returns the conv geometry or throws one clear line. */
export function conv2dGeometry(
  op: string,
  xShape: readonly number[],
  wShape: readonly number[],
  stride: number,
  groups = 1,
): ConvShape {
  const shapes = `x ${shapeStr(xShape)}, w ${shapeStr(wShape)}`;
  if (groups !== 1) {
    throw new Error(
      `${op}: groups = ${groups} is not supported (${shapes}); conv2d is dense (groups = 1), ` +
        `use depthwiseConv2d for depthwise convolution (groups = C = Co)`,
    );
  }
  if (xShape.length !== 4) {
    throw new Error(`${op}: x must be rank 4 [N, C, H, W] (${shapes})`);
  }
  if (wShape.length !== 4) {
    throw new Error(`${op}: w must be rank 4 [Co, C, k, k] (${shapes})`);
  }
  if ([...xShape, ...wShape].some((d) => !Number.isInteger(d) || d < 1)) {
    throw new Error(`${op}: every dimension must be a positive integer (${shapes})`);
  }
  if (wShape[2] !== wShape[3] || !KERNEL_SIZES.includes(wShape[2])) {
    throw new Error(
      `${op}: kernel ${wShape[2]}×${wShape[3]} is not supported (${shapes}); ` +
        `use a square kernel of size 1, 3, 5 or 7`,
    );
  }
  if (wShape[1] !== xShape[1]) {
    throw new Error(
      `${op}: w has ${wShape[1]} input channels but x has ${xShape[1]} (${shapes})`,
    );
  }
  if (stride !== 1 && stride !== 2) {
    throw new Error(`${op}: stride ${stride} is not supported (${shapes}); use 1 or 2`);
  }
  return convShape(xShape, wShape, stride);
}

function assertF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== "f32") throw new Error(`${op}: ${t.describe()} is ${t.dtype}; conv needs f32`);
  }
}

function pickVariant(variant?: KernelVariant): KernelVariant {
  return variant ?? engine.gpu.info.variant;
}

// ---------------------------------------------------------------- weight staging

/**
 * Uniform buffers that hold packed weights while a register-variant dispatch reads
 * them. Each dispatch copies its weights in first; copies and dispatches run in
 * stream order, so one buffer per chunk index serves every conv of every step.
 */
const uniformSlots = new WeakMap<Gpu, GPUBuffer[]>();

function uniformSlot(gpu: Gpu, index: number): GPUBuffer {
  let slots = uniformSlots.get(gpu);
  if (!slots) uniformSlots.set(gpu, slots = []);
  while (slots.length <= index) {
    slots.push(gpu.device.createBuffer({
      size: UNIFORM_BYTES,
      usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST,
      label: `conv2d weights ${slots.length}`,
    }));
  }
  return slots[index];
}

/**
 * The forward and the input-gradient packings of w in one dispatch (a training step
 * needs both, from the same weights; one dispatch instead of two).
 */
function packWeightsPair(w: Tensor, blockFwd: number, blockDx: number): [Tensor, Tensor] {
  const gpu = engine.gpu;
  const [co, c, k] = w.shape;
  const countFwd = packedWeightCount(co, c, k, blockFwd, false);
  const countDx = packedWeightCount(co, c, k, blockDx, true);
  const packed = empty([countFwd], { name: "conv2d.packed" });
  const packedT = empty([countDx], { name: "conv2d.packedT" });
  const grid = grid1D(packWeightsInvocations(countFwd + countDx), ELEMENTWISE_WG);
  const kernel = gpu.kernel(
    `conv2d_pack2:${co},${c},${k}:${blockFwd}:${blockDx}`,
    () => packWeightsPairWgsl(co, c, k, blockFwd, blockDx, grid, ELEMENTWISE_WG),
  );
  const label = `conv2d pack ${w.describe()} (forward and input gradient)`;
  gpu.dispatch(kernel, [w.buffer, packed.buffer, packedT.buffer], grid.groups, label);
  return [packed, packedT];
}

/** The forward packings kept by `withReusedWeightPacks`, by weight and block; null outside. */
let reusedPacks: Map<string, Tensor> | null = null;

/**
 * Runs `fn` with every conv weight's forward packing made once and reused, for work in
 * which no weight changes: an architecture step's forward passes, which otherwise repack
 * each conv's weights in every pass (39 passes a step for paired-all in the manual space).
 * The packings are freed when `fn` returns; a nested call shares the outer one's.
 */
export function withReusedWeightPacks<T>(fn: () => T): T {
  if (reusedPacks) return fn();
  reusedPacks = new Map();
  try {
    return fn();
  } finally {
    for (const packed of reusedPacks.values()) packed.dispose();
    reusedPacks = null;
  }
}

/** The forward packing of w: reused inside `withReusedWeightPacks`, else made for one use. */
function forwardPack(w: Tensor, block: number): { packed: Tensor; owned: boolean } {
  if (!reusedPacks) return { packed: packWeights(w, block, false), owned: true };
  const key = `${w.id}:${block}`;
  let packed = reusedPacks.get(key);
  if (!packed) reusedPacks.set(key, packed = keep(packWeights(w, block, false)));
  return { packed, owned: false };
}

/** Repacks w into blocks of `block` output channels (see packWeightsWgsl). */
function packWeights(w: Tensor, block: number, transpose: boolean): Tensor {
  const gpu = engine.gpu;
  const [co, c, k] = w.shape;
  const count = packedWeightCount(co, c, k, block, transpose);
  const packed = empty([count], { name: "conv2d.packed" });
  const grid = grid1D(packWeightsInvocations(count), ELEMENTWISE_WG);
  const kernel = gpu.kernel(
    `conv2d_pack:${co},${c},${k}:${block}:${transpose}`,
    () => packWeightsWgsl(co, c, k, block, transpose, grid, ELEMENTWISE_WG),
  );
  gpu.dispatch(kernel, [w.buffer, packed.buffer], grid.groups, `conv2d pack ${w.describe()}`);
  return packed;
}

/** One strip dispatch, ready to record: its spec, pipeline key and grid. */
interface StripDispatch {
  spec: StripConvSpec;
  key: string;
  groups: [number, number, number];
}

/**
 * A register-variant forward conv or input gradient, planned once per shape:
 * dispatches[chunk][spec] (stride-2 input gradients have one spec per row parity).
 */
interface StripPlan {
  /** Output channels per packed weight block. */
  ob: number;
  dispatches: StripDispatch[][];
  /** Where the statistics epilogue's partials lie, when the dispatches write them. */
  statistics: StripLayout | null;
}

/** The strips of a forward plan's output, as its statistics partials index them. */
interface StripLayout {
  strips: number;
  stripLen: number;
  rowLen: number;
}

/**
 * Whether a forward's strips write statistics partials: planes of at least
 * STATISTICS_MIN_PLANE pixels, channels in whole vec4 quads, and every output value
 * final in one dispatch (a reduction split over uniform-buffer parts adds into dst, so
 * no single dispatch sees the sums).
 */
function statisticsFit(g: ConvShape, chunks: readonly StripConvSpec[]): boolean {
  return g.ho * g.wo >= STATISTICS_MIN_PLANE && g.co % 4 === 0 &&
    chunks.every((s) => !s.accumulate);
}

/**
 * Smallest output plane whose forward writes statistics partials. In an in-process A/B
 * of a MobileNetV2 training step (per-dispatch minima, a loaded host), each 4×4 layer
 * gained nothing or lost up to 0.4 ms (its statistics pass is one short vec4 walk a
 * plane), while 7×7 to 28×28 layers saved 0.15–2 ms each.
 */
const STATISTICS_MIN_PLANE = 49;

const stripPlans = new Map<string, StripPlan>();

/**
 * The strip dispatches of a forward or an input gradient. `kind` "dx+" is the input
 * gradient added into an existing tensor (every chunk adds its part into dst).
 */
function stripPlan(
  kind: "fwd" | "dx" | "dx+",
  g: ConvShape,
  norm?: NormalizedSource,
  statistics = false,
): StripPlan {
  const planKey = `${kind}:${shapeKey(g)}${normKey(norm)}${statistics ? ":stats" : ""}`;
  let plan = stripPlans.get(planKey);
  if (plan) return plan;
  const specs = kind === "fwd"
    ? [{ ...forwardStripSpec(g), ...(norm ? { norm: norm.act } : {}) }]
    : inputGradStripSpecs(g);
  let chunked: StripConvSpec[][] = specs.map((s) => chunkByUniform(s));
  if (kind === "dx+") {
    // Rows no tap reaches (a 1×1 stride-2 conv's odd rows) would add zeros: skipped.
    chunked = chunked.filter((chunks) => chunks[0].rowTaps.count > 0)
      .map((chunks) => chunks.map((s) => ({ ...s, accumulate: true })));
  }
  const withStats = statistics && kind === "fwd" && statisticsFit(g, chunked[0]);
  if (withStats) chunked = chunked.map((chunks) => chunks.map((s) => ({ ...s, statistics: true })));
  const dispatches = chunked[0].map((_, ci) =>
    chunked.map((chunks) => {
      const spec = fitStripWorkgroup(chunks[ci]);
      const fold = foldGroups(Math.ceil(stripCount(spec) / spec.wg));
      return {
        spec,
        key: `conv2d_strip:${JSON.stringify(spec)}:${fold.x}`,
        groups: [fold.x, spec.blockCount, fold.z] as [number, number, number],
      };
    })
  );
  const s0 = specs[0];
  plan = {
    ob: s0.ob,
    dispatches,
    statistics: withStats ? { strips: stripCount(s0), stripLen: s0.p, rowLen: s0.dstW } : null,
  };
  stripPlans.set(planKey, plan);
  return plan;
}

/**
 * Records a register-variant conv (forward or input gradient): per weight chunk, the
 * chunk's packed weights are copied into a uniform buffer (unless one block is too
 * large for it and they stay in storage), then its strip dispatches run.
 */
function runStrips(
  plan: StripPlan,
  src: Tensor,
  packed: Tensor,
  dst: Tensor,
  label: string,
  norm?: NormalizedSource,
  stats?: Tensor,
) {
  const gpu = engine.gpu;
  plan.dispatches.forEach((group, ci) => {
    const first = group[0].spec;
    let weights: Bindable = packed.buffer;
    if (first.weights === "uniform") {
      const { offset, bytes } = uniformWeightRange(first);
      weights = uniformSlot(gpu, ci);
      gpu.copy(packed.buffer, weights, bytes, offset, 0);
    }
    for (const { spec, key, groups } of group) {
      const kernel = gpu.kernel(key, () => stripConvWgsl(spec, groups[0]));
      const buffers = [
        src.buffer,
        weights,
        dst.buffer,
        ...(norm ? [norm.chan.buffer] : []),
        ...(stats ? [stats.buffer] : []),
      ];
      gpu.dispatch(kernel, buffers, groups, label);
    }
  });
}

/** The register-variant weight gradient of a shape: partial count, pipeline key, grid, WGSL. */
interface WeightGradPlan {
  slots: number;
  key: string;
  groups: [number, number, number];
  wgsl: () => string;
}

const weightGradPlans = new Map<string, WeightGradPlan>();

/** 1×1 stride-1 convs take the GEMM kernel; the others the strip kernel. */
function weightGradPlan(g: ConvShape, norm?: NormalizedSource): WeightGradPlan {
  const planKey = `${shapeKey(g)}${normKey(norm)}`;
  let plan = weightGradPlans.get(planKey);
  if (plan) return plan;
  if (g.k === 1 && g.stride === 1) {
    const spec = { ...gemmWeightGradSpec(g), ...(norm ? { norm: norm.act } : {}) };
    const fold = foldGroups(Math.ceil(gemmWeightGradInvocations(spec) / spec.wg));
    plan = {
      slots: spec.slots,
      key: `conv2d_dw_gemm:${JSON.stringify(spec)}:${fold.x}`,
      groups: [fold.x, 1, fold.z],
      wgsl: () => gemmWeightGradWgsl(spec, fold.x),
    };
  } else {
    if (norm) {
      throw new Error(
        "conv2dBackwardWeight: a normalised source needs a 1×1 stride-1 conv in the register form",
      );
    }
    const spec = weightGradSpec(g);
    const fold = foldGroups(Math.ceil(weightGradInvocations(spec) / spec.wg));
    plan = {
      slots: spec.slots,
      key: `conv2d_dw_strip:${JSON.stringify(spec)}:${fold.x}`,
      groups: [fold.x, 1, fold.z],
      wgsl: () => weightGradStripWgsl(spec, fold.x),
    };
  }
  weightGradPlans.set(planKey, plan);
  return plan;
}

/** The cache-key suffix of a normalised source. */
function normKey(norm?: NormalizedSource): string {
  return norm ? `:norm-${norm.act}` : "";
}

/** Adds `slots` partial weight gradients (one after another in `partial`) into dw. */
function sumPartials(partial: Tensor, slots: number, dw: Tensor): void {
  const gpu = engine.gpu;
  const len = dw.size;
  const grid = grid1D(sumPartialsInvocations(len), ELEMENTWISE_WG);
  const kernel = gpu.kernel(
    `conv2d_sum:${len}:${slots}`,
    () => sumPartialsWgsl(len, slots, grid, ELEMENTWISE_WG),
  );
  gpu.dispatch(kernel, [partial.buffer, dw.buffer], grid.groups, `conv2d dW sum ${dw.describe()}`);
}

/**
 * The partials buffer of a forward plan that writes statistics, kept beside `y`
 * (src/ops/strip_partials.ts); undefined where the plan writes none.
 */
function statisticsPartials(plan: StripPlan, y: Tensor): Tensor | undefined {
  if (!plan.statistics) return undefined;
  const c = y.shape[1];
  const stats = empty([2 * c * plan.statistics.strips], { name: "conv2d.stats" });
  attachStripPartials(y, { stats, c, ...plan.statistics });
  return stats;
}

// ---------------------------------------------------------------- public ops

/**
 * y = conv(x, w): x [N, C, H, W], w [Co, C, k, k] → y [N, Co, Ho, Wo]. No autograd
 * (see `conv2d`). `variant` overrides the adapter's kernel family; with `norm`, the conv
 * of act(bn(x)); with `statistics`, y may carry its batch-norm partials.
 */
export function conv2dForward(
  x: Tensor,
  w: Tensor,
  stride: number,
  variant?: KernelVariant,
  norm?: NormalizedSource,
  statistics = false,
): Tensor {
  const g = conv2dGeometry("conv2d", x.shape, w.shape, stride);
  assertF32("conv2d", x, w);
  const gpu = engine.gpu;
  const y = empty([g.n, g.co, g.ho, g.wo], { name: "conv2d" });
  const label = `conv2d ${x.describe()} ${w.describe()} s${stride}`;
  if (pickVariant(variant) === "tiled") {
    const { wgsl, groups } = tiledForward(g, norm?.act);
    const kernel = gpu.kernel(`conv2d_fwd_tiled:${shapeKey(g)}${normKey(norm)}`, wgsl);
    const buffers = [x.buffer, w.buffer, y.buffer, ...(norm ? [norm.chan.buffer] : [])];
    gpu.dispatch(kernel, buffers, groups, label);
    return y;
  }
  const plan = stripPlan("fwd", g, norm, statistics);
  const { packed, owned } = forwardPack(w, plan.ob);
  runStrips(plan, x, packed, y, label, norm, statisticsPartials(plan, y));
  if (owned) packed.dispose();
  return y;
}

/**
 * The forward and, for the backward, `inputGrad(dy)` (the gradient with respect to
 * the conv's input, act(bn(x)) with `norm`). The register form packs the weights for
 * both in one dispatch and keeps the transposed packing until `inputGrad` frees it.
 * `statistics` as in `conv2dForward`.
 */
export function conv2dWithInputGrad(
  x: Tensor,
  w: Tensor,
  stride: number,
  variant?: KernelVariant,
  norm?: NormalizedSource,
  statistics = false,
): { y: Tensor; inputGrad: (dy: Tensor, into?: Tensor) => Tensor } {
  if (pickVariant(variant) === "tiled") {
    return {
      y: conv2dForward(x, w, stride, variant, norm, statistics),
      inputGrad: (dy) => conv2dBackwardInput(dy, w, x.shape, stride, variant),
    };
  }
  const g = conv2dGeometry("conv2d", x.shape, w.shape, stride);
  assertF32("conv2d", x, w);
  const fwd = stripPlan("fwd", g, norm, statistics);
  const dx = stripPlan("dx", g);
  const [packed, packedT] = packWeightsPair(w, fwd.ob, dx.ob);
  const y = empty([g.n, g.co, g.ho, g.wo], { name: "conv2d" });
  const label = `conv2d ${x.describe()} ${w.describe()} s${stride}`;
  runStrips(fwd, x, packed, y, label, norm, statisticsPartials(fwd, y));
  packed.dispose();
  const inputGrad = (dy: Tensor, into?: Tensor) => {
    checkInputGradShapes(g, dy, x.shape, w.shape);
    if (into) checkInto(into, x.shape);
    const out = into ?? empty(x.shape, { name: "conv2d.dx" });
    const plan = into ? stripPlan("dx+", g) : dx;
    runStrips(plan, dy, packedT, out, `conv2d dx ${dy.describe()} ${w.describe()} s${stride}`);
    packedT.dispose();
    return out;
  };
  return { y, inputGrad };
}

/** A tensor the input gradient adds into must have the input's shape. */
function checkInto(into: Tensor, xShape: readonly number[]): void {
  if (!sameShape(into.shape, xShape)) {
    throw new Error(
      `conv2d input gradient: cannot add into ${shapeStr(into.shape)}, x is ${shapeStr(xShape)}`,
    );
  }
}

function checkInputGradShapes(
  g: ConvShape,
  dy: Tensor,
  xShape: readonly number[],
  wShape: readonly number[],
): void {
  const yShape = [g.n, g.co, g.ho, g.wo];
  if (!sameShape(dy.shape, yShape)) {
    throw new Error(
      `conv2dBackwardInput: dy is ${shapeStr(dy.shape)} but x ${shapeStr(xShape)} and ` +
        `w ${shapeStr(wShape)} give y ${shapeStr(yShape)}`,
    );
  }
}

/**
 * dx = ∂L/∂x of y = conv(x, w, stride), given dy = ∂L/∂y: a conv of dy with the
 * transposed weights (for stride 2 only the taps whose dy position is whole).
 */
export function conv2dBackwardInput(
  dy: Tensor,
  w: Tensor,
  xShape: readonly number[],
  stride: number,
  variant?: KernelVariant,
): Tensor {
  const g = conv2dGeometry("conv2dBackwardInput", xShape, w.shape, stride);
  assertF32("conv2dBackwardInput", dy, w);
  checkInputGradShapes(g, dy, xShape, w.shape);
  const gpu = engine.gpu;
  const dx = empty(xShape, { name: "conv2d.dx" });
  const label = `conv2d dx ${dy.describe()} ${w.describe()} s${stride}`;
  if (pickVariant(variant) === "tiled") {
    const { wgsl, groups } = tiledInputGrad(g);
    const kernel = gpu.kernel(`conv2d_dx_tiled:${shapeKey(g)}`, wgsl);
    gpu.dispatch(kernel, [dy.buffer, w.buffer, dx.buffer], groups, label);
    return dx;
  }
  const plan = stripPlan("dx", g);
  const packed = packWeights(w, plan.ob, true);
  runStrips(plan, dy, packed, dx, label);
  packed.dispose();
  return dx;
}

/**
 * dW = ∂L/∂w of y = conv(x, w, stride), given dy: im2col(x)ᵀ·dy split over the
 * N·Ho·Wo reduction, then a fixed-order sum of the partials (deterministic). With
 * `norm`, the weight gradient of the conv of act(bn(x)).
 */
export function conv2dBackwardWeight(
  x: Tensor,
  dy: Tensor,
  wShape: readonly number[],
  stride: number,
  variant?: KernelVariant,
  norm?: NormalizedSource,
): Tensor {
  const g = conv2dGeometry("conv2dBackwardWeight", x.shape, wShape, stride);
  assertF32("conv2dBackwardWeight", x, dy);
  const yShape = [g.n, g.co, g.ho, g.wo];
  if (!sameShape(dy.shape, yShape)) {
    throw new Error(
      `conv2dBackwardWeight: dy is ${shapeStr(dy.shape)} but x ${shapeStr(x.shape)} and ` +
        `w ${shapeStr(wShape)} give y ${shapeStr(yShape)}`,
    );
  }
  const gpu = engine.gpu;
  const dwSize = g.co * g.c * g.k * g.k;
  const dw = empty(wShape, { name: "conv2d.dw" });
  const label = `conv2d dW ${x.describe()} ${dy.describe()} s${stride}`;
  const tiled = pickVariant(variant) === "tiled";
  const plan = tiled ? null : weightGradPlan(g, norm);
  const slots = plan ? plan.slots : tiledWeightGradChunks(g);
  // One partial is dW itself: no second pass.
  const partial = slots === 1 ? dw : empty([slots * dwSize], { name: "conv2d.dw_partial" });
  const buffers = [x.buffer, dy.buffer, partial.buffer, ...(norm ? [norm.chan.buffer] : [])];
  if (plan) {
    const kernel = gpu.kernel(plan.key, plan.wgsl);
    gpu.dispatch(kernel, buffers, plan.groups, label);
  } else {
    const { wgsl, groups } = tiledWeightGrad(g, slots, norm?.act);
    const kernel = gpu.kernel(`conv2d_dw_tiled:${shapeKey(g)}:${slots}${normKey(norm)}`, wgsl);
    gpu.dispatch(kernel, buffers, groups, label);
  }
  if (partial !== dw) {
    sumPartials(partial, slots, dw);
    partial.dispose();
  }
  return dw;
}

/**
 * Dense 2-D convolution with autograd: y = conv(x, w) with 'same' padding; the
 * backward gives dx when x needs a gradient and dW when w does.
 */
export function conv2d(x: Tensor, w: Tensor, opts: Conv2dOptions): Tensor {
  const { stride, variant, statistics = false } = opts;
  conv2dGeometry("conv2d", x.shape, w.shape, stride, opts.groups ?? 1);
  if (x.requiresGrad && pickVariant(variant) === "register") {
    const { y, inputGrad } = conv2dWithInputGrad(x, w, stride, variant, undefined, statistics);
    return record(y, "conv2d", [x, w], (dy, into) => [
      inputGrad(dy, into[0]),
      w.requiresGrad ? conv2dBackwardWeight(x, dy, w.shape, stride, variant) : null,
    ]);
  }
  const y = conv2dForward(x, w, stride, variant, undefined, statistics);
  return record(y, "conv2d", [x, w], (dy) => [
    x.requiresGrad ? conv2dBackwardInput(dy, w, x.shape, stride, variant) : null,
    w.requiresGrad ? conv2dBackwardWeight(x, dy, w.shape, stride, variant) : null,
  ]);
}
