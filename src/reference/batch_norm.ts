/**
 * 2-D batch normalisation over the N, H, W axes of x [N, C, H, W], per channel,
 * with PyTorch's conventions: training normalises with the biased batch variance
 * and feeds the unbiased one to the running statistics.
 */
import { assertRank, assertShape, type HostTensor, hostTensor } from "./host_tensor.ts";

/** Result of a training-mode batch-norm forward pass. */
export interface BatchNormTrainResult {
  y: HostTensor;
  /** Batch mean per channel, [C]. */
  mean: HostTensor;
  /** 1 / sqrt(biased batch variance + eps) per channel, [C]. */
  invStd: HostTensor;
  /** Unbiased batch variance per channel (divisor M − 1, M = N·H·W), [C]. */
  varUnbiased: HostTensor;
}

/** x's [N, C, H, W], each of `perChannel` checked to be [C]; errors name `fn`. */
function checkInputs(
  fn: string,
  x: HostTensor,
  perChannel: Record<string, HostTensor>,
): number[] {
  const dims = assertRank(x, 4, `${fn}: x`);
  for (const [name, t] of Object.entries(perChannel)) assertShape(t, [dims[1]], `${fn}: ${name}`);
  return dims;
}

/**
 * y = gamma · (x − mean) · invStd + beta with per-channel batch statistics over
 * M = N·H·W values. Needs M > 1 (PyTorch refuses a single value per channel too).
 */
export function batchNorm2dTrain(
  x: HostTensor,
  gamma: HostTensor,
  beta: HostTensor,
  eps: number,
): BatchNormTrainResult {
  const [n, c, h, w] = checkInputs("batchNorm2dTrain", x, { gamma, beta });
  const m = n * h * w;
  if (m < 2) {
    throw new Error(
      `batchNorm2dTrain: x [${x.shape}] has ${m} value per channel; training needs more than 1`,
    );
  }
  const hw = h * w;
  const y = hostTensor(x.shape);
  const mean = hostTensor([c]);
  const invStd = hostTensor([c]);
  const varUnbiased = hostTensor([c]);
  for (let ch = 0; ch < c; ch++) {
    let s = 0;
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < hw; p++) s += x.data[(b * c + ch) * hw + p];
    }
    const mu = s / m;
    let sq = 0;
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < hw; p++) {
        const d = x.data[(b * c + ch) * hw + p] - mu;
        sq += d * d;
      }
    }
    const varBiased = sq / m;
    const inv = 1 / Math.sqrt(varBiased + eps);
    mean.data[ch] = mu;
    invStd.data[ch] = inv;
    varUnbiased.data[ch] = sq / (m - 1);
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < hw; p++) {
        const i = (b * c + ch) * hw + p;
        y.data[i] = gamma.data[ch] * (x.data[i] - mu) * inv + beta.data[ch];
      }
    }
  }
  return { y, mean, invStd, varUnbiased };
}

/**
 * Gradients of training-mode batch norm (the batch statistics depend on x):
 * with x̂ = (x − mean)·invStd, dbeta = Σ dy, dgamma = Σ dy·x̂,
 * dx = gamma·invStd/M · (M·dy − dbeta − x̂·dgamma), sums over N, H, W per channel.
 */
export function batchNorm2dBackward(
  x: HostTensor,
  gamma: HostTensor,
  mean: HostTensor,
  invStd: HostTensor,
  dy: HostTensor,
): { dx: HostTensor; dgamma: HostTensor; dbeta: HostTensor } {
  const [n, c, h, w] = checkInputs("batchNorm2dBackward", x, { gamma, mean, invStd });
  assertShape(dy, x.shape, "batchNorm2dBackward: dy");
  const hw = h * w;
  const m = n * hw;
  const dx = hostTensor(x.shape);
  const dgamma = hostTensor([c]);
  const dbeta = hostTensor([c]);
  for (let ch = 0; ch < c; ch++) {
    const mu = mean.data[ch];
    const inv = invStd.data[ch];
    let sumDy = 0;
    let sumDyXhat = 0;
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < hw; p++) {
        const i = (b * c + ch) * hw + p;
        sumDy += dy.data[i];
        sumDyXhat += dy.data[i] * (x.data[i] - mu) * inv;
      }
    }
    dbeta.data[ch] = sumDy;
    dgamma.data[ch] = sumDyXhat;
    const scale = gamma.data[ch] * inv / m;
    for (let b = 0; b < n; b++) {
      for (let p = 0; p < hw; p++) {
        const i = (b * c + ch) * hw + p;
        const xhat = (x.data[i] - mu) * inv;
        dx.data[i] = scale * (m * dy.data[i] - sumDy - xhat * sumDyXhat);
      }
    }
  }
  return { dx, dgamma, dbeta };
}

/** Inference-mode batch norm: y = gamma·(x − runningMean)/sqrt(runningVar + eps) + beta. */
export function batchNorm2dEval(
  x: HostTensor,
  gamma: HostTensor,
  beta: HostTensor,
  runningMean: HostTensor,
  runningVar: HostTensor,
  eps: number,
): HostTensor {
  const [n, c, h, w] = checkInputs("batchNorm2dEval", x, {
    gamma,
    beta,
    runningMean,
    runningVar,
  });
  const hw = h * w;
  const y = hostTensor(x.shape);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      const inv = 1 / Math.sqrt(runningVar.data[ch] + eps);
      for (let p = 0; p < hw; p++) {
        const i = (b * c + ch) * hw + p;
        y.data[i] = gamma.data[ch] * (x.data[i] - runningMean.data[ch]) * inv + beta.data[ch];
      }
    }
  }
  return y;
}

/**
 * In place, PyTorch convention: running = (1 − momentum)·running + momentum·batch,
 * for the mean and for the unbiased variance. Accepts tensors or raw arrays.
 */
export function updateRunningStats(
  runningMean: HostTensor | Float64Array,
  runningVar: HostTensor | Float64Array,
  mean: HostTensor | Float64Array,
  varUnbiased: HostTensor | Float64Array,
  momentum: number,
): void {
  const rm = dataOf(runningMean);
  const rv = dataOf(runningVar);
  const bm = dataOf(mean);
  const bv = dataOf(varUnbiased);
  if (rv.length !== rm.length || bm.length !== rm.length || bv.length !== rm.length) {
    throw new Error(
      `updateRunningStats: lengths ${rm.length}, ${rv.length}, ${bm.length}, ${bv.length} ` +
        `differ; pass one value per channel in each`,
    );
  }
  for (let ch = 0; ch < rm.length; ch++) {
    rm[ch] = (1 - momentum) * rm[ch] + momentum * bm[ch];
    rv[ch] = (1 - momentum) * rv[ch] + momentum * bv[ch];
  }
}

function dataOf(t: HostTensor | Float64Array): Float64Array {
  return t instanceof Float64Array ? t : t.data;
}
