/**
 * 2-D batch normalisation with autograd (PyTorch conventions), optionally fused with
 * the activation that follows it: `batchNormAct(x, …, {act: "relu6"})` computes
 * relu6(batchNorm2d(x)) and its gradients in the passes of kernels/batch_norm.ts,
 * with the semantics of the two ops applied one after the other. Training
 * normalises with the batch mean and biased variance and updates the running
 * buffers in place on the GPU (unbiased variance into running_var), with no host
 * sync; eval uses the running statistics.
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import {
  BACKWARD_PRELUDE,
  BACKWARD_TERMS,
  backwardDirectWgsl,
  backwardFinalize,
  backwardPerItem,
  BN_RUN,
  type BnActivation,
  bnElementwiseUnits,
  evalChannelWgsl,
  inputGradBindings,
  inputGradInvocations,
  inputGradWgsl,
  normalizeWgsl,
  type SourceNorm,
  STATS_PER_ITEM,
  STATS_TERMS,
  statsFinalize,
  statsPrelude,
} from "../../kernels/batch_norm.ts";
import { partialStatsWgsl, partialStatsWorkgroup } from "../../kernels/bn_partial_stats.ts";
import { planReduce, type ReduceLayout } from "../../kernels/reduce.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import { shapeStr, type Tensor } from "../tensor/tensor.ts";
import { type BoundDecl, kernelVariant, readF32, runReduction, writeF32 } from "./reduce.ts";
import { stripPartialsOf } from "./strip_partials.ts";

export type { BnActivation };

export interface BatchNormOptions {
  /** Batch statistics (and a running-stat update) when true; running statistics when false. */
  training: boolean;
  momentum?: number;
  eps?: number;
}

function validate(
  op: string,
  x: Tensor,
  params: Record<string, Tensor>,
  opts: BatchNormOptions,
): { n: number; c: number; hw: number; m: number; momentum: number; eps: number } {
  const where = `x ${x.describe()}`;
  if (x.shape.length !== 4) throw new Error(`${op}: x must be [N,C,H,W] (${where})`);
  const [n, c, h, w] = x.shape;
  for (const [name, t] of Object.entries({ x, ...params })) {
    if (t.dtype !== "f32") throw new Error(`${op}: ${name} has dtype ${t.dtype}; need f32`);
    if (name !== "x" && (t.shape.length !== 1 || t.shape[0] !== c)) {
      throw new Error(`${op}: ${name} is ${shapeStr(t.shape)}, expected [${c}] (${where})`);
    }
  }
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (!(momentum >= 0 && momentum <= 1)) {
    throw new Error(`${op}: momentum ${momentum} must be in [0, 1]`);
  }
  if (!(eps > 0)) throw new Error(`${op}: eps ${eps} must be positive`);
  const m = n * h * w;
  if (opts.training && m < 2) {
    throw new Error(`${op}: training needs more than 1 value per channel (${where})`);
  }
  return { n, c, hw: h * w, m, momentum, eps };
}

/** Per-channel layout over NCHW: row = channel, M = N·H·W items in N planes. */
function channelLayout(n: number, c: number, hw: number): ReduceLayout {
  return { rows: c, items: n * hw, segLen: hw, rowStride: hw, segStride: c * hw };
}

/** A writable binding of per-channel vec4 records. */
function writeVec4(name: string, t: Tensor): BoundDecl {
  return { name, access: "read_write", type: "vec4<f32>", buffer: t.buffer };
}

/** A read-only binding of per-channel vec4 records. */
function readVec4(name: string, t: Tensor): BoundDecl {
  return { name, access: "read", type: "vec4<f32>", buffer: t.buffer };
}

/** What the forward of a batch norm leaves for its backward and for fused consumers. */
/**
 * A conv's source read through a batch norm and its activation: `chan` holds the
 * channel records of `bnChannelRecords` (kernels/batch_norm.ts, `SourceNorm`).
 */
export interface NormalizedSource extends SourceNorm {
  chan: Tensor;
}

export interface BnChannels {
  /** Per-channel records (scale, shift, mean, invStd), [4·C]: z = x·scale + shift. */
  chan: Tensor;
  n: number;
  c: number;
  hw: number;
  m: number;
  training: boolean;
  op: string;
}

