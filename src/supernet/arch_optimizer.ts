/**
 * Adam on one layer's architecture logits α, on the host (a layer has K ≤ a dozen
 * logits, so a kernel dispatch would cost more than the arithmetic).
 *
 *   m ← β1·m + (1 − β1)·g,  v ← β2·v + (1 − β2)·g²,  t ← t + 1
 *   α ← α − lr·scale · (m / (1 − β1^t)) / (√(v / (1 − β2^t)) + eps)
 *
 * ProxylessNAS trains α with Adam, β1 = 0, β2 = 0.999, eps = 1e-8; with β1 = 0 the
 * first moment is the gradient itself. Every flag acts, β1 included.
 *
 * `step` updates either the entries listed in `indices` (lazy Adam: the others keep
 * their moments; the evolution's fitness steps, where only the active paths have a
 * gradient) or, without `indices`, every entry (the gradient search, whose Eq. 6 cost
 * term gives every path a gradient). `scale` multiplies an entry's step, not its
 * gradient: Adam cancels a constant gradient factor, so this is how the paper's Eq. 4
 * compensation n/n′ takes effect.
 */

/** Hyper-parameters of `ArchAdam`. */
export interface ArchAdamOptions {
  readonly lr: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

/** The state of an `ArchAdam`, for checkpoints. */
export interface ArchAdamState {
  m: number[];
  v: number[];
  t: number;
}

export class ArchAdam {
  private m: number[];
  private v: number[];
  private t = 0;

  constructor(readonly size: number, readonly options: ArchAdamOptions) {
    const { lr, beta1, beta2, eps } = options;
    if (!(lr >= 0 && beta1 >= 0 && beta1 < 1 && beta2 >= 0 && beta2 < 1 && eps > 0)) {
      throw new RangeError(
        `ArchAdam: need lr >= 0, beta1 and beta2 in [0, 1), eps > 0; got lr ${lr}, ` +
          `beta1 ${beta1}, beta2 ${beta2}, eps ${eps}`,
      );
    }
    this.m = new Array(size).fill(0);
    this.v = new Array(size).fill(0);
  }

  /** Steps taken so far. */
  get steps(): number {
    return this.t;
  }

  /**
   * One Adam step. `grad[j]` is the gradient of entry `indices[j]` (or of entry j when
   * `indices` is omitted); `scale[j]` (default 1) multiplies that entry's step.
   * Returns the new α; `alpha` is not modified.
   */
  step(
    alpha: readonly number[],
    grad: readonly number[],
    indices?: readonly number[],
    scale?: readonly number[],
  ): number[] {
    if (alpha.length !== this.size) {
      throw new RangeError(`ArchAdam: ${alpha.length} logits, the optimizer holds ${this.size}`);
    }
    const which = indices ?? alpha.map((_, i) => i);
    if (grad.length !== which.length || (scale && scale.length !== which.length)) {
      throw new RangeError(
        `ArchAdam: ${which.length} entries but ${grad.length} gradients` +
          (scale ? ` and ${scale.length} scales` : ""),
      );
    }
    const { lr, beta1, beta2, eps } = this.options;
    this.t++;
    const out = [...alpha];
    which.forEach((i, j) => {
      const g = grad[j];
      this.m[i] = beta1 * this.m[i] + (1 - beta1) * g;
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g * g;
      const mHat = this.m[i] / (1 - beta1 ** this.t);
      const vHat = this.v[i] / (1 - beta2 ** this.t);
      out[i] = alpha[i] - lr * (scale?.[j] ?? 1) * mHat / (Math.sqrt(vHat) + eps);
    });
    return out;
  }

  /** A copy of the moments and step count. */
  state(): ArchAdamState {
    return { m: [...this.m], v: [...this.v], t: this.t };
  }

  /** Restores `state()`; throws one line when its size differs. */
  setState(state: ArchAdamState): void {
    if (state.m.length !== this.size || state.v.length !== this.size) {
      throw new RangeError(
        `ArchAdam: saved moments have ${state.m.length}/${state.v.length} entries, not ${this.size}`,
      );
    }
    this.m = [...state.m];
    this.v = [...state.v];
    this.t = state.t;
  }
}
