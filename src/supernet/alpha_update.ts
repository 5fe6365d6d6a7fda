/**
 * One architecture update of one layer's α from its binary-gate gradients, as
 * ProxylessNAS does it with two active paths: the softmax is restricted to the active
 * paths (`eq4Gradient` over p renormalised on them), the optimizer steps, and
 * `rescaleActiveAlphas` shifts the active α so that the inactive paths' probabilities
 * stay where they were. A dense `extraGrad` (another loss term's ∂/∂α over all K
 * paths, such as Eq. 6's expected-cost term) is added before the step, as ProxylessNAS
 * adds its expected-latency gradient to the gate-derived one.
 */
import type { ArchAdam } from "./arch_optimizer.ts";
import { eq4Gradient, rescaleActiveAlphas, softmax } from "./gates.ts";

/** Inputs of `updateAlphaFromGates`. */
export interface GateUpdate {
  readonly alpha: readonly number[];
  /** Paths that ran forward, in the order of `gateGrads`. */
  readonly active: readonly number[];
  /** ∂L/∂g of the active paths. */
  readonly gateGrads: ArrayLike<number>;
  readonly optimizer: ArchAdam;
  /** Per active path: a factor on its step (the paper's Eq. 4 compensation n/n′). */
  readonly stepScale?: readonly number[];
  /** ∂/∂α of further loss terms, over all K paths. */
  readonly extraGrad?: readonly number[];
}

/** Returns the layer's new α (the input is not modified). */
export function updateAlphaFromGates(u: GateUpdate): number[] {
  const { alpha, active, optimizer } = u;
  if (u.gateGrads.length !== active.length) {
    throw new RangeError(
      `updateAlphaFromGates: ${active.length} active paths, ${u.gateGrads.length} gate gradients`,
    );
  }
  const pActive = softmax(active.map((i) => alpha[i]));
  const g = eq4Gradient(Array.from(u.gateGrads), pActive, active.map(() => 1));
  let after: number[];
  if (u.extraGrad) {
    if (u.extraGrad.length !== alpha.length) {
      throw new RangeError(
        `updateAlphaFromGates: extra gradient has ${u.extraGrad.length} entries, α ${alpha.length}`,
      );
    }
    if (u.stepScale) throw new RangeError("updateAlphaFromGates: stepScale needs a sparse step");
    const dense = [...u.extraGrad];
    active.forEach((i, j) => dense[i] += g[j]);
    after = optimizer.step(alpha, dense);
  } else {
    after = optimizer.step(alpha, g, active, u.stepScale);
  }
  return rescaleActiveAlphas(alpha, after, active);
}

/** Inputs of `updateAlphaFromAllGates`. */
export interface AllGatesUpdate {
  readonly alpha: readonly number[];
  /** ∂L/∂g of every path, in path order. */
  readonly gateGrads: ArrayLike<number>;
  readonly optimizer: ArchAdam;
  /** ∂/∂α of further loss terms, over all K paths. */
  readonly extraGrad?: readonly number[];
}

/**
 * One architecture update from the gate gradients of every path (ProxylessNAS's full_v2):
 * Eq. 4 over the full softmax and a dense step; no rescaling, since no path sat out.
 * Returns the layer's new α.
 */
export function updateAlphaFromAllGates(u: AllGatesUpdate): number[] {
  const { alpha, optimizer } = u;
  if (u.gateGrads.length !== alpha.length) {
    throw new RangeError(
      `updateAlphaFromAllGates: ${alpha.length} paths, ${u.gateGrads.length} gate gradients`,
    );
  }
  if (u.extraGrad && u.extraGrad.length !== alpha.length) {
    throw new RangeError(
      `updateAlphaFromAllGates: extra gradient has ${u.extraGrad.length} entries, α ${alpha.length}`,
    );
  }
  const g = eq4Gradient(Array.from(u.gateGrads), softmax(alpha), alpha.map(() => 1));
  return optimizer.step(alpha, g.map((gi, i) => gi + (u.extraGrad?.[i] ?? 0)));
}
