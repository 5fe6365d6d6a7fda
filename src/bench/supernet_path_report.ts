/**
 * What the supernet-path section measured, and its text tables: the same path as a
 * plain network and as a path of the supernets, a fresh path every step, and the
 * evolution's regenerations.
 */
import { fmt, formatTable } from "../report/text_table.ts";
import type { GpuCounts } from "./gpu_counts.ts";

/** One form's steps on the same path. */
export interface FormRow {
  form: string;
  madds: number;
  /** Wall ms a step: median and minimum over the repetitions. */
  msMedian: number;
  msMin: number;
  /** Host ms a step spent recording (median over the repetitions). */
  hostMs: number;
  /** Median over the repetitions of this form's time ÷ plain's in the same repetition. */
  ratio: number;
  counts: GpuCounts;
  samplesMs: number[];
}

/** Wall and host time of one side of a paired comparison, with its counts. */
export interface SideResult {
  ms: number;
  hostMs: number;
  counts: GpuCounts;
}

/** A fresh path every step, each against its own (warmed) plain network. */
export interface PathChangeResult {
  pairs: number;
  meanMAdds: number;
  plain: SideResult;
  /** The supernet's first step on each new path. */
  supernet: SideResult;
  /** Median over the pairs of the supernet's time ÷ the plain network's. */
  ratio: number;
  ratios: number[];
}

/** The first steps on new cells, and the same steps again (src/bench/first_use.ts). */
export interface FirstUseResult {
  steps: number;
  /** Pipelines the first steps created. */
  pipelines: number;
  ms: number;
  /** The same steps again: `ms − againMs` is what the first use cost once. */
  againMs: number;
  /** Of `ms`, the time inside `createComputePipeline`. */
  createMs: number;
}

/** The run's size after a regeneration (what could grow). */
export interface RunSize {
  optimizerGroups: number;
  optimizerParams: number;
  bankModules: number;
  pipelines: number;
  bindGroupCache: number;
  poolBuffers: number;
  poolMiB: number;
}

/** One regeneration of the evolution and the steps after it. */
export interface RegenerationRow {
  regeneration: number;
  regenerateMs: number;
  /** The checkpoint the evolution writes after it (null after the first), and its size. */
  checkpointMs: number | null;
  checkpointMiB: number | null;
  regenerateCounts: GpuCounts;
  /** One step with every candidate index: the new cells' first use. */
  firstUse: FirstUseResult;
  /** Paired steps on uniformly drawn paths: plain network vs the evolution's weight step. */
  paths: PathChangeResult;
  fitness: SideResult;
  size: RunSize;
  /**
   * Images/s of a regeneration period built from the row's measurements: f weight steps,
   * f / arch-every fitness steps, the regeneration, its checkpoint and the one-off cost of
   * its new cells.
   */
  periodImagesPerSecond: number;
  /** Images/s of the plain networks of the same paths. */
  plainImagesPerSecond: number;
}

/** The evolution's part. */
export interface EvolveRegenerations {
  backbone: string;
  k: number;
  populationSize: number;
  /** f: weight steps between regenerations. */
  regenerateEvery: number;
  /** Weight steps per fitness step. */
  archEvery: number;
  rows: RegenerationRow[];
}

/** The section's result (`--json`: `supernetPath`). */
export interface SupernetPathResult {
  space: string;
  batch: number;
  path: number[];
  madds: number;
  reps: number;
  stepsPerRep: number;
  /** The search supernet's first step on each candidate index. */
  firstUse: FirstUseResult;
  samePath: FormRow[];
  pathChange: PathChangeResult;
  /** Null when the space has no cells (the evolution's form needs cells). */
  evolve: EvolveRegenerations | null;
  /** Load average when the section started (timings under load are noisy). */
  loadavg?: number[];
}

function mAdds(v: number): string {
  return `${fmt(v / 1e6)}M`;
}

function perStep(v: number): string {
  return Number.isInteger(v) ? String(v) : fmt(v);
}

/** The same-path table. */
export function samePathTable(rows: readonly FormRow[]): string {
  return formatTable(
    [
      "form",
      "MAdds",
      "ms/step",
      "min",
      "host ms",
      "÷ plain",
      "dispatches",
      "workgroups",
      "pipelines",
      "bind groups",
      "buffers",
      "reads",
    ],
    rows.map((r) => [
      r.form,
      mAdds(r.madds),
      fmt(r.msMedian),
      fmt(r.msMin),
      fmt(r.hostMs),
      fmt(r.ratio),
      perStep(r.counts.dispatches),
      perStep(r.counts.workgroups),
      perStep(r.counts.pipelines),
      perStep(r.counts.bindGroups),
      perStep(r.counts.buffers),
      perStep(r.counts.reads),
    ]),
    [false, true, true, true, true, true, true, true, true, true, true, true],
  );
}

