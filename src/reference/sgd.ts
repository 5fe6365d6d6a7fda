/**
 * One step of stochastic gradient descent with momentum, in place, following
 * PyTorch's torch.optim.SGD:
 *   g ← grad + weightDecay·p
 *   buf ← momentum·buf + (1 − dampening)·g      (PyTorch's first step: buf ← g)
 *   g ← g + momentum·buf if nesterov, else g ← buf
 *   p ← p − lr·g
 * Momentum buffer convention: the caller keeps a zero-initialised buffer. With
 * dampening = 0 (the usual case) momentum·0 + g = g, so the first step already equals
 * PyTorch's. With dampening ≠ 0, PyTorch's first step skips the damping; pass
 * `firstStep: true` on that step to reproduce it exactly.
 */

/** Hyper-parameters of sgdStep; defaults are PyTorch's. */
export interface SgdOptions {
  lr: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  weightDecay?: number;
  /** True on the first step only: buf ← g as PyTorch does (matters if dampening ≠ 0). */
  firstStep?: boolean;
}

/**
 * Updates `param` (and `momentumBuf`, when momentum ≠ 0) in place; `grad` is read only.
 * `momentumBuf` may be null when momentum is 0.
 */
export function sgdStep(
  param: Float64Array,
  grad: Float64Array,
  momentumBuf: Float64Array | null,
  opts: SgdOptions,
): void {
  const { lr, momentum = 0, dampening = 0, nesterov = false, weightDecay = 0 } = opts;
  if (grad.length !== param.length) {
    throw new Error(`sgdStep: grad has ${grad.length} entries, param has ${param.length}`);
  }
  if (momentum !== 0 && (momentumBuf === null || momentumBuf.length !== param.length)) {
    throw new Error(
      `sgdStep: momentum is ${momentum} but the momentum buffer has ` +
        `${momentumBuf === null ? "no" : momentumBuf.length} entries; pass ${param.length}`,
    );
  }
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new Error(
      `sgdStep: nesterov needs momentum > 0 and dampening 0 (got ${momentum}, ${dampening})`,
    );
  }
  for (let i = 0; i < param.length; i++) {
    let g = grad[i] + weightDecay * param[i];
    if (momentum !== 0) {
      const buf = momentumBuf!;
      buf[i] = opts.firstStep ? g : momentum * buf[i] + (1 - dampening) * g;
      g = nesterov ? g + momentum * buf[i] : buf[i];
    }
    param[i] -= lr * g;
  }
}
