/**
 * `deno task bench --sections supernet-path`: does a supernet's weight step cost what
 * its path costs? In one run, on a path of `--space`:
 *
 *   1. the search supernet's first step on each candidate index (the pipelines a
 *      supernet compiles once, on top of those of one network);
 *   2. the same path as a plain network, as a path of the search supernet and as a
 *      path of the evolution's bank-backed supernet, forms interleaved over several
 *      repetitions, with their counts per step (dispatches, workgroups, pipelines, bind
 *      groups and buffers created, host reads);
 *   3. a fresh uniform path every step against each path's own plain network;
 *   4. an evolution through several regenerations (src/bench/evolve_regenerations.ts).
 */
import { DEFAULT_EVOLVE_CONFIG, type EvolveConfig } from "../evolve/config.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { median } from "../gpu/timing.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import { Rng } from "../util/rng.ts";
import { benchEvolveRegenerations } from "./evolve_regenerations.ts";
import { measureFirstUse } from "./first_use.ts";
import { meanCounts, type TimedSteps, timeSteps } from "./gpu_counts.ts";
import { pairedPaths, pathMAdds, stepSettingsFor } from "./paired_paths.ts";
import {
  evolveStepper,
  type PathStepper,
  plainStepper,
  searchStepper,
  type StepSettings,
} from "./path_steppers.ts";
import type {
  FirstUseResult,
  FormRow,
  PathChangeResult,
  SupernetPathResult,
} from "./supernet_path_report.ts";
import { syntheticBatch } from "./synthetic_data.ts";

/** What the section runs. */
export interface SupernetPathOptions {
  space: SearchSpaceSpec;
  /** How the space was given (for the report). */
  source: string;
  batch: number;
  /** Same-path repetitions (each runs every form). */
  reps: number;
  /** Steps per form and repetition. */
  stepsPerRep: number;
  /** Fresh paths timed against their plain networks. */
  pairs: number;
  /** Regenerations of the evolution after its first (it needs a space with cells). */
  regenerations: number;
  seed: number;
  /** Changes to the default evolution (smaller K or population for quick runs). */
  evolve?: Partial<EvolveConfig>;
}

/** A path that every form can run: a cell in each searchable layer where it has one. */
function drawPath(space: SearchSpaceSpec, rng: Rng): number[] {
  return space.layers.map((layer) => {
    const cells = layer.candidates.flatMap((b, k) => (b.type === "cell" ? [k] : []));
    return cells.length > 0 ? cells[rng.int(cells.length)] : rng.int(layer.candidates.length);
  });
}

/** The search supernet's first step on each candidate index: the pipelines it adds. */
function firstUse(gpu: Gpu, space: SearchSpaceSpec, search: PathStepper) {
  const most = Math.max(...space.layers.map((l) => l.candidates.length));
  return measureFirstUse(gpu, most, (k) => {
    search.step(space.layers.map((l) => Math.min(k, l.candidates.length - 1)));
  });
}

/** Forms interleaved on one path: each repetition runs every form, in rotated order. */
async function samePath(
  gpu: Gpu,
  forms: readonly PathStepper[],
  path: readonly number[],
  madds: number,
  opts: SupernetPathOptions,
  log: (line: string) => void,
): Promise<FormRow[]> {
  for (const f of forms) await timeSteps(gpu, 2, () => f.step(path)); // warm
  const samples: TimedSteps[][] = forms.map(() => []);
  for (let r = 0; r < opts.reps; r++) {
    for (let j = 0; j < forms.length; j++) {
      const i = (j + r) % forms.length;
      samples[i].push(await timeSteps(gpu, opts.stepsPerRep, () => forms[i].step(path)));
    }
    log(
      `supernet-path: repetition ${r + 1}/${opts.reps}: ` +
        forms.map((f, i) => `${f.name} ${samples[i][r].ms.toFixed(0)} ms`).join(", "),
    );
  }
  return forms.map((f, i) => {
    const ms = samples[i].map((t) => t.ms);
    return {
      form: f.name,
      madds,
      msMedian: median(ms),
      msMin: Math.min(...ms),
      hostMs: median(samples[i].map((t) => t.hostMs)),
      ratio: median(ms.map((v, r) => v / samples[0][r].ms)),
      counts: meanCounts(samples[i].map((t) => t.counts)),
      samplesMs: ms,
    };
  });
}

/** Runs the section on the engine's GPU. */
export async function benchSupernetPath(
  gpu: Gpu,
  opts: SupernetPathOptions,
  log: (line: string) => void,
): Promise<SupernetPathResult> {
  const { space } = opts;
  const rng = new Rng(opts.seed);
  const shape = [space.input.channels, space.input.size, space.input.size] as const;
  const batch = syntheticBatch(opts.batch, shape, space.classes, opts.seed);
  const settings: StepSettings = stepSettingsFor(batch, shape, DEFAULT_EVOLVE_CONFIG, opts.seed);
  const path = drawPath(space, rng);
  const madds = pathMAdds(space, path);
  let loadavg: number[] | undefined;
  try {
    loadavg = Deno.loadavg();
  } catch { /* no --allow-sys */ }

  const search = searchStepper(space, settings);
  const forms: PathStepper[] = [];
  let first: FirstUseResult;
  let rows: FormRow[];
  let pathChange: PathChangeResult;
  try {
    first = await firstUse(gpu, space, search);
    log(`supernet-path: first use of every candidate: ${first.pipelines} pipelines`);
    const evolve = evolveStepper(space, settings);
    forms.push(plainStepper(space, path, settings), search, ...(evolve ? [evolve] : []));
    rows = await samePath(gpu, forms, path, madds, opts, log);
    pathChange = await pairedPaths(gpu, space, settings, opts.pairs, rng, (p) => search.step(p));
    log(`supernet-path: fresh paths: search ÷ plain ${pathChange.ratio.toFixed(2)}`);
  } finally {
    await gpu.sync();
    for (const f of new Set([search, ...forms])) f.dispose();
  }
  const evolve = forms.length === 3
    ? await benchEvolveRegenerations(gpu, {
      batch: opts.batch,
      regenerations: opts.regenerations,
      pairs: opts.pairs,
      fitnessSteps: 2,
      seed: opts.seed,
      evolve: opts.evolve,
    }, log)
    : null;
  return {
    space: opts.source,
    batch: opts.batch,
    path,
    madds,
    reps: opts.reps,
    stepsPerRep: opts.stepsPerRep,
    firstUse: first,
    samePath: rows,
    pathChange,
    evolve,
    ...(loadavg ? { loadavg } : {}),
  };
}
