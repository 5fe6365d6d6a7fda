/**
 * A supernet's weight step against the plain network of the same path, when the path
 * changes every step (as in SPOS, the uniform ProxylessNAS weight steps and the
 * evolution): each pair draws a fresh uniform path, builds its plain network and warms
 * it (so the plain side is a network in its steady state, as `train` runs it), then
 * times one plain step and one supernet step, in alternating order.
 */
import type { Batch, ImageShape } from "../data/dataset.ts";
import type { Gpu } from "../gpu/gpu.ts";
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
  let madds = 0;
  for (let i = 0; i < pairs; i++) {
    const path = space.layers.map((l) => rng.int(l.candidates.length));
    madds += pathMAdds(space, path);
    const net = plainStepper(space, path, settings);
    try {
      net.step(path); // warm: its bind groups and optimiser state, as after a first step
      const timePlain = async () => plain.push(await timeSteps(gpu, 1, () => net.step(path)));
      const timeSupernet = async () =>
        supernet.push(await timeSteps(gpu, 1, () => supernetStep(path)));
      if (i % 2 === 0) {
        await timePlain();
        await timeSupernet();
      } else {
        await timeSupernet();
        await timePlain();
      }
    } finally {
      await gpu.sync();
      net.dispose();
    }
  }
  const a = side(plain);
  const b = side(supernet);
  return { pairs, meanMAdds: madds / pairs, plain: a, supernet: b, ratio: b.ms / a.ms };
}
