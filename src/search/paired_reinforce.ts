/**
 * The paired estimator of the REINFORCE search (`--rl-estimator paired`): the same
 * objective as ProxylessNAS's RL step, E_p[R] over paths drawn from p = softmax(α) per
 * layer, estimated with common random numbers. An architecture step draws one context
 * path c ∝ p and, per searchable layer l, a second candidate j_l ∝ p_l independently; it
 * scores c and, for every layer where j_l ≠ c_l, c with layer l switched to j_l — all on
 * the same held-out batch. For two independent draws i, j of p_l and rewards R_k of the
 * candidates in one context,
 *
 *   E[½ (e_i − e_j)(R_i − R_j)] = Σ_k p_k R_k (e_k − p) = ∂E[R]/∂α_l
 *
 * (the leave-one-out baseline of Kool et al. 2019 with two samples), so each layer's
 * estimate is unbiased; averaged over contexts c ∝ p it is the gradient of E_p[R]. What the
 * pairing buys is variance: the two networks of a layer's comparison differ in that layer
 * only and see the same images, so the batch's difficulty and the other layers' draws
 * cancel from R_i − R_j, where the batch estimator's paths differ in every layer at once.
 * It costs 1 + (layers whose draw differs) forward passes a step.
 *
 * `--rl-estimator paired-all` scores, in the same context, every other candidate of every
 * layer. Each layer's gradient is then the expectation over its own draw given the other
 * layers' context, exactly,
 *
 *   ∂E[R]/∂α_l = Σ_k p_k R_k (e_k − p)   (R_{c_l}: the context's reward),
 *
 * still unbiased over contexts c ∝ p, and every pair of a layer's candidates is compared on
 * every step instead of about 2·p_i·p_j of them. Each variation runs only from its switched
 * layer on (src/search/proxyless_rl.ts), so a late layer's variations are cheap.
 */
import { sampleActivePaths, softmax } from "../supernet/gates.ts";
import type { Rng } from "../util/rng.ts";
import { checkPath, type Logits, type Path } from "./expected_cost.ts";

/**
 * Per layer, a candidate drawn ∝ p_l independently of the context's; null where the draw
 * equals the context's candidate (that layer compares nothing this step).
 */
export function drawAlternatives(alphas: Logits, context: Path, rng: Rng): (number | null)[] {
  checkPath(alphas.map((a) => a.length), context, "drawAlternatives");
  return alphas.map((alpha, l) => {
    const j = sampleActivePaths(softmax(alpha), 1, rng)[0];
    return j === context[l] ? null : j;
  });
}

/**
 * ∂(−J)/∂α for a minimiser from one paired step: `rewards` in `variationPaths` order (the
 * context's first). Layers without an alternative get a zero gradient.
 */
export function pairedLossGradient(
  alphas: Logits,
  context: Path,
  alternatives: readonly (number | null)[],
  rewards: readonly number[],
): number[][] {
  const compared = alternatives.filter((j) => j !== null).length;
  if (rewards.length !== 1 + compared) {
    throw new RangeError(
      `pairedLossGradient: ${rewards.length} rewards for 1 context and ${compared} alternatives`,
    );
  }
  if (!rewards.every(Number.isFinite)) {
    throw new RangeError(`pairedLossGradient: non-finite reward in ${rewards.join(", ")}`);
  }
  let next = 1;
  return alphas.map((alpha, l) => {
    const grad = alpha.map(() => 0);
    const j = alternatives[l];
    if (j === null) return grad;
    const i = context[l];
    const half = 0.5 * (rewards[0] - rewards[next++]); // ½ (R_i − R_j)
    grad[i] -= half; // −½ (e_i − e_j)(R_i − R_j): a minimiser raises J
    grad[j] += half;
    return grad;
  });
}

/**
 * ∂(−J)/∂α for a minimiser from one `paired-all` step: `rewards` in `variationPaths` order
 * for `everyAlternative(context)`. Per layer, −Σ_k p_k R_k (e_k − p) = −p ⊙ (R − p·R).
 */
export function everyCandidateLossGradient(
  alphas: Logits,
  context: Path,
  rewards: readonly number[],
): number[][] {
  const expected = 1 + alphas.reduce((n, alpha) => n + alpha.length - 1, 0);
  if (rewards.length !== expected) {
    throw new RangeError(
      `everyCandidateLossGradient: ${rewards.length} rewards for ${expected} paths`,
    );
  }
  if (!rewards.every(Number.isFinite)) {
    throw new RangeError(`everyCandidateLossGradient: non-finite reward in ${rewards.join(", ")}`);
  }
  let next = 1;
  return alphas.map((alpha, l) => {
    const p = softmax(alpha);
    const r = alpha.map((_, k) => (k === context[l] ? rewards[0] : rewards[next++]));
    const mean = p.reduce((sum, pk, k) => sum + pk * r[k], 0);
    return p.map((pk, k) => -pk * (r[k] - mean));
  });
}