/** The fresh-path table: plain and supernet sides. */
export function pathChangeTable(p: PathChangeResult, supernet: string): string {
  const row = (name: string, s: SideResult) => [
    name,
    mAdds(p.meanMAdds),
    fmt(s.ms),
    fmt(s.hostMs),
    name === "plain" ? "1" : fmt(p.ratio),
    perStep(s.counts.dispatches),
    perStep(s.counts.pipelines),
    perStep(s.counts.bindGroups),
    perStep(s.counts.buffers),
  ];
  return formatTable(
    [
      "form",
      "mean MAdds",
      "ms/step",
      "host ms",
      "÷ plain",
      "dispatches",
      "pipelines",
      "bind groups",
      "buffers",
    ],
    [row("plain", p.plain), row(supernet, p.supernet)],
    [false, true, true, true, true, true, true, true, true],
  );
}

/** The regeneration table: one row per regeneration. */
export function regenerationTable(rows: readonly RegenerationRow[]): string {
  return formatTable(
    [
      "regen",
      "regen ms",
      "ckpt ms",
      "ckpt MiB",
      "new buffers",
      "new pipelines",
      "create ms",
      "one-off ms",
      "MAdds",
      "plain ms",
      "evolve ms",
      "÷ plain",
      "host ms",
      "bind groups",
      "buffers",
      "fitness ms",
      "reads",
      "opt groups",
      "bank modules",
      "bg cache",
      "img/s",
      "plain img/s",
    ],
    rows.map((r) => [
      String(r.regeneration),
      fmt(r.regenerateMs),
      r.checkpointMs === null ? "–" : fmt(r.checkpointMs),
      r.checkpointMiB === null ? "–" : fmt(r.checkpointMiB),
      perStep(r.regenerateCounts.buffers),
      String(r.firstUse.pipelines),
      fmt(r.firstUse.createMs),
      fmt(r.firstUse.ms - r.firstUse.againMs),
      mAdds(r.paths.meanMAdds),
      fmt(r.paths.plain.ms),
      fmt(r.paths.supernet.ms),
      fmt(r.paths.ratio),
      fmt(r.paths.supernet.hostMs),
      perStep(r.paths.supernet.counts.bindGroups),
      perStep(r.paths.supernet.counts.buffers),
      fmt(r.fitness.ms),
      perStep(r.fitness.counts.reads),
      String(r.size.optimizerGroups),
      String(r.size.bankModules),
      String(r.size.bindGroupCache),
      fmt(r.periodImagesPerSecond),
      fmt(r.plainImagesPerSecond),
    ]),
    [false, ...new Array(21).fill(true)],
  );
}

/** The section's ratio line. */
export function ratioLine(r: SupernetPathResult): string {
  const same = r.samePath.filter((f) => f.form !== "plain")
    .map((f) => `${f.form} ${fmt(f.ratio)}`).join(", ");
  const parts = [
    `same path: ${same}`,
    `a new path every step: search ${fmt(r.pathChange.ratio)}`,
  ];
  if (r.evolve && r.evolve.rows.length > 0) {
    const ratios = r.evolve.rows.map((row) => fmt(row.paths.ratio));
    parts.push(`evolve by regeneration: ${ratios.join(" → ")}`);
  }
  return `ratio, supernet weight step ÷ plain step on the same path(s): ${parts.join("; ")}`;
}

/** The whole section as text. */
export function supernetPathText(r: SupernetPathResult): string {
  const lines = [
    `path ${JSON.stringify(r.path)}: ${mAdds(r.madds)} MAdds, batch ${r.batch}. A weight step ` +
    `runs one candidate per layer with gate 1 (no weighted sum), so every form does the ` +
    `path's convolutions only.`,
    `one-off: the search supernet's first step on each candidate index (${r.firstUse.steps} ` +
    `steps) took ${fmt(r.firstUse.ms / 1000)} s, the same steps again ` +
    `${fmt(r.firstUse.againMs / 1000)} s: ${r.firstUse.pipelines} pipelines, ` +
    `${fmt(r.firstUse.createMs / 1000)} s of it in createComputePipeline, the rest mostly ` +
    `llvmpipe compiling them at their first dispatch.`,
    "",
    `same path, ${r.reps} repetitions × ${r.stepsPerRep} steps, forms interleaved ` +
    `(counts per step):`,
    samePathTable(r.samePath),
    "",
    `a fresh uniform path every step (${r.pathChange.pairs} paths), each against its own ` +
    `plain network, warmed (counts per step):`,
    pathChangeTable(r.pathChange, "search"),
  ];
  if (r.evolve) {
    lines.push(
      "",
      `evolve: regenerations of an evolution (${r.evolve.backbone}, K ${r.evolve.k}, population ` +
        `${r.evolve.populationSize}, synthetic data); per regeneration its cost (regenerate, ` +
        `checkpoint, buffers it created, the new cells' first use), then paired steps on ` +
        `uniform paths (plain network vs the evolution's weight step; counts per step), ` +
        `fitness steps, and what the run holds:`,
      regenerationTable(r.evolve.rows),
    );
  }
  lines.push("", ratioLine(r));
  if (r.evolve && r.evolve.rows.length > 0) {
    const rate = r.evolve.rows.map((row) => fmt(row.periodImagesPerSecond)).join(" → ");
    lines.push(
      `evolve images/s of a regeneration period (f ${r.evolve.regenerateEvery}, a fitness step ` +
        `every ${r.evolve.archEvery}), by regeneration: ${rate}`,
    );
  }
  return lines.join("\n");
}
