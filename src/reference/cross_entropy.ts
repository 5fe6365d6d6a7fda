/**
 * Softmax cross-entropy with label smoothing, averaged over the batch. The target of
 * row n is t = (1 − ε)·onehot(label_n) + ε/K, as in PyTorch's label_smoothing.
 */
import { assertRank, assertShape, type HostTensor, hostTensor } from "./host_tensor.ts";

function checkLabels(labels: Int32Array, n: number, k: number, what: string): void {
  if (labels.length !== n) {
    throw new Error(`${what}: ${labels.length} labels for ${n} rows; pass one label per row`);
  }
  for (let r = 0; r < n; r++) {
    if (!(labels[r] >= 0 && labels[r] < k)) {
      throw new Error(`${what}: labels[${r}] = ${labels[r]} is outside [0, ${k}); fix the label`);
    }
  }
}

function checkSmoothing(eps: number, what: string): void {
  if (!(eps >= 0 && eps <= 1)) {
    throw new Error(`${what}: labelSmoothing is ${eps}; use a value in [0, 1]`);
  }
}

/** Smoothed target t_{n,k} for class k of a row whose label is `label`. */
function target(k: number, label: number, numClasses: number, eps: number): number {
  return (k === label ? 1 - eps : 0) + eps / numClasses;
}

/**
 * loss = (1/N) Σ_n −Σ_k t_{n,k} log p_{n,k} with p = softmax(logits row); also returns
 * p [N, K] for the backward pass. log p uses the max-shifted log-sum-exp.
 */
export function softmaxCrossEntropy(
  logits: HostTensor,
  labels: Int32Array,
  labelSmoothing: number,
): { loss: number; probs: HostTensor } {
  const [n, k] = assertRank(logits, 2, "softmaxCrossEntropy: logits");
  checkLabels(labels, n, k, "softmaxCrossEntropy");
  checkSmoothing(labelSmoothing, "softmaxCrossEntropy");
  const probs = hostTensor([n, k]);
  let total = 0;
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits.data[r * k + j]);
    let z = 0;
    for (let j = 0; j < k; j++) z += Math.exp(logits.data[r * k + j] - max);
    const logZ = Math.log(z);
    for (let j = 0; j < k; j++) {
      const logP = logits.data[r * k + j] - max - logZ;
      probs.data[r * k + j] = Math.exp(logP);
      total -= target(j, labels[r], k, labelSmoothing) * logP;
    }
  }
  return { loss: total / n, probs };
}

/** dlogits = (p − t)·dLoss / N, the gradient of the mean loss above. */
export function softmaxCrossEntropyBackward(
  probs: HostTensor,
  labels: Int32Array,
  labelSmoothing: number,
  dLoss = 1,
): HostTensor {
  const [n, k] = assertRank(probs, 2, "softmaxCrossEntropyBackward: probs");
  assertShape(probs, [n, k], "softmaxCrossEntropyBackward: probs");
  checkLabels(labels, n, k, "softmaxCrossEntropyBackward");
  checkSmoothing(labelSmoothing, "softmaxCrossEntropyBackward");
  const dlogits = hostTensor([n, k]);
  for (let r = 0; r < n; r++) {
    for (let j = 0; j < k; j++) {
      const t = target(j, labels[r], k, labelSmoothing);
      dlogits.data[r * k + j] = (probs.data[r * k + j] - t) * dLoss / n;
    }
  }
  return dlogits;
}
