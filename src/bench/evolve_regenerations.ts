/**
 * The evolution's supernet through several regenerations, on synthetic data: what a
 * regeneration costs (the regeneration itself, the checkpoint written after it, the new
 * cells' first steps, which compile their pipelines), and whether the weight step
 * still costs what its path costs afterwards: paired steps on uniformly drawn paths,
 * the evolution's own weight step against the path's plain network, per regeneration,
 * with the sizes that could grow (optimiser groups, bank, bind-group cache, pool).
 */
import type { EvolveConfig } from "../evolve/config.ts";
import { DEFAULT_EVOLVE_CONFIG } from "../evolve/config.ts";
import { evolveCheckpointPath, saveEvolveCheckpoint } from "../evolve/checkpoint.ts";
import { fitnessStep } from "../evolve/fitness_step.ts";
import { regenerate } from "../evolve/regenerate.ts";
import { disposeEvolution, type EvolutionRun, openEvolution } from "../evolve/run_state.ts";
import { evolveWeightStep } from "../evolve/weight_step.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { builtinBackbone } from "../space/backbone.ts";
import type { BlockSpec } from "../space/network_spec.ts";
import { type SearchSpaceSpec, spaceFromBackbone } from "../space/search_space_spec.ts";
import { WeightPathSampler } from "../supernet/path_sampling.ts";
import { Rng } from "../util/rng.ts";
import { measureFirstUse } from "./first_use.ts";
import { timeSteps } from "./gpu_counts.ts";
import { pairedPaths, stepSettingsFor } from "./paired_paths.ts";
import type { EvolveRegenerations, RegenerationRow, RunSize } from "./supernet_path_report.ts";
import { syntheticBatch, syntheticSupernetData } from "./synthetic_data.ts";

/** What to run. */
export interface EvolveBenchOptions {
  batch: number;
  /** Regenerations after the first. */
  regenerations: number;
  /** Paired paths per regeneration. */
  pairs: number;
  /** Fitness steps timed per regeneration. */
  fitnessSteps: number;
  seed: number;
  /** Changes to the default evolution (smaller K or population for quick runs). */
  evolve?: Partial<EvolveConfig>;
}

/** The space of the run's current sampled cells (K per searchable layer). */
function sampledSpace(run: EvolutionRun): SearchSpaceSpec {
  return spaceFromBackbone(run.backbone, (shape, index) => {
    const state = run.layers.find((s) => s.layer === index)!;
    return state.sampled.map((id): BlockSpec => ({
      type: "cell",
      cin: shape.cin,
      cout: shape.cout,
      stride: shape.stride,
      cell: state.population.require(id).cell,
    }));
  });
}

/** Images/s of a regeneration period: f weight steps, their fitness steps and `onceMs`. */
export function periodRate(
  cfg: Pick<EvolveConfig, "regenerateEvery" | "archUpdateEvery" | "batchSize">,
  t: { weightMs: number; fitnessMs: number; onceMs: number },
): number {
  const f = cfg.regenerateEvery;
  const fitnessSteps = Math.floor(f / cfg.archUpdateEvery);
  const ms = f * t.weightMs + fitnessSteps * t.fitnessMs + t.onceMs;
  return (f * cfg.batchSize * 1000) / ms;
}

function runSize(gpu: Gpu, run: EvolutionRun): RunSize {
  return {
    optimizerGroups: run.opt.groups.length,
    optimizerParams: run.opt.groups.reduce((s, g) => s + g.params.length, 0),
    bankModules: run.bank.moduleCount,
    pipelines: gpu.kernelCount,
    bindGroupCache: gpu.bindGroupCacheSize,
    poolBuffers: gpu.pool.created,
    poolMiB: gpu.pool.allocatedBytes / 2 ** 20,
  };
}

/** Runs the regenerations; `log` gets a progress line per regeneration. */
export async function benchEvolveRegenerations(
  gpu: Gpu,
  opts: EvolveBenchOptions,
  log: (line: string) => void,
): Promise<EvolveRegenerations> {
  const out = await Deno.makeTempDir({ prefix: "bench_evolve_" });
  const cfg: EvolveConfig = {
    ...DEFAULT_EVOLVE_CONFIG,
    ...opts.evolve,
    batchSize: opts.batch,
    seed: opts.seed,
    out,
  };
  const input = builtinBackbone(cfg.backbone)!.input;
  const shape = [input.channels, input.size, input.size] as const;
  const data = syntheticSupernetData(opts.batch, shape, 10, opts.seed);
  const run = await openEvolution(cfg, data);
  const batch = syntheticBatch(opts.batch, shape, 10, opts.seed + 1);
  const settings = stepSettingsFor(batch, shape, cfg, opts.seed);
  // The weight step draws its path from this; each paired step sets it first.
  let next: number[] = [];
  const sampler = new WeightPathSampler("draw", run.layers.map(() => cfg.k), () => next);
  const evolveStep = (path: readonly number[]) => {
    next = run.layers.map((s) => path[s.layer]);
    evolveWeightStep(run, sampler, batch, cfg.weightLr);
  };
  const rng = new Rng(opts.seed + 2);
  const rows: RegenerationRow[] = [];
  try {
    for (let r = 0; r <= opts.regenerations; r++) {
      const regen = await timeSteps(gpu, 1, () => void regenerate(run, r === 0));
      let checkpointMs: number | null = null;
      let checkpointMiB: number | null = null;
      if (r > 0) {
        const t0 = performance.now();
        await saveEvolveCheckpoint(run);
        checkpointMs = performance.now() - t0;
        checkpointMiB = (await Deno.stat(evolveCheckpointPath(out))).size / 2 ** 20;
      }
      const space = sampledSpace(run);
      const fixedChoice = (k: number) => space.layers.map((l) => (l.candidates.length > 1 ? k : 0));
      const first = await measureFirstUse(gpu, cfg.k, (k) => evolveStep(fixedChoice(k)));
      const paths = await pairedPaths(gpu, space, settings, opts.pairs, rng, evolveStep);
      const fitness = await timeSteps(
        gpu,
        opts.fitnessSteps,
        () => fitnessStep(run, batch, cfg.regenerateEvery * (r + 1)),
      );
      const row: RegenerationRow = {
        regeneration: r,
        regenerateMs: regen.ms,
        checkpointMs,
        checkpointMiB,
        regenerateCounts: regen.counts,
        firstUse: first,
        paths,
        fitness: { ms: fitness.ms, hostMs: fitness.hostMs, counts: fitness.counts },
        size: runSize(gpu, run),
        periodImagesPerSecond: periodRate(cfg, {
          weightMs: paths.supernet.ms,
          fitnessMs: fitness.ms,
          onceMs: regen.ms + (checkpointMs ?? 0) + Math.max(0, first.ms - first.againMs),
        }),
        plainImagesPerSecond: (opts.batch * 1000) / paths.plain.ms,
      };
      rows.push(row);
      log(
        `evolve regeneration ${r}: ${row.firstUse.pipelines} new pipelines, weight step ` +
          `÷ plain ${paths.ratio.toFixed(2)} on paths of ${
            (paths.meanMAdds / 1e6).toFixed(2)
          }M MAdds`,
      );
    }
  } finally {
    await gpu.sync();
    disposeEvolution(run);
    await Deno.remove(out, { recursive: true }).catch(() => undefined);
  }
  return {
    backbone: cfg.backbone,
    k: cfg.k,
    populationSize: cfg.populationSize,
    regenerateEvery: cfg.regenerateEvery,
    archEvery: cfg.archUpdateEvery,
    rows,
  };
}
