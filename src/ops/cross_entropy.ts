/**
 * Softmax cross-entropy (mean over the batch, optional label smoothing) with
 * autograd, and no-grad accuracy counters that stay on the GPU, so a training loop
 * reads loss and accuracy only every N steps.
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import {
  crossEntropyBackwardWgsl,
  crossEntropyRowsWgsl,
  meanLossFinalize,
  metricsFinalize,
  topkHitsWgsl,
} from "../../kernels/cross_entropy.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import { shapeStr, type Tensor } from "../tensor/tensor.ts";
import { readF32, runReduction, writeF32 } from "./reduce.ts";

export interface CrossEntropyOptions {
  /** ε in [0, 1]: the target is (1 − ε)·onehot + ε/K. Default 0. */
  labelSmoothing?: number;
}

function validate(op: string, logits: Tensor, labels: Tensor): [number, number] {
  if (logits.shape.length !== 2 || logits.dtype !== "f32") {
    throw new Error(`${op}: logits must be f32 [N,K], got ${logits.dtype} ${logits.describe()}`);
  }
  if (labels.dtype !== "i32") {
    throw new Error(`${op}: labels must have dtype i32, got ${labels.dtype} ${labels.describe()}`);
  }
  const [n, k] = logits.shape;
  if (labels.shape.length !== 1 || labels.shape[0] !== n) {
    throw new Error(
      `${op}: ${labels.size} labels ${
        shapeStr(labels.shape)
      } for ${n} rows of ${logits.describe()}`,
    );
  }
  if (n === 0 || k === 0) throw new Error(`${op}: logits ${logits.describe()} are empty`);
  return [n, k];
}

/**
 * Mean over N of −Σ_k t_k log softmax(logits)_k → [1]. labels: i32 [N] (a label
 * outside [0, K) makes the loss NaN). Backward: dlogits = (p − t)·dy[0]/N, with dy
 * read on the GPU.
 */
export function softmaxCrossEntropy(
  logits: Tensor,
  labels: Tensor,
  opts: CrossEntropyOptions = {},
): Tensor {
  const [n, k] = validate("softmaxCrossEntropy", logits, labels);
  const eps = opts.labelSmoothing ?? 0;
  if (!(eps >= 0 && eps <= 1)) {
    throw new Error(`softmaxCrossEntropy: labelSmoothing ${eps} must be in [0, 1]`);
  }
  const gpu = engine.gpu;
  const rowLoss = empty([n], { name: "ce.rows" });
  const lse = empty([n], { name: "ce.lse" });
  const kr = gpu.kernel(`ce_rows:${n},${k}:${eps}`, () => crossEntropyRowsWgsl(n, k, eps));
  const label = `softmaxCrossEntropy ${logits.describe()}`;
  gpu.dispatch(
    kr,
    [logits.buffer, labels.buffer, rowLoss.buffer, lse.buffer],
    [Math.ceil(n / 64)],
    label,
  );
  const loss = empty([1], { name: "ce.loss" });
  runReduction({
    key: `ce_mean:${n}`,
    layout: { rows: 1, items: n, segLen: n, rowStride: 0, segStride: 0 },
    inputs: [readF32("rowLoss", rowLoss)],
    terms: ["rowLoss[i]"],
    outputs: [writeF32("loss", loss)],
    finalize: meanLossFinalize(n),
    label: `${label} mean`,
  });
  rowLoss.dispose();
  return record(loss, "softmaxCrossEntropy", [logits], (dy) => {
    const dlogits = empty(logits.shape, { name: "ce.dlogits" });
    const grid = grid1D(n * k, ELEMENTWISE_WG);
    const kb = gpu.kernel(
      `ce_bwd:${n},${k}:${eps}`,
      () => crossEntropyBackwardWgsl(n, k, eps, grid, ELEMENTWISE_WG),
    );
    gpu.dispatch(
      kb,
      [logits.buffer, labels.buffer, lse.buffer, dy.buffer, dlogits.buffer],
      grid.groups,
      `${label} backward`,
    );
    return [dlogits];
  });
}

/** Records per-row hit flags [2N]: top-1 then top-k. */
function topkHits(logits: Tensor, labels: Tensor, topk: number, op: string): Tensor {
  const [n, k] = validate(op, logits, labels);
  if (!Number.isInteger(topk) || topk < 1) throw new Error(`${op}: topk ${topk} must be ≥ 1`);
  const gpu = engine.gpu;
  const hits = empty([2 * n], { name: "hits" });
  const kh = gpu.kernel(`topk_hits:${n},${k}:${topk}`, () => topkHitsWgsl(n, k, topk));
  gpu.dispatch(
    kh,
    [logits.buffer, labels.buffer, hits.buffer],
    [Math.ceil(n / 64)],
    `${op} ${logits.describe()}`,
  );
  return hits;
}

/**
 * Counts [top-1 correct, top-k correct] of a batch as a GPU tensor [2] (no grad,
 * no sync). Ties rank the lower class index first.
 */
export function accuracyStats(logits: Tensor, labels: Tensor, topk = 5): Tensor {
  const hits = topkHits(logits, labels, topk, "accuracyStats");
  const n = logits.shape[0];
  const out = empty([2], { name: "accuracy" });
  runReduction({
    key: "accuracy_counts",
    layout: { rows: 1, items: n, segLen: n, rowStride: 0, segStride: 0 },
    inputs: [readF32("hits", hits)],
    terms: ["hits[i]", `hits[${n}u + i]`],
    outputs: [writeF32("counts", out)],
    finalize: "counts[0] = s0; counts[1] = s1;",
    label: `accuracyStats ${logits.describe()}`,
  });
  hits.dispose();
  return out;
}

/**
 * Adds this batch into a persistent metrics tensor [4] on the GPU:
 * [Σ per-sample loss (= loss·N), samples N, top-1 correct, top-k correct].
 * Read it every N steps: mean loss = m[0]/m[1], accuracy = m[2]/m[1].
 */
export function accumulateMetrics(
  metrics: Tensor,
  loss: Tensor,
  logits: Tensor,
  labels: Tensor,
  topk = 5,
): void {
  if (metrics.size !== 4 || metrics.dtype !== "f32") {
    throw new Error(`accumulateMetrics: metrics must be f32 [4], got ${metrics.describe()}`);
  }
  if (loss.size !== 1 || loss.dtype !== "f32") {
    throw new Error(`accumulateMetrics: loss must be f32 [1], got ${loss.describe()}`);
  }
  const hits = topkHits(logits, labels, topk, "accumulateMetrics");
  const n = logits.shape[0];
  runReduction({
    key: `metrics:${n}`,
    layout: { rows: 1, items: n, segLen: n, rowStride: 0, segStride: 0 },
    inputs: [readF32("hits", hits)],
    terms: ["hits[i]", `hits[${n}u + i]`],
    outputs: [readF32("loss", loss), writeF32("metrics", metrics)],
    finalize: metricsFinalize(n),
    label: `accumulateMetrics ${logits.describe()}`,
  });
  hits.dispose();
}
