/**
 * ProxylessNAS's REINFORCE variant of the architecture step (`--algo proxyless-rl`):
 * one path a layer is sampled from p_l = softmax(α_l); the sampled network is run on
 * held-out data; its reward R moves α along
 *
 *   ∇_α J = E[(R − b) · ∇_α log p(path)],   ∂ log p(path)/∂α_li = [i = path_l] − p_li
 *
 * estimated over a batch of sampled paths. As in ProxylessNAS
 * (search/nas_manager.py `rl_update_step`): the baseline b is updated with the batch's
 * mean reward before the advantages are taken, b ← b + w·(R̄ − b) with the weight
 * w = 0.99 (`rl_baseline_decay_weight`; b = R̄ on the first batch), the gradient is the
 * mean over the batch (`rl_batch_size` = 10), and it is handed to a minimiser (Adam,
 * β1 = 0) as ∂(−J)/∂α. Note that w weighs the new batch: with w = 0.99 the baseline
 * is nearly this batch's mean reward, so a batch of one sample learns almost nothing;
 * use several samples a step (or a small w for a slow moving average).
 *
 * Rewards (`RewardSpec`): ProxylessNAS's acc·(T/cost)^w (`rl_tradeoff_ratio` w = 0.1,
 * T the target, `calculate_reward`), or Eq. 6 in reward form, acc − λ·cost. The
 * latter's expectation is E[acc] − λ·E[cost], and E[cost] is exactly `expectedCost`,
 * so REINFORCE with it maximises the same objective as the gradient search with CE
 * replaced by accuracy.
 */
import { softmax } from "../supernet/gates.ts";
import type { Rng } from "../util/rng.ts";
import { checkPath, type Logits, type Path } from "./expected_cost.ts";

/** ProxylessNAS's defaults (search/imagenet_arch_search.py). */
export const PROXYLESS_RL = {
  /** w of b ← b + w·(R̄ − b). */
  baselineDecayWeight: 0.99,
  /** Paths sampled per architecture step. */
  samplesPerStep: 10,
  /** Exponent of (T/cost) in the reward. */
  tradeoff: 0.1,
} as const;

/** One path, one candidate a layer drawn ∝ softmax(α_l), with `rng`. */
export function samplePath(alphas: Logits, rng: Rng): number[] {
  return alphas.map((a) => {
    const p = softmax(a);
    let u = rng.next();
    for (let i = 0; i < p.length; i++) {
      u -= p[i];
      if (u < 0) return i;
    }
    return p.length - 1; // rounding left u at ~0
  });
}

/** log p(path) = Σ_l log softmax(α_l)[path_l]. */
export function logProbability(alphas: Logits, path: Path): number {
  checkPath(alphas.map((a) => a.length), path, "logProbability");
  return alphas.reduce((sum, a, l) => sum + Math.log(softmax(a)[path[l]]), 0);
}

/** ∂ log p(path)/∂α: per layer, one-hot(path_l) − softmax(α_l). */
export function logProbabilityGradient(alphas: Logits, path: Path): number[][] {
  checkPath(alphas.map((a) => a.length), path, "logProbabilityGradient");
  return alphas.map((a, l) => Array.from(softmax(a), (p, i) => (i === path[l] ? 1 : 0) - p));
}

/** How a sampled network's accuracy and cost become its reward. */
export type RewardSpec =
  | { kind: "accuracy" }
  | { kind: "proxyless"; target: number; tradeoff: number }
  | { kind: "linear"; lambda: number };

/** The reward of a network with held-out `accuracy` (a fraction) and `cost`. */
export function reward(spec: RewardSpec, accuracy: number, cost: number): number {
  switch (spec.kind) {
    case "accuracy":
      return accuracy;
    case "proxyless":
      if (!(spec.target > 0 && cost > 0)) {
        throw new RangeError(`reward: target and cost must be > 0, got ${spec.target}, ${cost}`);
      }
      return accuracy * Math.pow(spec.target / cost, spec.tradeoff);
    case "linear":
      return accuracy - spec.lambda * cost;
  }
}

/** A sampled path and its reward. */
export interface RewardedPath {
  path: Path;
  reward: number;
}

/** The baseline and the policy-gradient estimate; see the module comment. */
export class Reinforce {
  readonly baselineDecayWeight: number;
  private b: number | null = null;

  constructor(opts: { baselineDecayWeight?: number } = {}) {
    this.baselineDecayWeight = opts.baselineDecayWeight ?? PROXYLESS_RL.baselineDecayWeight;
    if (!(this.baselineDecayWeight > 0 && this.baselineDecayWeight <= 1)) {
      throw new RangeError(
        `Reinforce: the baseline weight must be in (0, 1], got ${this.baselineDecayWeight}`,
      );
    }
  }

  /** The moving-average baseline b (null before the first batch). */
  get baseline(): number | null {
    return this.b;
  }

  /**
   * Updates the baseline with `samples` (drawn from the current `alphas`), then
   * returns ∂(−J)/∂α = −mean_k (R_k − b)·∇ log p(path_k), for a minimiser.
   */
  lossGradient(alphas: Logits, samples: readonly RewardedPath[]): number[][] {
    if (samples.length === 0) throw new RangeError("Reinforce: no sampled paths");
    const mean = samples.reduce((s, x) => s + x.reward, 0) / samples.length;
    if (!Number.isFinite(mean)) throw new RangeError(`Reinforce: non-finite reward ${mean}`);
    this.b = this.b === null ? mean : this.b + this.baselineDecayWeight * (mean - this.b);
    const grad = alphas.map((a) => a.map(() => 0));
    for (const { path, reward } of samples) {
      const advantage = reward - this.b;
      logProbabilityGradient(alphas, path).forEach((row, l) =>
        row.forEach((g, i) => grad[l][i] -= advantage * g / samples.length)
      );
    }
    return grad;
  }

  /** For checkpoints. */
  getState(): { baseline: number | null } {
    return { baseline: this.b };
  }

  setState(state: { baseline: number | null }): void {
    this.b = state.baseline;
  }
}
