/**
 * Folding an evaluation-mode batch norm into the convolution before it:
 *   BN(conv(x)) = γ·(W∗x − μ)/√(σ² + ε) + β = (s·W)∗x + (β − s·μ),  s = γ/√(σ² + ε),
 * with s applied per output channel. Computed in float64, rounded once to float32.
 */

/** Evaluation batch-norm values of one channel set. */
export interface BatchNormValues {
  gamma: Float32Array;
  beta: Float32Array;
  mean: Float32Array;
  variance: Float32Array;
  eps: number;
}

/** Conv weight [Co, ...] (flattened) and BN → folded weight and bias [Co]. */
export function foldBatchNorm(
  weight: Float32Array,
  outChannels: number,
  bn: BatchNormValues,
): { weight: Float32Array; bias: Float32Array } {
  if (weight.length % outChannels !== 0) {
    throw new Error(
      `foldBatchNorm: ${weight.length} weights do not split into ${outChannels} channels`,
    );
  }
  for (const [name, v] of Object.entries(bn)) {
    if (typeof v !== "number" && v.length !== outChannels) {
      throw new Error(`foldBatchNorm: BN ${name} has ${v.length} values, expected ${outChannels}`);
    }
  }
  const perChannel = weight.length / outChannels;
  const folded = new Float32Array(weight.length);
  const bias = new Float32Array(outChannels);
  for (let c = 0; c < outChannels; c++) {
    const scale = bn.gamma[c] / Math.sqrt(bn.variance[c] + bn.eps);
    for (let i = 0; i < perChannel; i++) {
      folded[c * perChannel + i] = weight[c * perChannel + i] * scale;
    }
    bias[c] = bn.beta[c] - bn.mean[c] * scale;
  }
  return { weight: folded, bias };
}
