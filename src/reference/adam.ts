/**
 * One step of Adam, in place, following PyTorch's torch.optim.Adam (L2 weight decay
 * added to the gradient, not AdamW's decoupled decay):
 *   g ← grad + weightDecay·p
 *   m ← β1·m + (1 − β1)·g,   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (sqrt(v) / sqrt(1 − β2^t) + eps)
 * with t the 1-based step. β1 = 0 works (m = g and its bias correction is 1).
 */

/** Hyper-parameters of adamStep; defaults are PyTorch's. */
export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/**
 * Updates `param`, `m` and `v` in place (m and v start zero-filled); `grad` is read
 * only. `step` counts from 1 for the first update.
 */
export function adamStep(
  param: Float64Array,
  grad: Float64Array,
  m: Float64Array,
  v: Float64Array,
  step: number,
  opts: AdamOptions,
): void {
  const { lr, beta1 = 0.9, beta2 = 0.999, eps = 1e-8, weightDecay = 0 } = opts;
  if (grad.length !== param.length || m.length !== param.length || v.length !== param.length) {
    throw new Error(
      `adamStep: param, grad, m, v have ${param.length}, ${grad.length}, ${m.length}, ` +
        `${v.length} entries; they must match`,
    );
  }
  if (!Number.isInteger(step) || step < 1) {
    throw new Error(`adamStep: step is ${step}; pass the 1-based step count`);
  }
  if (!(beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1)) {
    throw new Error(`adamStep: betas are (${beta1}, ${beta2}); each must be in [0, 1)`);
  }
  const biasCorrection1 = 1 - Math.pow(beta1, step);
  const biasCorrection2 = 1 - Math.pow(beta2, step);
  const stepSize = lr / biasCorrection1;
  for (let i = 0; i < param.length; i++) {
    const g = grad[i] + weightDecay * param[i];
    m[i] = beta1 * m[i] + (1 - beta1) * g;
    v[i] = beta2 * v[i] + (1 - beta2) * g * g;
    const denom = Math.sqrt(v[i]) / Math.sqrt(biasCorrection2) + eps;
    param[i] -= stepSize * m[i] / denom;
  }
}
