/**
 * The GPU runtime's counters around a block of steps: what a step recorded (dispatches,
 * workgroups), what it created (pipelines, bind groups, buffers: each a cache miss or a
 * pool miss), and how often it synced with the host. Counts do not depend on the
 * machine's load, so they say where time goes even when the wall clock is noisy.
 */
import type { Gpu } from "../gpu/gpu.ts";

/** Counter values, or their change over some steps. */
export interface GpuCounts {
  dispatches: number;
  workgroups: number;
  pipelines: number;
  bindGroups: number;
  buffers: number;
  submits: number;
  reads: number;
  /** Milliseconds inside `queue.submit` (on lavapipe the work itself runs there). */
  submitMs: number;
  /** Milliseconds creating pipelines (llvmpipe compiles them later, at their first dispatch). */
  compileMs: number;
}

/** The counters now. */
export function readCounts(gpu: Gpu): GpuCounts {
  return {
    dispatches: gpu.dispatchCount,
    workgroups: gpu.workgroupCount,
    pipelines: gpu.kernelCount,
    bindGroups: gpu.bindGroupsCreated,
    buffers: gpu.pool.created,
    submits: gpu.submitCount,
    reads: gpu.readCount,
    submitMs: gpu.submitMs,
    compileMs: gpu.compileMs,
  };
}

/** `after − before`, divided by `steps`. */
export function countsPerStep(before: GpuCounts, after: GpuCounts, steps = 1): GpuCounts {
  const out = {} as GpuCounts;
  for (const k of Object.keys(before) as (keyof GpuCounts)[]) {
    out[k] = (after[k] - before[k]) / steps;
  }
  return out;
}

/** The mean of several per-step counts. */
export function meanCounts(all: readonly GpuCounts[]): GpuCounts {
  const out = {} as GpuCounts;
  for (const k of Object.keys(all[0]) as (keyof GpuCounts)[]) {
    out[k] = all.reduce((s, c) => s + c[k], 0) / all.length;
  }
  return out;
}

/** Wall time, host time and counts of one block of steps. */
export interface TimedSteps {
  /** Wall milliseconds a step, one host sync at the end included. */
  ms: number;
  /**
   * Host milliseconds a step spent recording (JavaScript, encoding, creating pipelines,
   * bind groups and buffers): the step call's time less what it spent in `queue.submit`.
   */
  hostMs: number;
  counts: GpuCounts;
}

/**
 * Runs `step(i)` for i < n after a sync and syncs again; returns per-step wall time,
 * host time and counts.
 */
export async function timeSteps(
  gpu: Gpu,
  n: number,
  step: (i: number) => void | Promise<void>,
): Promise<TimedSteps> {
  await gpu.sync();
  const before = readCounts(gpu);
  const t0 = performance.now();
  let host = 0;
  for (let i = 0; i < n; i++) {
    const h0 = performance.now();
    const s0 = gpu.submitMs;
    await step(i);
    host += performance.now() - h0 - (gpu.submitMs - s0);
  }
  await gpu.sync();
  const ms = (performance.now() - t0) / n;
  return { ms, hostMs: host / n, counts: countsPerStep(before, readCounts(gpu), n) };
}