/**
 * The channel records of act(bn(x)): training computes the batch statistics (one
 * pass over x, or a merge of the partials the conv that produced x wrote, src/ops/
 * strip_partials.ts) and updates the running buffers in place; eval reads the running
 * statistics. `chan` is an intermediate like any other (tidy frees it).
 */
export function bnChannelRecords(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  opts: BatchNormOptions & { act: BnActivation },
): BnChannels {
  const { act, training } = opts;
  const op = act === "none" ? "batchNorm2d" : `batchNorm2d+${act}`;
  const { n, c, hw, m, momentum, eps } = validate(
    op,
    x,
    { gamma, beta, runningMean, runningVar },
    opts,
  );
  const gpu = engine.gpu;
  const chan = empty([4 * c], { name: "bn.chan" }); // (scale, shift, mean, invStd) a channel
  const partials = training ? stripPartialsOf(x) : null;
  if (partials && partials.c === c) {
    const wg = partialStatsWorkgroup(partials.strips);
    const { strips, stripLen, rowLen } = partials;
    const k = gpu.kernel(
      `bn_stats_partials:${c},${strips},${stripLen},${rowLen}:${m}:${eps}:${momentum}:${wg}`,
      () => partialStatsWgsl(partials, m, eps, momentum, wg),
    );
    gpu.dispatch(
      k,
      [
        partials.stats.buffer,
        gamma.buffer,
        beta.buffer,
        chan.buffer,
        runningMean.buffer,
        runningVar.buffer,
      ],
      [c / 4],
      `${op} statistics from partials ${x.describe()}`,
    );
  } else if (training) {
    runReduction({
      key: `bn_stats:${hw}:${m}:${eps}:${momentum}`,
      layout: channelLayout(n, c, hw),
      inputs: [readF32("x", x), readF32("xs", x)],
      prelude: statsPrelude(hw),
      perItem: STATS_PER_ITEM,
      terms: STATS_TERMS,
      outputs: [
        readF32("xs", x),
        readF32("gamma", gamma),
        readF32("beta", beta),
        writeVec4("chan", chan),
        writeF32("runMean", runningMean),
        writeF32("runVar", runningVar),
      ],
      finalize: statsFinalize(hw, m, eps, momentum),
      label: `${op} statistics ${x.describe()}`,
      walkSegments: true,
    });
  } else {
    const k = gpu.kernel(`bn_eval_chan:${c}:${eps}`, () => evalChannelWgsl(c, eps));
    gpu.dispatch(
      k,
      [runningMean.buffer, runningVar.buffer, gamma.buffer, beta.buffer, chan.buffer],
      [Math.ceil(c / 64)],
      `${op} eval statistics ${x.describe()}`,
    );
  }
  return { chan, n, c, hw, m, training, op };
}

/**
 * The workgroup size of the one-dispatch training backward (`backwardDirectWgsl`), or
 * null where it does not apply: llvmpipe, and channels the sums would add up in one
 * invocation each anyway (the reduction's direct plan; its workgroup size too).
 */
function directBackwardGroup(n: number, c: number, hw: number): number | null {
  const variant = kernelVariant();
  if (variant !== "register") return null;
  const per = hw % 4 === 0 ? hw / 4 : hw;
  const plan = planReduce(
    { rows: c, items: n * per, segLen: per, rowStride: per, segStride: c * per },
    variant,
  );
  return plan.mode === "direct" ? plan.wg : null;
}

/**
 * Gradients of act(bn(x)) from dy, the gradient of its output: the two per-channel
 * sums (dγ, dβ and the dx coefficients) and the element-wise dx pass. Returns
 * [dx, dgamma, dbeta], null where the input needs no gradient.
 */
