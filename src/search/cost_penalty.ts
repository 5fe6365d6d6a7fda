/**
 * How the expected cost E (Eq. 6's Cost(N), from `expectedCost`) enters the
 * architecture loss, and how λ is found for a cost target.
 *
 * Three forms, each giving the loss and the two factors of its α-gradient,
 *   ∂L/∂α = ceScale · ∂CE/∂α + costScale · ∂E/∂α:
 * - "linear": the paper's Eq. 6 as written, L = CE + λ·E (λ in the caller's cost units).
 * - "add#linear": ProxylessNAS's additive form, L = CE + λ·(E − T)/T: Eq. 6 with the
 *   cost measured in units of the target T, so that λ means the same in every space.
 *   The −T is a constant; the gradient is Eq. 6's with λ/T.
 * - "mul#log": ProxylessNAS's default, L = a·CE·(log E / log T)^b (their defaults
 *   a = 0.2, b = 0.3 for the FLOPs target). It scales the CE gradient as well.
 *
 * For a target (`--madds-target`), `TargetLambda` tunes λ of the add#linear form
 * during the search: after each architecture step, λ ← clamp(λ + η·(E/T − 1), 0, max).
 * This is dual (sub)gradient ascent on the constraint E ≤ T of the Lagrangian
 * CE + λ·(E − T)/T: λ grows while E is above the target and shrinks while it is below
 * (to 0 when the constraint does not bind), so E settles at T on average; like every
 * dual ascent on a near-linear objective it oscillates around T, and its time average
 * converges. On a toy search (test/search_expected_cost.test.ts) the mean of E over the
 * second half of 1000 steps lands within 3% of T. The ProxylessNAS forms alone do not
 * do this: both
 * penalise cost monotonically (the target only sets the scale), so where the derived
 * network lands still depends on a λ (or a, b) tuned per space by hand; a search over
 * λ by bisection would need a full search per trial, which this CPU cannot afford.
 */

/** One of the three forms of the cost penalty (see the module comment). */
export type CostPenalty =
  | { kind: "linear"; lambda: number }
  | { kind: "add#linear"; lambda: number; target: number }
  | { kind: "mul#log"; alpha: number; beta: number; target: number };

/** ProxylessNAS's defaults for the mul#log form (search/imagenet_arch_search.py). */
export const PROXYLESS_MUL_LOG = { alpha: 0.2, beta: 0.3 } as const;

/** The loss and the factors of its gradient: ∂L/∂α = ceScale·∂CE/∂α + costScale·∂E/∂α. */
export interface PenalizedLoss {
  loss: number;
  ceScale: number;
  costScale: number;
}

/** Applies `penalty` to a cross-entropy `ce` and an expected cost `expected` (> 0). */
export function penalize(penalty: CostPenalty, ce: number, expected: number): PenalizedLoss {
  switch (penalty.kind) {
    case "linear":
      return { loss: ce + penalty.lambda * expected, ceScale: 1, costScale: penalty.lambda };
    case "add#linear": {
      const t = requireTarget(penalty.target);
      return {
        loss: ce + penalty.lambda * (expected - t) / t,
        ceScale: 1,
        costScale: penalty.lambda / t,
      };
    }
    case "mul#log": {
      const t = requireTarget(penalty.target);
      if (!(t > 1 && expected > 1)) {
        throw new RangeError(
          `mul#log penalty: log E / log T needs E and T above 1, got E ${expected}, T ${t}`,
        );
      }
      const { alpha: a, beta: b } = penalty;
      const ratio = Math.log(expected) / Math.log(t);
      const factor = Math.pow(ratio, b);
      // d/dE (log E / log T)^b = b·ratio^(b−1) / (E·log T).
      const dFactor = b * Math.pow(ratio, b - 1) / (expected * Math.log(t));
      return { loss: a * ce * factor, ceScale: a * factor, costScale: a * ce * dFactor };
    }
  }
}

function requireTarget(target: number): number {
  if (!(Number.isFinite(target) && target > 0)) {
    throw new RangeError(`cost penalty: the target must be finite and > 0, got ${target}`);
  }
  return target;
}

/** Settings of `TargetLambda`. */
export interface TargetLambdaOptions {
  /** The cost target T. */
  target: number;
  /** λ before the first update; default 0.1 (ProxylessNAS's add#linear λ). */
  initial?: number;
  /** η, the change of λ per unit of relative excess E/T − 1; default 1. */
  rate?: number;
  /** Upper bound of λ (λ ≥ 0 always); default 1e3. */
  max?: number;
}

/** λ of the add#linear penalty, adapted so that the expected cost settles at the target. */
export class TargetLambda {
  readonly target: number;
  readonly rate: number;
  readonly max: number;
  private value: number;

  constructor(opts: TargetLambdaOptions) {
    this.target = requireTarget(opts.target);
    this.rate = opts.rate ?? 1;
    this.max = opts.max ?? 1e3;
    if (!(this.rate > 0 && this.max > 0)) {
      throw new RangeError(
        `TargetLambda: need rate > 0 and max > 0, got ${this.rate}, ${this.max}`,
      );
    }
    this.value = this.clamp(opts.initial ?? 0.1);
  }

  /** The current λ. */
  get lambda(): number {
    return this.value;
  }

  /** The penalty to use for the next architecture step. */
  penalty(): CostPenalty {
    return { kind: "add#linear", lambda: this.value, target: this.target };
  }

  /** Moves λ after a step whose expected cost was `expected`; returns the new λ. */
  update(expected: number): number {
    if (!(Number.isFinite(expected) && expected >= 0)) {
      throw new RangeError(`TargetLambda: expected cost must be finite and >= 0, got ${expected}`);
    }
    this.value = this.clamp(this.value + this.rate * (expected / this.target - 1));
    return this.value;
  }

  /** For checkpoints. */
  getState(): { lambda: number } {
    return { lambda: this.value };
  }

  setState(state: { lambda: number }): void {
    this.value = this.clamp(state.lambda);
  }

  private clamp(v: number): number {
    if (!Number.isFinite(v)) throw new RangeError(`TargetLambda: λ must be finite, got ${v}`);
    return Math.min(this.max, Math.max(0, v));
  }
}
