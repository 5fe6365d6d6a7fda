/**
 * 2-D batch normalisation with autograd (PyTorch conventions). Training normalises
 * with the batch mean and biased variance and updates the running buffers in place
 * on the GPU (unbiased variance into running_var), with no host sync; eval uses the
 * running statistics.
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import {
  BACKWARD_TERMS,
  backwardFinalize,
  backwardPrelude,
  bnElementwiseUnits,
  evalAffineWgsl,
  inputGradEvalWgsl,
  inputGradTrainWgsl,
  meanFinalize,
  normalizeWgsl,
  varianceFinalize,
} from "../../kernels/batch_norm.ts";
import type { ReduceLayout } from "../../kernels/reduce.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import { shapeStr, type Tensor } from "../tensor/tensor.ts";
import { readF32, runReduction, writeF32 } from "./reduce.ts";

export interface BatchNormOptions {
  /** Batch statistics (and a running-stat update) when true; running statistics when false. */
  training: boolean;
  momentum?: number;
  eps?: number;
}

function validate(
  x: Tensor,
  params: Record<string, Tensor>,
  opts: BatchNormOptions,
): { n: number; c: number; hw: number; m: number; momentum: number; eps: number } {
  const where = `x ${x.describe()}`;
  if (x.shape.length !== 4) throw new Error(`batchNorm2d: x must be [N,C,H,W] (${where})`);
  const [n, c, h, w] = x.shape;
  for (const [name, t] of Object.entries({ x, ...params })) {
    if (t.dtype !== "f32") throw new Error(`batchNorm2d: ${name} has dtype ${t.dtype}; need f32`);
    if (name !== "x" && (t.shape.length !== 1 || t.shape[0] !== c)) {
      throw new Error(`batchNorm2d: ${name} is ${shapeStr(t.shape)}, expected [${c}] (${where})`);
    }
  }
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  if (!(momentum >= 0 && momentum <= 1)) {
    throw new Error(`batchNorm2d: momentum ${momentum} must be in [0, 1]`);
  }
  if (!(eps > 0)) throw new Error(`batchNorm2d: eps ${eps} must be positive`);
  const m = n * h * w;
  if (opts.training && m < 2) {
    throw new Error(`batchNorm2d: training needs more than 1 value per channel (${where})`);
  }
  return { n, c, hw: h * w, m, momentum, eps };
}

/** Per-channel layout over NCHW: row = channel, M = N·H·W items in N planes. */
function channelLayout(n: number, c: number, hw: number): ReduceLayout {
  return { rows: c, items: n * hw, segLen: hw, rowStride: hw, segStride: c * hw };
}

/**
 * y = gamma·(x − mean)/sqrt(var + eps) + beta per channel of x [N, C, H, W].
 * gamma, beta, runningMean, runningVar: [C]. Training also updates the running
 * buffers in place (momentum default 0.1, eps default 1e-5). Backward gives dx,
 * dgamma, dbeta.
 */
export function batchNorm2d(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  opts: BatchNormOptions,
): Tensor {
  const { n, c, hw, m, momentum, eps } = validate(
    x,
    { gamma, beta, runningMean, runningVar },
    opts,
  );
  const gpu = engine.gpu;
  const layout = channelLayout(n, c, hw);
  const label = `batchNorm2d ${x.describe()}`;
  const stats = empty([2 * c], { name: "bn.stats" }); // mean, invStd
  const affine = empty([2 * c], { name: "bn.affine" }); // scale, shift
  if (opts.training) {
    runReduction({
      key: `bn_mean:${m}`,
      layout,
      inputs: [readF32("x", x)],
      terms: ["x[i]"],
      outputs: [writeF32("stats", stats)],
      finalize: meanFinalize(m),
      label: `${label} mean`,
    });
    runReduction({
      key: `bn_var:${c}:${m}:${eps}:${momentum}`,
      layout,
      inputs: [readF32("x", x), readF32("stats", stats)],
      prelude: "let mu = stats[r];",
      terms: ["(x[i] - mu) * (x[i] - mu)"],
      outputs: [
        writeF32("stats", stats),
        readF32("gamma", gamma),
        readF32("beta", beta),
        writeF32("affine", affine),
        writeF32("runMean", runningMean),
        writeF32("runVar", runningVar),
      ],
      finalize: varianceFinalize(c, m, eps, momentum),
      label: `${label} variance`,
    });
  } else {
    const k = gpu.kernel(`bn_eval_affine:${c}:${eps}`, () => evalAffineWgsl(c, eps));
    gpu.dispatch(
      k,
      [
        runningMean.buffer,
        runningVar.buffer,
        gamma.buffer,
        beta.buffer,
        stats.buffer,
        affine.buffer,
      ],
      [Math.ceil(c / 64)],
      `${label} eval statistics`,
    );
  }
  const y = empty(x.shape, { name: "bn" });
  const grid = grid1D(bnElementwiseUnits(x.size, hw).units, ELEMENTWISE_WG);
  const kn = gpu.kernel(
    `bn_normalize:${n},${c},${hw}`,
    () => normalizeWgsl(x.size, c, hw, grid, ELEMENTWISE_WG),
  );
  gpu.dispatch(kn, [x.buffer, affine.buffer, y.buffer], grid.groups, label);
  return record(y, "batchNorm2d", [x, gamma, beta], (dy) => {
    const dgamma = empty([c], { name: "bn.dgamma" });
    const dbeta = empty([c], { name: "bn.dbeta" });
    const coef = empty([3 * c], { name: "bn.coef" }); // dx = a·dy + b·x + d
    const needSums = gamma.requiresGrad || beta.requiresGrad || (opts.training && x.requiresGrad);
    if (needSums) {
      runReduction({
        key: `bn_backward:${c}:${m}`,
        layout,
        inputs: [readF32("x", x), readF32("dy", dy), readF32("stats", stats)],
        prelude: backwardPrelude(c),
        terms: BACKWARD_TERMS,
        outputs: [
          readF32("stats", stats),
          readF32("gamma", gamma),
          writeF32("dgamma", dgamma),
          writeF32("dbeta", dbeta),
          writeF32("coef", coef),
        ],
        finalize: backwardFinalize(c, m),
        label: `${label} backward sums`,
      });
    }
    let dx: Tensor | null = null;
    if (x.requiresGrad) {
      dx = empty(x.shape, { name: "bn.dx" });
      if (opts.training) {
        const k = gpu.kernel(
          `bn_dx_train:${n},${c},${hw}`,
          () => inputGradTrainWgsl(x.size, c, hw, grid, ELEMENTWISE_WG),
        );
        gpu.dispatch(k, [x.buffer, dy.buffer, coef.buffer, dx.buffer], grid.groups, `${label} dx`);
      } else {
        const k = gpu.kernel(
          `bn_dx_eval:${n},${c},${hw}`,
          () => inputGradEvalWgsl(x.size, c, hw, grid, ELEMENTWISE_WG),
        );
        gpu.dispatch(k, [dy.buffer, affine.buffer, dx.buffer], grid.groups, `${label} dx`);
      }
    }
    coef.dispose();
    if (!gamma.requiresGrad) dgamma.dispose();
    if (!beta.requiresGrad) dbeta.dispose();
    return [dx, gamma.requiresGrad ? dgamma : null, beta.requiresGrad ? dbeta : null];
  });
}
