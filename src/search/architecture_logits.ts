/**
 * The architecture parameters of the ProxylessNAS searches: per searchable layer, logits
 * α over its candidates (p = softmax(α), all 0 at the start: every candidate equally
 * likely), each layer with its own Adam (src/supernet/arch_optimizer.ts), and what the
 * history and the derivation read from them.
 */
import { ArchAdam, type ArchAdamOptions, type ArchAdamState } from "../supernet/arch_optimizer.ts";
import { sampleActivePaths, softmax } from "../supernet/gates.ts";
import type { Rng } from "../util/rng.ts";

/** Saved form of `ArchitectureLogits`. */
export interface ArchitectureLogitsState {
  alphas: number[][];
  adam: ArchAdamState[];
  /** Absent in checkpoints written before the argmax was tracked. */
  leadership?: ArgmaxLeadershipState;
}

/** Saved form of the argmax tracking. */
export interface ArgmaxLeadershipState {
  steps: number;
  leader: number[];
  since: number[];
}

/**
 * How settled one layer's choice is at the end of a search: the argmax, its p, the
 * entropy of p relative to uniform, and for how many of the architecture steps the
 * argmax has held.
 */
export interface LayerDecision {
  readonly argmax: number;
  readonly probability: number;
  /** H(p) / log K (1: uniform, 0: certain); 0 for a layer of one candidate. */
  readonly relativeEntropy: number;
  /** Architecture steps at whose end the current argmax led (since it last changed). */
  readonly heldSteps: number;
  /** Architecture steps in all. */
  readonly archSteps: number;
  /** Whether the argmax held over the last `DECIDED_SHARE` of the architecture steps. */
  readonly decided: boolean;
}

/**
 * A layer has decided when its argmax held over at least this share of the architecture
 * steps, the last ones: a choice that noise still flips is not a decision, however peaked
 * p looks, and a stable argmax is what ProxylessNAS-style searches deliver even where p
 * stays wide.
 */
export const DECIDED_SHARE = 0.25;

/**
 * Fewer architecture steps than this say nothing about a decision (a smoke run's 4 steps
 * would "hold" an argmax over the last one): no layer with a choice counts as decided.
 */
export const MIN_DECISION_STEPS = 40;

/** Whether an argmax that led for `heldSteps` of `archSteps` architecture steps has decided. */
export function hasDecided(heldSteps: number, archSteps: number): boolean {
  return archSteps >= MIN_DECISION_STEPS && heldSteps >= DECIDED_SHARE * archSteps;
}

export class ArchitectureLogits {
  alphas: number[][];
  readonly optimizers: ArchAdam[];
  /** Architecture steps recorded (`recordStep`). */
  private steps = 0;
  /** Per layer: the argmax, and how many steps had been taken before it led. */
  private leader: number[];
  private since: number[];

  constructor(choices: readonly number[], options: ArchAdamOptions) {
    this.alphas = choices.map((k) => new Array(k).fill(0));
    this.optimizers = choices.map((k) => new ArchAdam(k, options));
    this.leader = this.alphas.map(argmax);
    this.since = this.alphas.map(() => 0);
  }

  /** Call after each architecture step's update of `alphas`: tracks each layer's argmax. */
  recordStep(): void {
    this.steps++;
    this.alphas.forEach((alpha, l) => {
      const now = argmax(alpha);
      if (now !== this.leader[l]) {
        this.leader[l] = now;
        this.since[l] = this.steps - 1; // it leads from this step's end on
      }
    });
  }

  /** Architecture steps recorded so far. */
  get archSteps(): number {
    return this.steps;
  }

  /** Each layer's decision figures now (see `LayerDecision`). */
  decisions(): LayerDecision[] {
    return this.alphas.map((alpha, l) => {
      const p = softmax(alpha);
      const held = this.steps - this.since[l];
      return {
        argmax: this.leader[l],
        probability: p[this.leader[l]],
        relativeEntropy: p.length > 1 ? entropy(p) / Math.log(p.length) : 0,
        heldSteps: held,
        archSteps: this.steps,
        decided: p.length === 1 || hasDecided(held, this.steps),
      };
    });
  }

  /** p = softmax(α) of every layer. */
  probabilities(): number[][] {
    return this.alphas.map((a) => softmax(a));
  }

  /** One candidate a layer drawn ∝ p (a weight step's single path). */
  samplePath(rng: Rng): number[] {
    return this.alphas.map((a) => sampleActivePaths(softmax(a), 1, rng)[0]);
  }

  /** Entropy of p per layer, in nats (log K when uniform, 0 when decided). */
  entropies(): number[] {
    return this.probabilities().map((p) => entropy(p));
  }

  getState(): ArchitectureLogitsState {
    return {
      alphas: this.alphas.map((a) => [...a]),
      adam: this.optimizers.map((o) => o.state()),
      leadership: { steps: this.steps, leader: [...this.leader], since: [...this.since] },
    };
  }

  setState(state: ArchitectureLogitsState): void {
    if (state.alphas.length !== this.alphas.length) {
      throw new Error(
        `saved logits have ${state.alphas.length} layers, the space has ${this.alphas.length}`,
      );
    }
    state.alphas.forEach((a, l) => {
      if (a.length !== this.alphas[l].length) {
        throw new Error(
          `saved logits of layer ${l} have ${a.length} candidates, not ${this.alphas[l].length}`,
        );
      }
    });
    this.alphas = state.alphas.map((a) => [...a]);
    state.adam.forEach((s, l) => this.optimizers[l].setState(s));
    // A checkpoint without `leadership` records no lead: its argmax counts as new from here.
    const saved = state.leadership;
    this.steps = saved?.steps ?? state.adam[0]?.t ?? 0;
    this.leader = saved ? [...saved.leader] : this.alphas.map(argmax);
    this.since = saved ? [...saved.since] : this.alphas.map(() => this.steps);
  }
}

/** Index of the largest logit (the first among ties). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}

/** Entropy −Σ p log p in nats. */
export function entropy(p: readonly number[]): number {
  return p.reduce((h, pi) => (pi > 0 ? h - pi * Math.log(pi) : h), 0);
}

/**
 * How far p still is from deciding: the mean over layers with two or more candidates of
 * H(p) / log K (1: uniform, 0: one candidate certain); null when no layer has a choice.
 */
export function relativeEntropy(probabilities: readonly (readonly number[])[]): number | null {
  const layers = probabilities.filter((p) => p.length > 1);
  if (layers.length === 0) return null;
  return layers.reduce((s, p) => s + entropy(p) / Math.log(p.length), 0) / layers.length;
}
