/**
 * Timing recorded GPU work without one host sync per dispatch.
 *
 * - "timestamp": each repetition records `calls` invocations with a timestamp
 *   pair around every compute pass they open (pass_stamps.ts); its time is the last
 *   pass's end minus the first pass's beginning. All repetitions are read back with
 *   one map. Lavapipe writes these timestamps from the CPU clock as it executes, so
 *   they are meaningful there too (`crossCheck` compares them with the wall clock).
 * - "wallclock": each repetition records `calls` invocations into one command
 *   buffer, then submits and waits once; the ≈ 11 ms wait of Deno's `mapAsync` /
 *   `onSubmittedWorkDone` is amortised by making each repetition last ≥ `minRepMs`.
 *
 * Either way: warm-up repetitions first (they also compile the pipelines and size
 * the buffer pool), then min and median per-call time over the repetitions.
 */
import type { Gpu } from "./gpu.ts";
import { type PassSpan, PassStamps } from "./pass_stamps.ts";

/** How repetitions are timed. */
export type TimerMethod = "timestamp" | "wallclock";

export interface TimingOptions {
  /** Timed repetitions (min and median are over these). */
  reps: number;
  /** Untimed repetitions first. */
  warmup: number;
  /** A repetition should last at least this long (more calls per pass). */
  minRepMs: number;
  /** Most bytes the outputs of one repetition may allocate (they are freed per submit). */
  memoryBudgetBytes: number;
}

/** Defaults per method: timestamps need no long repetitions; the wall clock does. */
export function defaultTimingOptions(method: TimerMethod): TimingOptions {
  return {
    reps: 5,
    warmup: 1,
    minRepMs: method === "timestamp" ? 10 : 200,
    memoryBudgetBytes: 512 * 2 ** 20,
  };
}

/** Per-call times of one measurement. */
export interface Timing {
  method: TimerMethod;
  minMs: number;
  medianMs: number;
  /** Per-call time of each repetition. */
  samplesMs: number[];
  /** Invocations per repetition. */
  callsPerRep: number;
  /** Dispatches one invocation records. */
  dispatchesPerCall: number;
}

/** The median of a non-empty list (mean of the two middle values when even). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median: no values");
  const s = [...values].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Min and median of per-call samples. */
export function summarize(samples: readonly number[]): { minMs: number; medianMs: number } {
  return { minMs: Math.min(...samples), medianMs: median(samples) };
}

/**
 * Invocations per repetition: enough to last `minRepMs` at `estimateMs` a call,
 * but within the memory budget (every call allocates its outputs anew until the
 * next submit) and under the engine's 1024-dispatch submit limit.
 */
export function chooseCallsPerRep(o: {
  estimateMs: number;
  minRepMs: number;
  bytesPerCall: number;
  memoryBudgetBytes: number;
  dispatchesPerCall: number;
  maxDispatches?: number;
}): number {
  const byTime = o.estimateMs > 0 ? Math.ceil(o.minRepMs / o.estimateMs) : 1000;
  const byMemory = o.bytesPerCall > 0 ? Math.floor(o.memoryBudgetBytes / o.bytesPerCall) : 1000;
  const byDispatch = Math.floor((o.maxDispatches ?? 1000) / Math.max(1, o.dispatchesPerCall));
  return Math.max(1, Math.min(byTime, byMemory, byDispatch, 1000));
}

/** GFLOP/s from floating-point operations and milliseconds. */
export function gflopsPerSecond(flops: number, ms: number): number {
  return flops / (ms * 1e6);
}

/** GB/s (10⁹ bytes) from bytes and milliseconds. */
export function gigabytesPerSecond(bytes: number, ms: number): number {
  return bytes / (ms * 1e6);
}

/** Times recorded GPU work on one device. */
export class KernelTimer {
  constructor(readonly gpu: Gpu, readonly method: TimerMethod) {
    if (method === "timestamp" && !gpu.device.features.has("timestamp-query")) {
      throw new Error(
        "bench: --timer timestamp needs the 'timestamp-query' feature; use wallclock",
      );
    }
  }

  /** "timestamp" where the device has timestamp queries, else "wallclock". */
  static defaultMethod(gpu: Gpu): TimerMethod {
    return gpu.device.features.has("timestamp-query") ? "timestamp" : "wallclock";
  }

