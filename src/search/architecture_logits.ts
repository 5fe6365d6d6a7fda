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
}

export class ArchitectureLogits {
  alphas: number[][];
  readonly optimizers: ArchAdam[];

  constructor(choices: readonly number[], options: ArchAdamOptions) {
    this.alphas = choices.map((k) => new Array(k).fill(0));
    this.optimizers = choices.map((k) => new ArchAdam(k, options));
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
    return { alphas: this.alphas.map((a) => [...a]), adam: this.optimizers.map((o) => o.state()) };
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
  }
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
