/**
 * The forward pass an architecture step is made of: REINFORCE's paired estimators score
 * 1 + Σ(K_l − 1) paths a step (`paired-all`) with training-mode batch norm and no
 * gradient, so the search's time is mostly these passes (docs/performance.md, "The
 * paired REINFORCE step"). One seeded uniform path of the space's supernet, timed on the
 * wall clock (one host sync a repetition) and profiled per dispatch (each dispatch's
 * minimum over the profiled passes), at the search's batch.
 */
import type { ImageShape } from "../data/dataset.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { median } from "../gpu/timing.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import { supernetFromSpace } from "../supernet/supernet.ts";
import { batchTensors } from "../supernet/supernet_steps.ts";
import { noGrad, tidy } from "../tensor/engine.ts";
import { Rng } from "../util/rng.ts";
import {
  minimumPerDispatch,
  type OpShare,
  opShares,
  profileDispatches,
} from "./dispatch_profiler.ts";
import { timeSteps } from "./gpu_counts.ts";
import { pathMAdds } from "./paired_paths.ts";
import { syntheticBatch } from "./synthetic_data.ts";

export interface ForwardPassOptions {
  space: SearchSpaceSpec;
  /** How the space was given (for the report). */
  source: string;
  batch: number;
  /** Timed repetitions, each `passesPerRep` passes and one sync. */
  reps: number;
  passesPerRep: number;
  /** Passes profiled per dispatch (the table takes each dispatch's minimum over them). */
  profiledPasses: number;
  seed: number;
}

export interface ForwardPassResult {
  space: string;
  batch: number;
  path: number[];
  madds: number;
  /** Wall milliseconds a pass: median and best over the repetitions. */
  passMedianMs: number;
  passMinMs: number;
  /** Host milliseconds a pass spent recording it (outside `queue.submit`), median. */
  passHostMs: number;
  dispatches: number;
  /** Σ of the per-dispatch minima, and the passes they were taken over. */
  profiledGpuMs: number;
  profiledPasses: number;
  ops: OpShare[];
}

/** Times and profiles the training-mode, gradient-free forward of one path. */
export async function benchForwardPass(
  gpu: Gpu,
  opts: ForwardPassOptions,
  log: (line: string) => void,
): Promise<ForwardPassResult> {
  const { space, batch } = opts;
  const rng = new Rng(opts.seed);
  const path = space.layers.map((l) => rng.int(l.candidates.length));
  const supernet = supernetFromSpace(space, new Rng(opts.seed + 1));
  supernet.choosePath(path);
  const shape: ImageShape = [space.input.channels, space.input.size, space.input.size];
  const { x, y } = batchTensors(syntheticBatch(batch, shape, space.classes, opts.seed), shape);
  // Intermediates are freed after each pass, as the architecture step frees them.
  const pass = () => noGrad(() => tidy(() => void supernet.forward(x)));
  try {
    await timeSteps(gpu, 2, pass); // pipelines and bind groups made before timing
    const ms: number[] = [];
    const hostMs: number[] = [];
    let dispatches = 0;
    for (let r = 0; r < opts.reps; r++) {
      const t = await timeSteps(gpu, opts.passesPerRep, pass);
      ms.push(t.ms);
      hostMs.push(t.hostMs);
      dispatches = t.counts.dispatches;
      log(`forward: repetition ${r + 1}/${opts.reps}: ${t.ms.toFixed(1)} ms a pass`);
    }
    const profiled = [];
    for (let r = 0; r < opts.profiledPasses; r++) {
      profiled.push(await profileDispatches(gpu, pass));
    }
    const minima = minimumPerDispatch(profiled);
    return {
      space: opts.source,
      batch,
      path,
      madds: pathMAdds(space, path),
      passMedianMs: median(ms),
      passMinMs: Math.min(...ms),
      passHostMs: median(hostMs),
      dispatches,
      profiledGpuMs: minima.reduce((s, d) => s + d.ms, 0),
      profiledPasses: opts.profiledPasses,
      ops: opShares(minima),
    };
  } finally {
    x.dispose();
    y.dispose();
    supernet.dispose();
  }
}
