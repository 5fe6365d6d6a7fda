/**
 * The two kinds of supernet step, whatever the search:
 *
 * - a weight step on a training batch: forward the chosen paths, cross-entropy,
 *   backward, one SGD step (no host sync);
 * - a gate step on a held-out batch: forward the active paths with binary gates,
 *   backward with the weights frozen (their gradients are never computed), and read
 *   every mixed layer's ∂L/∂g in one host sync;
 * - a path-loss step on a held-out batch: forward the chosen path only, no gradients,
 *   its loss and accuracy added to metrics on the GPU (no host sync);
 * - a paired-loss step: the same for a context path and its one-layer variations
 *   (variation_paths.ts), each variation started at its switched layer.
 */
import type { Batch, ImageShape } from "../data/dataset.ts";
import type { Module } from "../nn/module.ts";
import type { Sgd } from "../nn/optimizers.ts";
import { withReusedWeightPacks } from "../ops/conv2d.ts";
import { softmaxCrossEntropy } from "../ops/cross_entropy.ts";
import { backward } from "../tensor/autograd.ts";
import { fromArray } from "../tensor/creation.ts";
import { noGrad, tidy } from "../tensor/engine.ts";
import { readAll, type Tensor } from "../tensor/tensor.ts";
import { MetricsAccumulator } from "./metrics_accumulator.ts";
import type { MixedLayer } from "./mixed_layer.ts";
import type { Supernet } from "./supernet.ts";

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

/**
 * Runs `paths` on `batch` without gradients, each chosen in turn by `choose`: path 0
 * whole, and path k ≥ 1 — which runs as path 0 does up to backbone layer `startAt[k]`
 * — from path 0's input to that layer (the tensor the same layers would compute again)
 * instead of from the image. `measure(k, loss, logits, labels)` adds path k's batch to
 * its metrics (inside the step's scope; no host sync).
 */
export function pairedLossStep(
  supernet: Supernet,
  paths: readonly (readonly number[])[],
  startAt: readonly number[],
  choose: (path: readonly number[]) => void,
  batch: Batch,
  shape: ImageShape,
  measure: (k: number, loss: Tensor, logits: Tensor, labels: Tensor) => void,
): void {
  const reused = new Set(startAt.slice(1));
  // No weight changes in between: every conv's weights are packed once for all the paths.
  noGrad(() =>
    withReusedWeightPacks(() =>
      tidy(() => {
        const { x, y } = batchTensors(batch, shape);
        const inputs = new Map<number, Tensor>();
        paths.forEach((path, k) => {
          choose(path);
          // A path's intermediates are freed after it, except the inputs later paths reuse.
          tidy(() => {
            const start = k === 0 ? undefined : inputs.get(startAt[k]);
            const seeInput = k === 0 && reused.size > 0
              ? (layer: number, t: Tensor) => reused.has(layer) && inputs.set(layer, t)
              : undefined;
            const logits = start
              ? supernet.forwardFrom(startAt[k], start)
              : supernet.forwardFrom(0, supernet.stem.forward(x), seeInput);
            measure(k, softmaxCrossEntropy(logits, y, { labelSmoothing: 0 }), logits, y);
            return k === 0 ? [...inputs.values()] : []; // handed to the step's scope
          });
        });
      })
    )
  );
}
