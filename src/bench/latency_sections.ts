/**
 * The bench's latency sections: `latency` builds (or refreshes) the latency table
 * of a search space on this adapter, `latency-check` samples networks of the space
 * and compares the table's prediction with each whole network's measured forward
 * latency at batch 1 and at the training batch.
 */
import type { Gpu } from "../gpu/gpu.ts";
import { LatencyCache } from "../latency/cache.ts";
import {
  gpuMeasurers,
  type LatencyMeasurers,
  latencyTimingOptions,
} from "../latency/measure_gpu.ts";
import { checkLatencyPrediction, type PredictionCheck } from "../latency/prediction_check.ts";
import { latencyTableText, predictionCheckText } from "../latency/report.ts";
import { type LatencyStatistic, type LatencyTable, latencyTable } from "../latency/table.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import { Progress } from "../util/progress.ts";
import { fmt } from "../report/text_table.ts";
import type { TimerMethod, TimingOptions } from "../gpu/timing.ts";

/** What the latency sections are asked to do. */
export interface LatencyBenchOptions {
  /** The space, loaded by the caller (so a bad `--space` fails before the GPU starts). */
  space: SearchSpaceSpec;
  /** What `--space` said: a built-in name or a file. */
  source: string;
  /** Batch of the `latency` table. */
  batch: number;
  /** Batches of `latency-check`. */
  checkBatches: number[];
  /** Networks `latency-check` samples. */
  networks: number;
  cachePath: string;
  refresh: boolean;
  /** Measurement rounds (pooled; spreads every part over the machine's load drift). */
  rounds: number;
  seed: number;
  /** Statistic the `latency` table shows (the check reports both). */
  statistic: LatencyStatistic;
}

/** What the latency sections add to the bench report. */
export interface LatencyReport {
  table?: LatencyTable & { source: string; cachePath: string };
  check?: PredictionCheck & { source: string; cachePath: string };
}

/** How the sections reach the device and the terminal. */
export interface LatencySectionContext {
  gpu: Gpu;
  method: TimerMethod;
  timing: TimingOptions;
  print(text: string): void;
}

/** A progress bar per stage, created when its first update says how long it is. */
function progressBars(): (stage: string, done: number, total: number, next?: string) => void {
  const bars = new Map<string, Progress>();
  return (stage, done, total, next) => {
    if (total === 0) return;
    let bar = bars.get(stage);
    if (!bar) bars.set(stage, bar = new Progress({ label: stage, total, logEverySeconds: 5 }));
    bar.update(done, next ? { next } : {}, done === total);
  };
}

function measurersOf(ctx: LatencySectionContext): LatencyMeasurers {
  // --reps and --warmup apply; a repetition's length is the latency default.
  const { reps, warmup } = ctx.timing;
  return gpuMeasurers(ctx.gpu, { timer: ctx.method, timing: { reps, warmup } });
}

/** How the latency sections time, in one line. */
function timingLine(ctx: LatencySectionContext, rounds: number): string {
  const { minRepMs } = latencyTimingOptions(ctx.method);
  return `timing: ${ctx.method}, forward in eval mode, ${ctx.timing.reps} repetitions of ` +
    `≥ ${minRepMs} ms after ${ctx.timing.warmup} warm-up and one compiling call, ` +
    `${rounds} round(s) pooled`;
}

/** `latency`: the space's table at one batch; prints it and returns it. */
export async function latencySection(
  ctx: LatencySectionContext,
  opts: LatencyBenchOptions,
): Promise<LatencyReport["table"]> {
  const cache = await LatencyCache.open(opts.cachePath);
  const measurers = measurersOf(ctx);
  const bar = progressBars();
  const table = await latencyTable(opts.space, {
    batch: opts.batch,
    cache,
    device: measurers.device,
    measure: measurers.part,
    refresh: opts.refresh,
    rounds: opts.rounds,
    statistic: opts.statistic,
    onProgress: (done, total, part) => bar(`latency b${opts.batch}`, done, total, part?.key),
  });
  const min = table.perLayer.reduce((s, row) => s + Math.min(...row), table.fixed);
  const max = table.perLayer.reduce((s, row) => s + Math.max(...row), table.fixed);
  ctx.print(
    `\n== latency: ${opts.source} (${opts.space.name}), forward, batch ${opts.batch}, ${opts.statistic} ==`,
  );
  ctx.print(
    `${table.measured} parts measured, ${table.reused} from the cache ${opts.cachePath} ` +
      `(device "${measurers.device.adapter}", ${measurers.device.variant} kernels, ` +
      `${measurers.device.timer} timer)`,
  );
  ctx.print(timingLine(ctx, opts.rounds));
  ctx.print(latencyTableText(opts.space, table));
  ctx.print(
    `fixed (stem + head) ${fmt(table.fixed)} ms; networks of the space: ` +
      `${fmt(min)} ms (fastest choice per layer) to ${fmt(max)} ms (slowest)`,
  );
  return { ...table, source: opts.source, cachePath: opts.cachePath };
}

/** `latency-check`: predicted vs measured latency of sampled networks. */
export async function latencyCheckSection(
  ctx: LatencySectionContext,
  opts: LatencyBenchOptions,
): Promise<LatencyReport["check"]> {
  const cache = await LatencyCache.open(opts.cachePath);
  const bar = progressBars();
  const check = await checkLatencyPrediction(opts.space, {
    batches: opts.checkBatches,
    networks: opts.networks,
    seed: opts.seed,
    cache,
    measurers: measurersOf(ctx),
    refresh: opts.refresh,
    rounds: opts.rounds,
    onProgress: (stage, done, total) => bar(stage, done, total),
  });
  ctx.print(
    `\n== latency-check: ${opts.source} (${opts.space.name}), ` +
      `${check.batches[0]?.rows.length ?? 0} sampled ` +
      `networks, predicted (fixed + Σ chosen table entries) vs measured forward ==`,
  );
  ctx.print(timingLine(ctx, opts.rounds));
  ctx.print(predictionCheckText(check));
  return { ...check, source: opts.source, cachePath: opts.cachePath };
}
