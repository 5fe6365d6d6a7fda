/**
 * Eq. 6's cost term as the gradient and RL searches use it, whichever way the flags
 * set it (src/search/config.ts `CostTerm`): none, a fixed λ per unit of cost (the
 * paper's linear form), or a target with λ adapted by dual ascent (ProxylessNAS's
 * additive form, `TargetLambda`). Both forms are additive, so the cost's share of the
 * loss — and of the reward, R = accuracy − penalty(cost) — never depends on the
 * cross-entropy.
 */
import type { CostTerm } from "./config.ts";
import { type CostPenalty, penalize, TargetLambda } from "./cost_penalty.ts";

export class Eq6Term {
  private readonly target: TargetLambda | null;

  /** `lambdaUnit`: cost per unit of a fixed λ (1e6 for λ per million MAdds). */
  constructor(readonly term: CostTerm, lambdaRate: number, private readonly lambdaUnit: number) {
    this.target = term.kind === "target"
      ? new TargetLambda({ target: term.target, initial: term.initialLambda, rate: lambdaRate })
      : null;
  }

  /** The penalty of the next step, or null without a cost term. */
  penalty(): CostPenalty | null {
    switch (this.term.kind) {
      case "none":
        return null;
      case "fixed":
        return { kind: "linear", lambda: this.term.lambda / this.lambdaUnit };
      case "target":
        return this.target!.penalty();
    }
  }

  /** λ now: per `lambdaUnit` of cost (fixed), of the additive form (target), or null. */
  get lambda(): number | null {
    if (this.term.kind === "fixed") return this.term.lambda;
    return this.target?.lambda ?? null;
  }

  /** ∂L/∂E: the factor of ∂E/∂α in the architecture gradient (0 without a term). */
  costScale(expected: number): number {
    const penalty = this.penalty();
    return penalty ? penalize(penalty, 0, expected).costScale : 0;
  }

  /** The penalty of a network costing `cost` (subtracted from a REINFORCE reward). */
  costLoss(cost: number): number {
    const penalty = this.penalty();
    return penalty ? penalize(penalty, 0, cost).loss : 0;
  }

  /** After an architecture step whose expected cost was `expected`: moves a target's λ. */
  update(expected: number): void {
    this.target?.update(expected);
  }

  /** For checkpoints (the adapted λ; nothing else changes). */
  getState(): { lambda: number | null } {
    return { lambda: this.target?.lambda ?? null };
  }

  setState(state: { lambda: number | null }): void {
    if (this.target && state.lambda !== null) this.target.setState({ lambda: state.lambda });
  }
}
