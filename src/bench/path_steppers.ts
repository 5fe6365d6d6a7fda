/**
 * One SGD step on a path of a search space, in each form a path is trained in:
 *
 * - plain: the path's own network, built and optimised as `deno task train` does
 *   (`buildNetwork`, SGD over `paramGroups`);
 * - search: a path of the space's supernet, as the weight step of `deno task search`
 *   runs it (every candidate owned by its mixed layer, `Supernet.choosePath`);
 * - evolve: a path of a supernet whose cells are views onto a weight bank, as the
 *   evolution builds it (modules shared by position, each joining the optimiser as it
 *   is built; only cell candidates).
 *
 * All three call the supernet's `weightStep` (zero the gradients, forward, cross-entropy,
 * metrics on the GPU, backward, SGD), so what differs is the form, not the step.
 */
import type { Batch, ImageShape } from "../data/dataset.ts";
import { WeightBank } from "../evolve/weight_bank.ts";
import { buildNetwork } from "../networks/network.ts";
import type { Module } from "../nn/module.ts";
import { paramGroups } from "../nn/module.ts";
import { Sgd } from "../nn/optimizers.ts";
import { formatCell } from "../space/cell.ts";
import {
  networkFromChoices,
  type SearchSpaceSpec,
  spaceBackbone,
} from "../space/search_space_spec.ts";
import { MetricsAccumulator } from "../supernet/metrics_accumulator.ts";
import { Supernet, supernetFromSpace } from "../supernet/supernet.ts";
import { weightStep } from "../supernet/supernet_steps.ts";
import { Rng } from "../util/rng.ts";

/** The step's data and hyper-parameters (those of the supernet runs). */
export interface StepSettings {
  readonly batch: Batch;
  readonly shape: ImageShape;
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  /** Seeds the weights. */
  readonly seed: number;
}

/** A model and its optimiser that take one weight step on a path at a time. */
export interface PathStepper {
  readonly name: string;
  /** One weight step on `path` (a candidate index per layer of the space). */
  step(path: readonly number[]): void;
  dispose(): void;
}

/** The SGD of the supernet runs and of `train` (Nesterov momentum, decay off BN and biases). */
function sgdFor(net: Module, s: StepSettings): Sgd {
  return new Sgd(paramGroups(net.parameters(), s.weightDecay), {
    lr: s.lr,
    momentum: s.momentum,
    nesterov: s.momentum > 0,
  });
}

/** A stepper over `net` and `opt`; `choose` sets the path before each step. */
function stepper(
  name: string,
  net: Module,
  opt: Sgd,
  s: StepSettings,
  choose: (path: readonly number[]) => void,
  disposeNet: () => void,
): PathStepper {
  const metrics = new MetricsAccumulator(`bench.${name}.metrics`);
  return {
    name,
    step(path) {
      choose(path);
      weightStep(net, opt, s.batch, s.shape, {
        lr: s.lr,
        labelSmoothing: s.labelSmoothing,
        metrics,
      });
    },
    dispose() {
      metrics.dispose();
      opt.dispose();
      disposeNet();
    },
  };
}

/** The network of `path` alone (its `step` ignores the path it is given). */
export function plainStepper(space: SearchSpaceSpec, path: readonly number[], s: StepSettings) {
  const net = buildNetwork(networkFromChoices(space, path), new Rng(s.seed));
  return stepper("plain", net, sgdFor(net, s), s, () => {}, () => net.dispose());
}

/** The space's supernet, stepped as `deno task search` steps it. */
export function searchStepper(space: SearchSpaceSpec, s: StepSettings): PathStepper {
  const net = supernetFromSpace(space, new Rng(s.seed));
  return stepper("search", net, sgdFor(net, s), s, (path) => net.choosePath(path), () => {
    net.dispose();
  });
}

/**
 * The space's cells in an evolution-style supernet (a weight bank's views), or null when
 * a searchable layer offers no cell. Paths may pick cells only.
 */
export function evolveStepper(space: SearchSpaceSpec, s: StepSettings): PathStepper | null {
  const rng = new Rng(s.seed);
  const net = new Supernet(spaceBackbone(space), rng);
  const opt = sgdFor(net, s);
  const bank = new WeightBank(opt, s.weightDecay, rng);
  /** Per mixed layer: the space's candidate index → the mixed layer's. */
  const slots = new Map<number, Map<number, number>>();
  for (const [layer, mixed] of net.mixed) {
    const shape = space.layers[layer];
    const slot = new Map<number, number>();
    const blocks = shape.candidates.flatMap((block, k) => {
      if (block.type !== "cell") return [];
      slot.set(k, slot.size);
      return [bank.blockFor(layer, shape, formatCell(block.cell), block.cell)];
    });
    if (blocks.length === 0) {
      net.dispose();
      opt.dispose();
      bank.dispose();
      return null;
    }
    mixed.setCandidates(blocks);
    mixed.train(true);
    slots.set(layer, slot);
  }
  const choose = (path: readonly number[]) => {
    net.choosePath(path.map((k, layer) => {
      const slot = slots.get(layer);
      if (!slot) return k;
      const i = slot.get(k);
      if (i === undefined) throw new Error(`evolve form: layer ${layer} candidate ${k} is no cell`);
      return i;
    }));
  };
  return stepper("evolve", net, opt, s, choose, () => {
    for (const m of net.mixed.values()) m.dispose();
    net.dispose();
    bank.dispose();
  });
}
