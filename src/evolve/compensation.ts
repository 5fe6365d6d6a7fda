/**
 * Gradients of the fitness scores through ProxylessNAS's binary gates, with the paper's
 * compensation factor (Eq. 4):
 *
 *   ∂L/∂α_i ≈ Σ_k ∂L/∂g_k · p_k(δ_ik − p_i) · n(d_i)/n′(d_i),   p = softmax(α)
 *
 * n is the supernet's accumulated training iterations (global) and n′ those of cell
 * d_i in the whole population (`PopulationEntry.trainedIterations`, the iterations it
 * spent as one of the K paths). Tournament sampling leaves some cells in many
 * supernets and others in few; n/n′ ≥ 1 enlarges the steps of the rarely trained.
 * A cell that has just been born has n′ = 0, so the factor is capped (`cap`, default
 * 10) to keep its first steps bounded; before any training (n = 0) it is 1.
 *
 * Note for the optimiser: Adam divides each parameter's step by the root mean square of
 * its gradients, so a factor that stays constant over one supernet's life cancels out
 * under Adam. To give Eq. 4 its effect with Adam, scale the Adam *step* of α_i by the
 * factor (or use SGD on α); this file only computes the numbers.
 *
 * The binary gates, the softmax Jacobian (`eq4Gradient`) and the two-path rescaling
 * live in src/supernet/gates.ts; the gradient search uses them too.
 */
import type { LayerPopulation } from "./population.ts";

/** Default cap of the compensation factor n/n′. */
export const DEFAULT_COMPENSATION_CAP = 10;

/** Eq. 4's factor n/n′ for one cell: n / max(n′, 1), capped at `cap`; 1 while n = 0. */
export function compensationFactor(
  n: number,
  nPrime: number,
  cap = DEFAULT_COMPENSATION_CAP,
): number {
  if (!(n >= 0 && nPrime >= 0)) {
    throw new RangeError(`compensationFactor: iteration counts must be >= 0, got ${n}, ${nPrime}`);
  }
  if (!(cap >= 1)) throw new RangeError(`compensationFactor: cap must be >= 1, got ${cap}`);
  if (n === 0) return 1;
  return Math.min(cap, n / Math.max(nPrime, 1));
}

/** Eq. 4's factors for the sampled cells `ids` (path order) of one layer. */
export function compensationFactors(
  population: LayerPopulation,
  ids: readonly string[],
  n: number,
  cap = DEFAULT_COMPENSATION_CAP,
): number[] {
  return ids.map((id) => compensationFactor(n, population.require(id).trainedIterations, cap));
}
