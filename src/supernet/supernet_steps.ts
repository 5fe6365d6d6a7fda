/**
 * The two kinds of supernet step, whatever the search:
 *
 * - a weight step on a training batch: forward the chosen paths, cross-entropy,
 *   backward, one SGD step (no host sync);
 * - a gate step on a held-out batch: forward the active paths with binary gates,
 *   backward with the weights frozen (their gradients are never computed), and read
 *   every mixed layer's ∂L/∂g in one host sync;
 * - a path-loss step on a held-out batch: forward the chosen path only, no gradients,
 *   its loss and accuracy added to metrics on the GPU (no host sync).
 */
import type { Batch, ImageShape } from "../data/dataset.ts";
import type { Module } from "../nn/module.ts";
import type { Sgd } from "../nn/optimizers.ts";
import { softmaxCrossEntropy } from "../ops/cross_entropy.ts";
import { backward } from "../tensor/autograd.ts";
import { fromArray } from "../tensor/creation.ts";
import { noGrad, tidy } from "../tensor/engine.ts";
import { readAll, type Tensor } from "../tensor/tensor.ts";
import { MetricsAccumulator } from "./metrics_accumulator.ts";
import type { MixedLayer } from "./mixed_layer.ts";

/** The images and labels of a batch as tensors (inside a tidy scope). */
export function batchTensors(batch: Batch, shape: ImageShape): { x: Tensor; y: Tensor } {
  const [c, h, w] = shape;
  return {
    x: fromArray([batch.n, c, h, w], batch.x, { name: "images" }),
    y: fromArray([batch.n], batch.labels, { name: "labels" }),
  };
}

/**
 * One SGD step of `net` (its paths already chosen) on a training batch. With
 * `zeroGrad: false` the batch's gradients add to those of the steps before it, and with
 * `apply: false` the update waits for a later step (fair sampling's groups,
 * src/supernet/path_sampling.ts); both default to true.
 */
export function weightStep(
  net: Module,
  opt: Sgd,
  batch: Batch,
  shape: ImageShape,
  options: {
    lr: number;
    labelSmoothing: number;
    metrics: MetricsAccumulator;
    zeroGrad?: boolean;
    apply?: boolean;
  },
): void {
  opt.lr = options.lr;
  tidy(() => {
    const { x, y } = batchTensors(batch, shape);
    if (options.zeroGrad ?? true) opt.zeroGrad();
    const logits = net.forward(x);
    const loss = softmaxCrossEntropy(logits, y, { labelSmoothing: options.labelSmoothing });
    options.metrics.add(loss, logits, y);
    backward(loss);
    if (options.apply ?? true) opt.step();
  });
}

/**
 * Applies the gradients a fair group accumulated when a boundary cuts it short
 * (`WeightPathSampler.flush()` returned true).
 */
export function applyPendingUpdate(opt: Sgd, lr: number): void {
  opt.lr = lr;
  opt.step();
}

/**
 * Forward and backward of `net` on a held-out batch with the gates of `layers` as
 * leaves (their active paths and gates already chosen, `gateGradients` on); `weights`
 * are frozen for the step. The batch's loss and accuracy go into `metrics` (one
 * accumulator or several). Returns ∂L/∂g of each layer's active paths, in order.
 */
export async function gateGradientStep(
  net: Module,
  layers: readonly MixedLayer[],
  weights: readonly Tensor[],
  batch: Batch,
  shape: ImageShape,
  metrics: MetricsAccumulator | readonly MetricsAccumulator[],
): Promise<Float32Array[]> {
  const into = metrics instanceof MetricsAccumulator ? [metrics] : metrics;
  for (const t of weights) t.requiresGrad = false;
  try {
    tidy(() => {
      const { x, y } = batchTensors(batch, shape);
      const logits = net.forward(x);
      const loss = softmaxCrossEntropy(logits, y, { labelSmoothing: 0 });
      for (const m of into) m.add(loss, logits, y);
      backward(loss);
    });
  } finally {
    for (const t of weights) t.requiresGrad = true;
  }
  return await readAll(layers.map((m) => m.gateTensor()!.grad!));
}

/**
 * Forward of `net` (its paths already chosen, no gates) on a held-out batch, without
 * gradients; the batch's loss (no label smoothing) and accuracy go into each of
 * `metrics`. Never waits for the GPU.
 */
export function pathLossStep(
  net: Module,
  batch: Batch,
  shape: ImageShape,
  metrics: readonly MetricsAccumulator[],
): void {
  noGrad(() =>
    tidy(() => {
      const { x, y } = batchTensors(batch, shape);
      const logits = net.forward(x);
      const loss = softmaxCrossEntropy(logits, y, { labelSmoothing: 0 });
      for (const m of metrics) m.add(loss, logits, y);
    })
  );
}
