/**
 * The fitness scores α of the K networks of a rank supernet, learned as in the
 * evolution's fitness steps (paper §3.2.2):
 *
 *   p = softmax(α); a weight step runs one path drawn ∝ p; a fitness step runs two
 *   distinct paths drawn ∝ p with ProxylessNAS's binary gate on one of them, reads
 *   ∂L/∂g of both, maps them to α by Eq. 4 with the softmax restricted to the pair,
 *   takes an Adam step (β1 = 0) and shifts the pair so that the third network's p
 *   does not move (`rescaleActiveAlphas`).
 *
 * Eq. 4's compensation n(d)/n′(d) is 1 here: every network is a path of the supernet
 * at every iteration, so its own iteration count equals the supernet's.
 */
import {
  binaryGate,
  eq4Gradient,
  rescaleActiveAlphas,
  sampleActivePaths,
  softmax,
} from "../evolve/compensation.ts";
import type { PathChoice } from "../supernet/mixed_layer.ts";
import type { Rng } from "../util/rng.ts";

/** Adam's settings for α. */
export interface FitnessAdamOptions {
  readonly lr: number;
  readonly beta2: number;
  readonly eps: number;
}

/** A fitness step's paths: the two that run and the gates of the mixed layer. */
export interface FitnessChoice {
  /** The paths that run forward (indices into α), in gate order. */
  active: number[];
  choice: PathChoice;
}

export class FitnessScores {
  private alphaNow: number[];
  /** Adam's second moment per network (β1 = 0 keeps no first moment). */
  private v: number[];
  private steps = 0;

  constructor(initial: readonly number[], private readonly adam: FitnessAdamOptions) {
    if (initial.length < 2 || initial.some((a) => !Number.isFinite(a))) {
      throw new RangeError(`FitnessScores: need ≥ 2 finite scores, got ${initial.join(",")}`);
    }
    this.alphaNow = [...initial];
    this.v = initial.map(() => 0);
  }

  get alpha(): readonly number[] {
    return this.alphaNow;
  }

  /** p = softmax(α). */
  probabilities(): number[] {
    return softmax(this.alphaNow);
  }

  /** Fitness steps taken. */
  get updates(): number {
    return this.steps;
  }

  /** The one path of a weight step: drawn ∝ p, or uniformly. */
  weightPath(rng: Rng, uniform = false): number {
    return uniform
      ? rng.int(this.alphaNow.length)
      : sampleActivePaths(this.probabilities(), 1, rng)[0];
  }

  /** Two paths ∝ p, the binary gate on one of them (ProxylessNAS). */
  fitnessChoice(rng: Rng): FitnessChoice {
    const p = this.probabilities();
    const active = sampleActivePaths(p, 2, rng);
    const { gates } = binaryGate(p, active, rng);
    return { active, choice: { active, gates: active.map((i) => gates[i]) } };
  }

  /** Eq. 4 over the active pair, one Adam step, and the rescale that keeps the others' p. */
  update(active: readonly number[], gateGrads: ArrayLike<number>): void {
    if (gateGrads.length !== active.length) {
      throw new RangeError(
        `FitnessScores.update: ${active.length} active paths, ${gateGrads.length} gate gradients`,
      );
    }
    const pActive = softmax(active.map((i) => this.alphaNow[i]));
    const g = eq4Gradient(Array.from(gateGrads), pActive, active.map(() => 1));
    const { lr, beta2, eps } = this.adam;
    this.steps++;
    const after = [...this.alphaNow];
    active.forEach((i, j) => {
      this.v[i] = beta2 * this.v[i] + (1 - beta2) * g[j] * g[j];
      const vHat = this.v[i] / (1 - beta2 ** this.steps);
      after[i] = this.alphaNow[i] - lr * g[j] / (Math.sqrt(vHat) + eps);
    });
    this.alphaNow = rescaleActiveAlphas(this.alphaNow, after, active);
  }
}
