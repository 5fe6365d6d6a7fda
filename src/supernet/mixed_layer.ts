/**
 * A mixed layer: K candidate blocks run in parallel, combined as y = Σ_k g_k·y_k
 * (Eq. 3 of the paper). Under ProxylessNAS binary gates only the active paths run
 * forward (one or two), so memory is that of one or two paths, not K. The gate
 * gradients ∂L/∂g_k = Σ(y_k ⊙ ∂L/∂y) come from `weightedSum`'s backward; the host
 * maps them to the architecture logits (Eq. 4).
 */
import { Module } from "../nn/module.ts";
import { weightedSum } from "../ops/weighted_sum.ts";
import { requireGrad } from "../tensor/autograd.ts";
import { fromArray, upload } from "../tensor/creation.ts";
import { noGrad } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** Which candidates run this step, and the gate value of each. */
export interface PathChoice {
  /** Candidate indices that run forward, in order. */
  active: number[];
  /** Gate values for the active paths (binary gates: one 1 and zeros). */
  gates: number[];
  /**
   * Paths whose gate is 0 run forward without a graph: their ∂L/∂g is still taken, but
   * nothing back-propagates through them (ProxylessNAS's full_v2 gates over every path).
   */
  detachIdle?: boolean;
}

/**
 * By default the candidates are not child modules: their weights belong to whoever
 * built them (a weight bank during evolution), so the supernet can swap them on
 * regeneration. With `owned` (a supernet built from a fixed search space) they are
 * children: listed by parameters() and buffers(), freed by dispose().
 */
export class MixedLayer extends Module {
  private choice: PathChoice = { active: [0], gates: [1] };
  /** Persistent gate tensors by active-path count; their .grad holds ∂L/∂g. */
  private gateTensors = new Map<number, Tensor>();
  /** When true, gates are leaves whose gradient is wanted (architecture steps). */
  gateGradients = false;

  constructor(public candidates: Module[], readonly owned = false) {
    super();
    if (owned) candidates.forEach((c, k) => this.child(`paths.${k}`, c));
  }

  /** Replaces the candidate blocks (after a regeneration). */
  setCandidates(candidates: Module[]): void {
    if (this.owned) throw new Error("MixedLayer: owned candidates cannot be replaced");
    this.candidates = candidates;
    this.choice = { active: [0], gates: [1] };
  }

  override train(on = true): this {
    super.train(on);
    if (!this.owned) { for (const c of this.candidates) c.train(on); }
    return this;
  }

  /** Sets the paths for the next forward. A single path with gate 1 skips the sum. */
  choose(choice: PathChoice): void {
    if (choice.active.length !== choice.gates.length || choice.active.length === 0) {
      throw new Error(
        `MixedLayer: ${choice.active.length} active paths but ${choice.gates.length} gates`,
      );
    }
    for (const i of choice.active) {
      if (!(i >= 0 && i < this.candidates.length)) {
        throw new Error(`MixedLayer: path ${i} out of range 0..${this.candidates.length - 1}`);
      }
    }
    this.choice = choice;
  }

  get active(): readonly number[] {
    return this.choice.active;
  }

  /** The gate tensor of the current choice (its grad is ∂L/∂g after backward). */
  gateTensor(): Tensor | null {
    return this.gateTensors.get(this.choice.active.length) ?? null;
  }

  forward(x: Tensor): Tensor {
    const { active, gates } = this.choice;
    if (active.length === 1 && gates[0] === 1 && !this.gateGradients) {
      return this.candidates[active[0]].forward(x);
    }
    const ys = active.map((i, j) =>
      this.choice.detachIdle && gates[j] === 0
        ? noGrad(() => this.candidates[i].forward(x))
        : this.candidates[i].forward(x)
    );
    let g = this.gateTensors.get(active.length);
    const values = Float32Array.from(gates);
    if (!g) {
      g = fromArray([active.length], values, { name: "gates", persistent: true });
      this.gateTensors.set(active.length, g);
    } else {
      upload(g, values);
    }
    g.requiresGrad = this.gateGradients;
    if (this.gateGradients) {
      requireGrad(g);
      g.gradIsStale = true; // this step's backward overwrites last step's ∂L/∂g
    }
    return weightedSum(ys, g);
  }

  /** Frees the gate tensors, and the candidates when owned (else they stay with their owner). */
  override dispose(): void {
    for (const g of this.gateTensors.values()) g.dispose();
    this.gateTensors.clear();
    if (this.owned) super.dispose();
  }
}
