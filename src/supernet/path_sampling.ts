/**
 * Which path a supernet's weight step trains. α is learned on held-out batches whatever
 * the mode; only the choice of the path that gets the *weight* step changes:
 *
 * - `proportional`: one path drawn ∝ p = softmax(α) (ProxylessNAS). The path that leads
 *   early gets most weight steps, so its score can grow because it was trained, not
 *   because it is good.
 * - `uniform`: every candidate of a layer equally likely (SPOS).
 * - `fair`: strict fairness (FairNAS, Chu et al.): a group of m consecutive weight steps,
 *   m = the most candidates of any layer, runs m single-path models drawn without
 *   replacement, so each of a layer's candidates runs exactly once per group (a layer
 *   with fewer candidates starts a new permutation when its first one runs out); their
 *   gradients are accumulated (summed, as FairNAS does) and applied in one update at the
 *   group's end. Each batch still feeds one path, so every mode sees the same data and
 *   costs the same per step.
 * - `balanced`: fair's order (each candidate once per group of m steps) with one update
 *   per step, as uniform does: it separates what fair's order does to a supernet from
 *   what its summed, m-times-rarer update does.
 *
 * A loop that must apply pending gradients before a boundary (a regeneration that swaps
 * the candidates, an epoch's end) calls `flush()`; the next step starts a new group. Step
 * checkpoints wait for a group's end instead and save where the order stands (`state`).
 */
import type { Rng } from "../util/rng.ts";

/** The weight-step path choices. */
export const PATH_SAMPLING_MODES = ["proportional", "uniform", "fair", "balanced"] as const;
/** One of `PATH_SAMPLING_MODES`. */
export type PathSampling = typeof PATH_SAMPLING_MODES[number];

/**
 * How a `WeightPathSampler` orders its paths: `draw` takes each from the caller's draw
 * (∝ p where the caller learns α; SPOS's and random search's own uniform draw under the
 * cap), the others are `PATH_SAMPLING_MODES`'s own orders over every candidate.
 */
export type PathOrder = "draw" | Exclude<PathSampling, "proportional">;

/** The sampler order of a `--path-sampling` mode: `proportional` is the caller's ∝ p draw. */
export function pathOrderOf(mode: PathSampling): PathOrder {
  return mode === "proportional" ? "draw" : mode;
}

/** What one weight step runs, and where it sits in its update. */
export interface WeightStepPlan {
  /** Candidate per layer. */
  readonly path: number[];
  /** Clear the gradients before this step's backward (the first step of an update). */
  readonly zeroGrad: boolean;
  /** Apply the optimiser after this step's backward (the last step of an update). */
  readonly apply: boolean;
}

/** Reads a `--path-sampling` value; one line naming the choices when it is not one. */
export function parsePathSampling(text: string): PathSampling {
  if (!(PATH_SAMPLING_MODES as readonly string[]).includes(text)) {
    throw new Error(
      `--path-sampling must be one of ${PATH_SAMPLING_MODES.join(", ")}, got "${text}"`,
    );
  }
  return text as PathSampling;
}

export class WeightPathSampler {
  /** Weight steps per update: m for `fair`, else 1. */
  readonly groupSize: number;
  /** Steps in which every candidate runs once: m for `fair` and `balanced`, else 1. */
  readonly orderLength: number;
  private slot = 0;
  private orders: number[][] = [];

  /**
   * `choices`: candidates per layer. `draw` orders take the path `draw` returns (the
   * caller's sampler, which owns the probabilities); the other orders draw from the
   * `rng` given to `next`.
   */
  constructor(
    readonly mode: PathOrder,
    readonly choices: readonly number[],
    private readonly draw: (rng: Rng) => number[] = () => {
      throw new Error("WeightPathSampler: the draw order needs a draw function");
    },
  ) {
    choices.forEach((k, l) => {
      if (!(Number.isInteger(k) && k >= 1)) {
        throw new RangeError(`WeightPathSampler: layer ${l} has ${k} candidates`);
      }
    });
    this.orderLength = mode === "fair" || mode === "balanced" ? Math.max(1, ...choices) : 1;
    this.groupSize = mode === "fair" ? this.orderLength : 1;
  }

  /** The path of the next weight step and its place in the update. */
  next(rng: Rng): WeightStepPlan {
    if (this.mode === "draw") return { path: this.draw(rng), zeroGrad: true, apply: true };
    if (this.mode === "uniform") {
      return { path: this.choices.map((k) => rng.int(k)), zeroGrad: true, apply: true };
    }
    if (this.slot === 0) this.orders = this.choices.map((k) => fairOrder(k, this.orderLength, rng));
    const path = this.orders.map((order) => order[this.slot]);
    const first = this.slot === 0;
    this.slot++;
    const last = this.slot === this.orderLength;
    if (last) this.slot = 0;
    if (this.mode === "balanced") return { path, zeroGrad: true, apply: true };
    return { path, zeroGrad: first, apply: last };
  }

  /**
   * Ends the current group early (the next step starts a new order). True when steps of
   * it ran without their update: the caller applies the optimiser to the gradients
   * accumulated so far.
   */
  flush(): boolean {
    const pending = this.pending;
    this.slot = 0;
    return pending;
  }

  /** Whether a group's gradients are accumulated but not applied yet (`fair` only). */
  get pending(): boolean {
    return this.mode === "fair" && this.slot > 0;
  }

  /**
   * Where the sampler stands in its order (`fair`, `balanced`), for checkpoints: a sampler
   * restored with it continues the same order, as an uninterrupted run would.
   */
  state(): PathOrderState {
    return { slot: this.slot, orders: this.orders.map((o) => [...o]) };
  }

  /** Continues from `state()`. */
  restore(state: PathOrderState): void {
    this.slot = state.slot;
    this.orders = state.orders.map((o) => [...o]);
  }
}

/** `WeightPathSampler.state()`: the next slot and the permutations being walked. */
export interface PathOrderState {
  readonly slot: number;
  readonly orders: readonly (readonly number[])[];
}

/** m slots of a layer with k candidates: permutations of 0..k−1, one after another. */
function fairOrder(k: number, m: number, rng: Rng): number[] {
  const order: number[] = [];
  while (order.length < m) order.push(...rng.permutation(k));
  return order.slice(0, m);
}
