/**
 * Timestamps around every compute pass the engine opens while recording.
 *
 * WebGPU writes timestamps only at compute-pass boundaries, and an op may split
 * its work into several passes (a buffer copy between dispatches ends the pass,
 * as the register conv does to stage its weights). While `record` runs, each pass
 * the engine opens gets a (beginning, end) timestamp pair, so the GPU time of a
 * span of recorded work is the last pass's end minus the first pass's beginning
 * (copies in between included). All pairs are read back with one map.
 *
 * It works by shadowing `gpu.beginPass` / `gpu.endPass` on the instance for the
 * duration of `record` (the engine opens and closes every pass through them).
 */
import type { Gpu } from "./gpu.ts";

/** WebGPU's per-set maximum. */
const QUERIES_PER_SET = 4096;
const PAIRS_PER_SET = QUERIES_PER_SET / 2;

/** Indices of the first and last pass of a recorded span. */
export interface PassSpan {
  first: number;
  last: number;
}

export class PassStamps {
  private sets: GPUQuerySet[] = [];
  private passes = 0;

  constructor(readonly gpu: Gpu) {
    if (!gpu.device.features.has("timestamp-query")) {
      throw new Error(
        "bench: timestamps need the 'timestamp-query' feature; use --timer wallclock",
      );
    }
  }

  /**
   * Runs `fn` (which records GPU work) with a timestamp pair on every pass it
   * opens, and returns the span of those passes. The current pass is ended first
   * and the last one afterwards, so no pass is shared with unrelated work.
   */
  record(fn: () => void): PassSpan {
    const gpu = this.gpu;
    gpu.endPass();
    const first = this.passes;
    const beginPass = gpu.beginPass;
    const endPass = gpu.endPass;
    let open: GPUComputePassEncoder | null = null;
    gpu.endPass = () => {
      endPass.call(gpu);
      open = null;
    };
    gpu.beginPass = (timestampWrites?: GPUComputePassTimestampWrites) => {
      if (timestampWrites) throw new Error("bench: nested timestamped passes");
      if (open) return open;
      open = beginPass.call(gpu, this.nextWrites());
      return open;
    };
    try {
      fn();
    } finally {
      gpu.endPass();
      const shadow = gpu as unknown as Record<string, unknown>;
      delete shadow.beginPass;
      delete shadow.endPass;
    }
    if (this.passes === first) throw new Error("bench: the timed work opened no compute pass");
    return { first, last: this.passes - 1 };
  }

  /** Passes timestamped so far (the index the next one gets). */
  get passCount(): number {
    return this.passes;
  }

  /** Reads every pair (one map) and returns each span's duration in ms. */
  async durationsMs(spans: readonly PassSpan[]): Promise<number[]> {
    const gpu = this.gpu;
    gpu.endPass();
    const enc = gpu.commandEncoder();
    const buffers: GPUBuffer[] = [];
    try {
      const items = this.sets.map((set, i) => {
        const count = 2 * Math.min(PAIRS_PER_SET, this.passes - i * PAIRS_PER_SET);
        const buffer = gpu.device.createBuffer({
          size: 8 * QUERIES_PER_SET,
          usage: GPUBufferUsage.QUERY_RESOLVE | GPUBufferUsage.COPY_SRC,
          label: "bench.timestamps",
        });
        buffers.push(buffer);
        enc.resolveQuerySet(set, 0, count, buffer, 0);
        return { buffer, bytes: 8 * count };
      });
      const stamps = (await gpu.read(items)).map((b) => new BigUint64Array(b));
      const at = (pass: number, end: boolean) =>
        stamps[Math.floor(pass / PAIRS_PER_SET)][2 * (pass % PAIRS_PER_SET) + (end ? 1 : 0)];
      return spans.map((s) => Number(at(s.last, true) - at(s.first, false)) / 1e6);
    } finally {
      for (const b of buffers) b.destroy();
    }
  }

  /** Frees the query sets. */
  destroy(): void {
    for (const s of this.sets) s.destroy();
    this.sets = [];
    this.passes = 0;
  }

  private nextWrites(): GPUComputePassTimestampWrites {
    const pair = this.passes % PAIRS_PER_SET;
    if (pair === 0) {
      this.sets.push(this.gpu.device.createQuerySet({ type: "timestamp", count: QUERIES_PER_SET }));
    }
    this.passes++;
    return {
      querySet: this.sets[this.sets.length - 1],
      beginningOfPassWriteIndex: 2 * pair,
      endOfPassWriteIndex: 2 * pair + 1,
    };
  }
}
