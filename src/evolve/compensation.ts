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
 * Binary gates (ProxylessNAS §3.2.1): per step, `sampleActivePaths` draws 1 or 2
 * distinct paths ∝ p; `binaryGate` picks the one gate that is on, ∝ p renormalised over
 * the active set. Only active paths run forward; ∂L/∂g_k is Σ(y_k · ∂L/∂out) for an
 * active path and 0 for the others. With two paths ProxylessNAS restricts the softmax
 * to the active pair and afterwards shifts the pair's α (`rescaleActiveAlphas`) so
 * that the inactive paths' probabilities do not move.
 */
import type { Rng } from "../util/rng.ts";
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

/** Softmax, shifted by the maximum so that large logits do not overflow. */
export function softmax(alpha: readonly number[]): number[] {
  if (alpha.length === 0) return [];
  const max = Math.max(...alpha);
  if (!Number.isFinite(max)) throw new RangeError(`softmax: non-finite logits ${alpha.join(",")}`);
  const exps = alpha.map((a) => Math.exp(a - max));
  const sum = exps.reduce((s, e) => s + e, 0);
  return exps.map((e) => e / sum);
}

/**
 * Eq. 4: ∂L/∂α_i = Σ_k gateGrads_k · p_k(δ_ik − p_i) · factors_i, for K paths.
 * `gateGrads` holds ∂L/∂g_k (0 for paths that did not run); `p` is softmax(α).
 */
export function eq4Gradient(
  gateGrads: readonly number[],
  p: readonly number[],
  factors: readonly number[],
): number[] {
  const k = p.length;
  if (gateGrads.length !== k || factors.length !== k) {
    throw new RangeError(
      `eq4Gradient: lengths differ (gateGrads ${gateGrads.length}, p ${k}, factors ${factors.length})`,
    );
  }
  // Σ_k g_k p_k (δ_ik − p_i) = p_i·g_i − p_i·Σ_k g_k p_k.
  let weighted = 0;
  for (let j = 0; j < k; j++) weighted += gateGrads[j] * p[j];
  return p.map((pi, i) => (pi * gateGrads[i] - pi * weighted) * factors[i]);
}

function checkProbabilities(p: readonly number[], where: string): number {
  let sum = 0;
  for (const value of p) {
    if (!(value >= 0) || !Number.isFinite(value)) {
      throw new RangeError(`${where}: probabilities must be finite and >= 0, got ${p.join(",")}`);
    }
    sum += value;
  }
  return sum;
}

/** One index of `indices` drawn ∝ p (uniformly when their mass is 0). */
function drawFrom(p: readonly number[], indices: readonly number[], rng: Rng): number {
  let mass = 0;
  for (const i of indices) mass += p[i];
  if (mass <= 0) return rng.pick(indices);
  let u = rng.next() * mass;
  for (const i of indices) {
    u -= p[i];
    if (u < 0) return i;
  }
  // Rounding left u at ~0: take the last index with mass.
  return [...indices].reverse().find((i) => p[i] > 0)!;
}

/**
 * `count` (1 or 2, at most K) distinct path indices drawn ∝ p without replacement
 * (multinomial sampling of ProxylessNAS), in draw order.
 */
export function sampleActivePaths(p: readonly number[], count: number, rng: Rng): number[] {
  checkProbabilities(p, "sampleActivePaths");
  if (!(Number.isInteger(count) && count >= 1 && count <= p.length)) {
    throw new RangeError(
      `sampleActivePaths: count must be an integer in [1, ${p.length}], got ${count}`,
    );
  }
  const left = p.map((_, i) => i);
  const chosen: number[] = [];
  while (chosen.length < count) {
    const i = drawFrom(p, left, rng);
    chosen.push(i);
    left.splice(left.indexOf(i), 1);
  }
  return chosen;
}

/**
 * The binary gates over K paths: one-hot on one path of `active`, chosen ∝ p
 * renormalised over `active`.
 */
export function binaryGate(
  p: readonly number[],
  active: readonly number[],
  rng: Rng,
): { gates: number[]; chosen: number } {
  checkProbabilities(p, "binaryGate");
  if (active.length === 0) throw new RangeError("binaryGate: no active paths");
  for (const i of active) {
    if (!(Number.isInteger(i) && i >= 0 && i < p.length)) {
      throw new RangeError(`binaryGate: active path ${i} is not in [0, ${p.length})`);
    }
  }
  const chosen = drawFrom(p, active, rng);
  const gates = p.map((_, i) => (i === chosen ? 1 : 0));
  return { gates, chosen };
}

/**
 * ProxylessNAS's rescaling after an α update restricted to the active paths: shifts
 * the active α by −log(Σ_active e^after / Σ_active e^before), so their total softmax
 * mass, and hence every inactive path's probability, is what it was before the update.
 * Returns the new α (inactive entries are `after`'s, unchanged).
 */
export function rescaleActiveAlphas(
  before: readonly number[],
  after: readonly number[],
  active: readonly number[],
): number[] {
  if (before.length !== after.length) {
    throw new RangeError(`rescaleActiveAlphas: lengths differ (${before.length}, ${after.length})`);
  }
  const logSumExp = (alpha: readonly number[]) => {
    const max = Math.max(...active.map((i) => alpha[i]));
    return max + Math.log(active.reduce((s, i) => s + Math.exp(alpha[i] - max), 0));
  };
  const offset = logSumExp(after) - logSumExp(before);
  const set = new Set(active);
  return after.map((a, i) => (set.has(i) ? a - offset : a));
}
