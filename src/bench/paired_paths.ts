/**
 * A supernet's weight step against the plain network of the same path, when the path
 * changes every step (as in SPOS, the uniform ProxylessNAS weight steps and the
 * evolution): each pair draws a fresh uniform path, builds its plain network and warms
 * it (so the plain side is a network in its steady state, as `train` runs it), then
 * times plain, supernet, supernet, plain steps. The ratio is the median over the pairs
 * of the supernet's two steps over the plain network's two; the supernet's counts are
 * those of its first step on the new path.
 */
import type { Batch, ImageShape } from "../data/dataset.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { median } from "../gpu/timing.ts";
import { countNetwork } from "../space/counting.ts";
import { networkFromChoices, type SearchSpaceSpec } from "../space/search_space_spec.ts";
import type { SupernetRunSettings } from "../supernet/run_settings.ts";
import type { Rng } from "../util/rng.ts";
import { meanCounts, type TimedSteps, timeSteps } from "./gpu_counts.ts";
import { plainStepper, type StepSettings } from "./path_steppers.ts";
import type { PathChangeResult, SideResult } from "./supernet_path_report.ts";

/** The step settings of a supernet run's hyper-parameters. */
export function stepSettingsFor(
  batch: Batch,
  shape: ImageShape,
  run: Pick<SupernetRunSettings, "weightLr" | "momentum" | "weightDecay" | "labelSmoothing">,
  seed: number,
): StepSettings {
  return {
    batch,
    shape,
    lr: run.weightLr,
    momentum: run.momentum,
    weightDecay: run.weightDecay,
    labelSmoothing: run.labelSmoothing,
    seed,
  };
}

/** MAdds of `path` in `space`. */
export function pathMAdds(space: SearchSpaceSpec, path: readonly number[]): number {
  return countNetwork(networkFromChoices(space, path)).total.madds;
}

function side(all: readonly TimedSteps[]): SideResult {
  return {
    ms: all.reduce((s, t) => s + t.ms, 0) / all.length,
    hostMs: all.reduce((s, t) => s + t.hostMs, 0) / all.length,
    counts: meanCounts(all.map((t) => t.counts)),
  };
}

/** `pairs` fresh uniform paths of `space`, each timed plain and through `supernetStep`. */
export async function pairedPaths(
  gpu: Gpu,
  space: SearchSpaceSpec,
  settings: StepSettings,
  pairs: number,
  rng: Rng,
  supernetStep: (path: readonly number[]) => void,
): Promise<PathChangeResult> {
  const plain: TimedSteps[] = [];
  const supernet: TimedSteps[] = [];
  const ratios: number[] = [];
  let madds = 0;
  for (let i = 0; i < pairs; i++) {
    const path = space.layers.map((l) => rng.int(l.candidates.length));
    madds += pathMAdds(space, path);
    const net = plainStepper(space, path, settings);
    try {
      net.step(path); // warm: its bind groups and gradients, as after a first step
      // Plain, supernet, supernet, plain: a drift in the machine's load cancels out.
      const a1 = await timeSteps(gpu, 1, () => net.step(path));
      const b1 = await timeSteps(gpu, 1, () => supernetStep(path));
      const b2 = await timeSteps(gpu, 1, () => supernetStep(path));
      const a2 = await timeSteps(gpu, 1, () => net.step(path));
      plain.push(a1, a2);
      // The first supernet step on this path is the one that pays for the path change.
      supernet.push(b1);
      ratios.push((b1.ms + b2.ms) / (a1.ms + a2.ms));
    } finally {
      await gpu.sync();
      net.dispose();
    }
  }
  return {
    pairs,
    meanMAdds: madds / pairs,
    plain: side(plain),
    supernet: side(supernet),
    ratio: median(ratios),
    ratios,
  };
}
