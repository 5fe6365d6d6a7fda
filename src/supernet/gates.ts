/**
 * ProxylessNAS's binary gates (§3.2.1 of ProxylessNAS), shared by the evolution's
 * fitness steps and the gradient search:
 *
 *   p = softmax(α) over a layer's K paths; per step `sampleActivePaths` draws 1 or 2
 *   distinct paths ∝ p; `binaryGate` turns on one of them, ∝ p renormalised over the
 *   active set. Only active paths run forward; ∂L/∂g_k = Σ(y_k · ∂L/∂out) for an active
 *   path, 0 for the others. The softmax Jacobian maps the gate gradients to α:
 *
 *     ∂L/∂α_i = Σ_k ∂L/∂g_k · p_k(δ_ik − p_i) · factor_i
 *
 *   (the paper's Eq. 4, whose compensation factor n/n′ is `factor_i`; 1 in ProxylessNAS).
 *   With two paths the softmax is restricted to the active pair, and after the update
 *   `rescaleActiveAlphas` shifts the pair's α so that the inactive paths' probabilities
 *   do not move.
 */
import type { Rng } from "../util/rng.ts";

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
