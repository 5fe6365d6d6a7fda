/**
 * The fitness scores α of the K networks of a rank supernet, learned as in the
 * evolution's fitness steps (paper §3.2.2), from the shared gate machinery:
 *
 *   p = softmax(α); a weight step runs one path drawn ∝ p; a fitness step runs two
 *   distinct paths drawn ∝ p with ProxylessNAS's binary gate on one of them, reads
 *   ∂L/∂g of both, and `updateAlphaFromGates` maps them to α by Eq. 4 with the softmax
 *   restricted to the pair, steps Adam and shifts the pair so that the third network's
 *   p does not move.
 *
 * Eq. 4's compensation n(d)/n′(d) is 1 here: every network is a path of the supernet
 * at every iteration, so its own iteration count equals the supernet's.
 */
import { updateAlphaFromGates } from "../supernet/alpha_update.ts";
import { ArchAdam, type ArchAdamOptions } from "../supernet/arch_optimizer.ts";
import { binaryGate, sampleActivePaths, softmax } from "../supernet/gates.ts";
import type { PathChoice } from "../supernet/mixed_layer.ts";
import type { Rng } from "../util/rng.ts";

/** A fitness step's paths: the two that run, and the mixed layer's choice. */
export interface FitnessChoice {
  /** The paths that run forward (indices into α), in gate order. */
  active: number[];
  choice: PathChoice;
}

export class FitnessScores {
  private alphaNow: number[];
  private readonly optimizer: ArchAdam;

  constructor(initial: readonly number[], adam: ArchAdamOptions) {
    if (initial.length < 2 || initial.some((a) => !Number.isFinite(a))) {
      throw new RangeError(`FitnessScores: need ≥ 2 finite scores, got ${initial.join(",")}`);
    }
    this.alphaNow = [...initial];
    this.optimizer = new ArchAdam(initial.length, adam);
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
    return this.optimizer.steps;
  }

  /** The one path of a weight step, drawn ∝ p. */
  weightPath(rng: Rng): number {
    return sampleActivePaths(this.probabilities(), 1, rng)[0];
  }

  /** Two paths ∝ p, the binary gate on one of them (ProxylessNAS). */
  fitnessChoice(rng: Rng): FitnessChoice {
    const p = this.probabilities();
    const active = sampleActivePaths(p, 2, rng);
    const { gates } = binaryGate(p, active, rng);
    return { active, choice: { active, gates: active.map((i) => gates[i]) } };
  }

  /** Eq. 4 over the active pair from their ∂L/∂g, one Adam step, the rescale. */
  update(active: readonly number[], gateGrads: ArrayLike<number>): void {
    this.alphaNow = updateAlphaFromGates({
      alpha: this.alphaNow,
      active,
      gateGrads,
      optimizer: this.optimizer,
    });
  }
}