  /**
   * Times `call` (which records one invocation and frees its temporaries, e.g. in
   * a tidy). Returns per-call times.
   */
  async time(call: () => void, opts: TimingOptions): Promise<Timing> {
    const probe = await this.probe(call, opts.warmup);
    const calls = chooseCallsPerRep({ ...probe, ...opts });
    const samples = await this.run(call, calls, opts.reps);
    return {
      method: this.method,
      ...summarize(samples),
      samplesMs: samples,
      callsPerRep: calls,
      dispatchesPerCall: probe.dispatchesPerCall,
    };
  }

  /**
   * Warm-up repetitions of one call each. The pool is emptied first, so the growth
   * during the first call is its memory footprint.
   */
  private async probe(
    call: () => void,
    warmup: number,
  ): Promise<{ estimateMs: number; bytesPerCall: number; dispatchesPerCall: number }> {
    const gpu = this.gpu;
    await gpu.sync();
    gpu.pool.trim();
    gpu.clearBindGroupCache();
    const allocated0 = gpu.pool.allocatedBytes;
    const dispatches0 = gpu.dispatchCount;
    const reps = Math.max(1, warmup);
    const warm = await this.run(call, 1, reps);
    return {
      estimateMs: Math.min(...warm),
      bytesPerCall: Math.max(0, gpu.pool.allocatedBytes - allocated0),
      dispatchesPerCall: Math.max(1, Math.round((gpu.dispatchCount - dispatches0) / reps)),
    };
  }

  /**
   * Checks that the adapter's timestamps are real: each repetition records one
   * timestamped pass of `calls` invocations, then the wall clock runs from submit
   * to the end of the wait. Both clocks see the same work at the same time, so
   * other load on the machine cannot make them disagree. Returns per-call medians;
   * the wall clock also holds one ≈ 11 ms wait per repetition (≥ `minRepMs` long).
   */
  async crossCheck(
    call: () => void,
    opts: TimingOptions,
  ): Promise<{ timestampMs: number; wallclockMs: number }> {
    const gpu = this.gpu;
    const reps = opts.reps;
    const calls = chooseCallsPerRep({ ...(await this.probe(call, opts.warmup)), ...opts });
    const stamps = new PassStamps(gpu);
    try {
      const spans: PassSpan[] = [];
      const wall: number[] = [];
      for (let r = 0; r < reps; r++) {
        await gpu.sync();
        spans.push(stamps.record(() => {
          for (let i = 0; i < calls; i++) call();
        }));
        const t0 = performance.now();
        await gpu.sync();
        wall.push((performance.now() - t0) / calls);
      }
      const ts = (await stamps.durationsMs(spans)).map((ms) => ms / calls);
      return { timestampMs: median(ts), wallclockMs: median(wall) };
    } finally {
      stamps.destroy();
    }
  }

  /** Runs `reps` repetitions of `calls` invocations; per-call ms of each. */
  private run(call: () => void, calls: number, reps: number): Promise<number[]> {
    return this.method === "timestamp"
      ? this.runTimestamped(call, calls, reps)
      : this.runWallclock(call, calls, reps);
  }

  private async runTimestamped(call: () => void, calls: number, reps: number): Promise<number[]> {
    const gpu = this.gpu;
    const stamps = new PassStamps(gpu);
    try {
      const spans: PassSpan[] = [];
      for (let r = 0; r < reps; r++) {
        gpu.flush(); // a fresh submit, so the 1024-dispatch flush cannot split a repetition
        spans.push(stamps.record(() => {
          for (let i = 0; i < calls; i++) call();
        }));
      }
      return (await stamps.durationsMs(spans)).map((ms) => ms / calls);
    } finally {
      stamps.destroy();
    }
  }

  private async runWallclock(call: () => void, calls: number, reps: number): Promise<number[]> {
    const gpu = this.gpu;
    const out: number[] = [];
    for (let r = 0; r < reps; r++) {
      await gpu.sync();
      const submits = gpu.submitCount;
      for (let i = 0; i < calls; i++) call(); // recorded, not yet submitted
      const early = gpu.submitCount !== submits;
      const t0 = performance.now();
      await gpu.sync();
      const ms = performance.now() - t0;
      if (early) {
        throw new Error("bench: a wall-clock repetition was submitted before its clock started");
      }
      out.push(ms / calls);
    }
    return out;
  }
}