export function bnActBackward(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  bn: BnChannels,
  act: BnActivation,
  dy: Tensor,
): (Tensor | null)[] {
  const gpu = engine.gpu;
  const { chan, n, c, hw, m, training, op } = bn;
  const layout = channelLayout(n, c, hw);
  const direct = training && x.requiresGrad ? directBackwardGroup(n, c, hw) : null;
  if (direct) {
    const dgamma = empty([c], { name: "bn.dgamma" });
    const dbeta = empty([c], { name: "bn.dbeta" });
    const dx = empty(x.shape, { name: "bn.dx" });
    const k = gpu.kernel(
      `bn_backward_dx:${act}:${n},${c},${hw}:${direct}`,
      () => backwardDirectWgsl(act, n, c, hw, direct),
    );
    gpu.dispatch(
      k,
      [x.buffer, dy.buffer, chan.buffer, gamma.buffer, dgamma.buffer, dbeta.buffer, dx.buffer],
      [Math.ceil(c / direct)],
      `${op} backward ${x.describe()}`,
    );
    if (!gamma.requiresGrad) dgamma.dispose();
    if (!beta.requiresGrad) dbeta.dispose();
    return [dx, gamma.requiresGrad ? dgamma : null, beta.requiresGrad ? dbeta : null];
  }
  const dgamma = empty([c], { name: "bn.dgamma" });
  const dbeta = empty([c], { name: "bn.dbeta" });
  const coef = empty([4 * c], { name: "bn.coef" }); // (a, b, d, 0): dx = a·dz + b·x + d
  if (gamma.requiresGrad || beta.requiresGrad || (training && x.requiresGrad)) {
    runReduction({
      key: `bn_backward:${act}:${m}`,
      layout,
      inputs: [readF32("x", x), readF32("dy", dy), readVec4("chan", chan)],
      prelude: BACKWARD_PRELUDE,
      perItem: backwardPerItem(act),
      terms: BACKWARD_TERMS,
      outputs: [
        readVec4("chan", chan),
        readF32("gamma", gamma),
        writeF32("dgamma", dgamma),
        writeF32("dbeta", dbeta),
        writeVec4("coef", coef),
      ],
      finalize: backwardFinalize(m),
      label: `${op} backward sums ${x.describe()}`,
    });
  }
  let dx: Tensor | null = null;
  if (x.requiresGrad) {
    const out = empty(x.shape, { name: "bn.dx" });
    const run = BN_RUN[kernelVariant()];
    const grid = grid1D(inputGradInvocations(x.size, hw, run), ELEMENTWISE_WG);
    const k = gpu.kernel(
      `bn_dx:${act}:${training}:${n},${c},${hw}:${run}`,
      () => inputGradWgsl(act, training, x.size, c, hw, grid, ELEMENTWISE_WG, run),
    );
    const buffers = { x, dy, chan, coef, dx: out };
    gpu.dispatch(
      k,
      inputGradBindings(act, training).map((name) => buffers[name].buffer),
      grid.groups,
      `${op} dx ${x.describe()}`,
    );
    dx = out;
  }
  coef.dispose();
  if (!gamma.requiresGrad) dgamma.dispose();
  if (!beta.requiresGrad) dbeta.dispose();
  return [dx, gamma.requiresGrad ? dgamma : null, beta.requiresGrad ? dbeta : null];
}

/**
 * act(gamma·(x − mean)/sqrt(var + eps) + beta) per channel of x [N, C, H, W];
 * act ∈ relu6, relu, sigmoid, silu, hsigmoid or "none". gamma, beta, runningMean,
 * runningVar: [C]. Training also updates the running buffers in place (momentum
 * default 0.1, eps default 1e-5). Backward gives dx, dgamma, dbeta.
 */
export function batchNormAct(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  opts: BatchNormOptions & { act: BnActivation },
): Tensor {
  const bn = bnChannelRecords(x, gamma, beta, runningMean, runningVar, opts);
  const { act } = opts;
  const { n, c, hw, chan, op } = bn;
  const gpu = engine.gpu;
  const y = empty(x.shape, { name: act === "none" ? "bn" : `bn+${act}` });
  const run = BN_RUN[kernelVariant()];
  const grid = grid1D(bnElementwiseUnits(x.size, hw, run).invocations, ELEMENTWISE_WG);
  const kn = gpu.kernel(
    `bn_normalize:${act}:${n},${c},${hw}:${run}`,
    () => normalizeWgsl(act, x.size, c, hw, grid, ELEMENTWISE_WG, run),
  );
  gpu.dispatch(kn, [x.buffer, chan.buffer, y.buffer], grid.groups, `${op} ${x.describe()}`);
  return record(y, op, [x, gamma, beta], (dy) => bnActBackward(x, gamma, beta, bn, act, dy));
}

/**
 * y = gamma·(x − mean)/sqrt(var + eps) + beta per channel of x [N, C, H, W]:
 * `batchNormAct` without an activation.
 */
export function batchNorm2d(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  opts: BatchNormOptions,
): Tensor {
  return batchNormAct(x, gamma, beta, runningMean, runningVar, { ...opts, act: "none" });
}
