/**
 * Evaluation of a classifier over a dataset: loss, top-1 and top-5, accumulated on
 * the GPU and read back once at the end.
 */
import { DataLoader } from "../data/loader.ts";
import type { Dataset } from "../data/dataset.ts";
import type { Module } from "../nn/module.ts";
import { accumulateMetrics, softmaxCrossEntropy } from "../ops/cross_entropy.ts";
import { fillInto, fromArray, zeros } from "../tensor/creation.ts";
import { noGrad, tidy } from "../tensor/engine.ts";
import { testSignalPoint } from "../util/interrupt.ts";

export interface EvalResult {
  loss: number;
  top1: number;
  top5: number;
  examples: number;
}

/** Turns a metrics tensor's values [Σloss, n, top1, top5] into means. */
export function metricsFrom(m: ArrayLike<number>): EvalResult {
  const n = m[1];
  if (!(n > 0)) return { loss: NaN, top1: NaN, top5: NaN, examples: 0 }; // nothing measured
  return { loss: m[0] / n, top1: m[2] / n, top5: m[3] / n, examples: n };
}

/** An evaluation abandoned because `shouldStop` said so (a signal stops the run). */
export class EvaluationStopped extends Error {
  override name = "EvaluationStopped";
}

/**
 * Runs `net` in eval mode over `data` (no gradients) and restores training mode. Between
 * batches, `shouldStop` returning true abandons it with `EvaluationStopped`.
 */
export async function evaluate(
  net: Module,
  data: Dataset,
  batchSize: number,
  opts: {
    labelSmoothing?: number;
    maxBatches?: number;
    shouldStop?: () => boolean | Promise<boolean>;
  } = {},
): Promise<EvalResult> {
  const wasTraining = net.training;
  net.eval();
  const metrics = zeros([4], { name: "eval.metrics", persistent: true });
  try {
    const loader = new DataLoader(data, { batchSize, seed: 0, shuffle: false, prefetch: 2 });
    let batches = 0;
    for await (const batch of loader.epoch(0)) {
      noGrad(() =>
        tidy(() => {
          const [c, h, w] = data.shape;
          const x = fromArray([batch.n, c, h, w], batch.x, { name: "images" });
          const y = fromArray([batch.n], batch.labels, { name: "labels" });
          const logits = net.forward(x);
          const loss = softmaxCrossEntropy(logits, y, { labelSmoothing: opts.labelSmoothing ?? 0 });
          accumulateMetrics(metrics, loss, logits, y, Math.min(5, logits.shape[1]));
        })
      );
      testSignalPoint("eval");
      if (await opts.shouldStop?.()) {
        throw new EvaluationStopped(`evaluation of ${data.source} stopped`);
      }
      if (opts.maxBatches && ++batches >= opts.maxBatches) break;
    }
    const result = metricsFrom(await metrics.read());
    fillInto(metrics, 0);
    return result;
  } finally {
    metrics.dispose();
    net.train(wasTraining);
  }
}
