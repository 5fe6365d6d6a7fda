/**
 * Batch-norm recalibration (Single Path One-Shot's "BN sanitize"): in a weight-sharing
 * supernet the running statistics of a BN are a blend over every path that trained
 * through it, wrong for any one path. Before a path is scored, its statistics are
 * recomputed from training batches run forward through that path.
 *
 * Each BatchNorm2d that the batches reach has its running mean and variance reset and
 * then set to the cumulative average over the batches (PyTorch's momentum=None):
 *   running_mean = (1/B) Σ_b mean_b,   running_var = (1/B) Σ_b var_b
 * with var_b the batch's unbiased variance (÷ (m − 1), m = N·H·W values a channel), as
 * the BN kernel's own running update uses. With equal batches running_mean is the
 * exact mean over all the batches; running_var is the mean of the per-batch variances
 * (the pooled variance less the spread of the batch means). SPOS's script resets the
 * statistics and then keeps PyTorch's exponential average (momentum 0.1) over 200
 * batches, where the last ~20 batches dominate; the cumulative average weighs every
 * batch equally, so fewer batches give the same precision.
 *
 * Nothing else changes: no gradients are recorded, weights and affine parameters are
 * untouched, and BNs the batches do not reach (other paths of a supernet) keep their
 * statistics. The module is left in eval mode, ready to score.
 */
import { accumulateInto, copyInto, fillInto, fromArray, zeros } from "../tensor/creation.ts";
import { noGrad, tidy } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { mul } from "../ops/elementwise.ts";
import { type BatchNorm2d, setBatchStatisticsCollector } from "./layers.ts";
import type { Module } from "./module.ts";

/** A batch of images, NCHW (the data loader's batches qualify). */
export interface ImageBatch {
  /** n·C·H·W pixels. */
  x: Float32Array;
  n: number;
}

/** What `recalibrateBatchNorm` is given besides the module and batches. */
export interface RecalibrationOptions {
  /** [C, H, W] of one image. */
  imageShape: readonly [number, number, number];
  /** Stop after this many batches (default: all the batches given). */
  maxBatches?: number;
}

/** What a recalibration did. */
export interface RecalibrationResult {
  /** Batches run forward. */
  batches: number;
  /** BatchNorm2d layers whose statistics were recomputed. */
  batchNorms: number;
}

interface Sums {
  mean: Tensor;
  variance: Tensor;
  batches: number;
}

/**
 * Recomputes the running statistics of every BatchNorm2d that `net.forward` reaches,
 * from `batches` (training data, the path to score already selected in `net`); see
 * the module comment. Leaves `net` in eval mode. All work stays on the GPU.
 */
export async function recalibrateBatchNorm(
  net: Module,
  batches: AsyncIterable<ImageBatch> | Iterable<ImageBatch>,
  opts: RecalibrationOptions,
): Promise<RecalibrationResult> {
  const { imageShape, maxBatches = Infinity } = opts;
  if (!(maxBatches >= 1)) throw new RangeError(`recalibrateBatchNorm: maxBatches ${maxBatches}`);
  const sums = new Map<BatchNorm2d, Sums>();
  const collector = {
    before(bn: BatchNorm2d) {
      if (sums.has(bn)) return;
      // SPOS's reset, so that stale (even non-finite) statistics cannot leak in.
      fillInto(bn.runningMean, 0);
      fillInto(bn.runningVar, 1);
      sums.set(bn, {
        mean: zeros([bn.channels], { name: "recalibration.mean", persistent: true }),
        variance: zeros([bn.channels], { name: "recalibration.var", persistent: true }),
        batches: 0,
      });
    },
    after(bn: BatchNorm2d) {
      const s = sums.get(bn)!;
      accumulateInto(s.mean, bn.runningMean);
      accumulateInto(s.variance, bn.runningVar);
      s.batches++;
    },
  };
  const previous = setBatchStatisticsCollector(collector);
  let count = 0;
  try {
    net.train();
    for await (const batch of batches) {
      if (count >= maxBatches) break;
      noGrad(() =>
        tidy(() => {
          const x = fromArray([batch.n, ...imageShape], batch.x, { name: "recalibration.x" });
          net.forward(x);
        })
      );
      count++;
    }
    noGrad(() =>
      tidy(() => {
        for (const [bn, s] of sums) {
          const scale = fromArray([1], [1 / s.batches], { name: "recalibration.1/B" });
          copyInto(bn.runningMean, mul(s.mean, scale));
          copyInto(bn.runningVar, mul(s.variance, scale));
        }
      })
    );
  } finally {
    setBatchStatisticsCollector(previous);
    for (const s of sums.values()) {
      s.mean.dispose();
      s.variance.dispose();
    }
    net.eval();
  }
  return { batches: count, batchNorms: sums.size };
}
