/**
 * Per-dispatch GPU time of a block of recorded work (one training step): while
 * profiling, every dispatch gets its own compute pass with a timestamp pair, and
 * all pairs are read back with one map. The extra passes cost a little, so the
 * shares come from a separate profiled run, never from the timed ones.
 */
import type { Gpu } from "../gpu/gpu.ts";
import { type PassSpan, PassStamps } from "../gpu/pass_stamps.ts";

/** One profiled dispatch. */
export interface DispatchTime {
  key: string;
  label: string;
  ms: number;
}

/** Kernel family of a pipeline cache key: its first field, or the reduction it runs. */
export function kernelFamily(key: string): string {
  const parts = key.split(":");
  if ((parts[0] === "reduce" || parts[0] === "reduce2") && parts.length > 1) return parts[1];
  return parts[0];
}

/**
 * Op of a dispatch label: its first word, plus the second when that is a plain
 * word naming the part ("conv2d dx", "relu6 backward"), not a tensor ("x[64,8,28,28]").
 */
export function opOfLabel(label: string): string {
  const [op = "?", part] = label.trim().split(/\s+/);
  return part && /^[A-Za-z]+$/.test(part) ? `${op} ${part}` : op;
}

/** Time share of one kind of kernel in a training step. */
export interface OpShare {
  /** Kernel family: the cache-key prefix ("dwconv_forward", "bn_mean", "sgd"). */
  kernel: string;
  /** Op that recorded it: the label's first word ("batchNorm2d", "relu6"). */
  op: string;
  dispatches: number;
  ms: number;
  share: number;
}

/**
 * Sums dispatch times by kernel family and op (one kernel may serve several ops,
 * e.g. the strip conv runs both the forward and dx), largest first, with shares.
 */
export function opShares(times: readonly DispatchTime[]): OpShare[] {
  const byFamily = new Map<string, OpShare>();
  let total = 0;
  for (const t of times) {
    const kernel = kernelFamily(t.key);
    const op = opOfLabel(t.label);
    const key = `${kernel}|${op}`;
    const e = byFamily.get(key) ?? { kernel, op, dispatches: 0, ms: 0, share: 0 };
    e.dispatches++;
    e.ms += t.ms;
    total += t.ms;
    byFamily.set(key, e);
  }
  const out = [...byFamily.values()];
  for (const e of out) e.share = total > 0 ? e.ms / total : 0;
  return out.sort((a, b) => b.ms - a.ms);
}

/**
 * Each dispatch's minimum time over several profiled runs of the same work. The runs
 * must record the same dispatches in the same order (a training step does); a run
 * that differs is an error, since its minima would mix different kernels.
 */
export function minimumPerDispatch(runs: readonly (readonly DispatchTime[])[]): DispatchTime[] {
  if (runs.length === 0) throw new Error("minimumPerDispatch: no runs");
  const [first, ...rest] = runs;
  const out = first.map((t) => ({ ...t }));
  for (const [r, run] of rest.entries()) {
    if (run.length !== out.length || run.some((t, i) => t.key !== out[i].key)) {
      throw new Error(
        `minimumPerDispatch: run ${r + 2} recorded other dispatches than run 1 ` +
          `(${run.length} against ${out.length})`,
      );
    }
    run.forEach((t, i) => out[i].ms = Math.min(out[i].ms, t.ms));
  }
  return out;
}

/**
 * Records `fn` with every dispatch in a compute pass of its own, timestamped
 * (pass_stamps.ts), and returns the time of each dispatch. Buffer copies fall
 * between passes and are not counted.
 */
export async function profileDispatches(gpu: Gpu, fn: () => void): Promise<DispatchTime[]> {
  const stamps = new PassStamps(gpu);
  const entries: { key: string; label: string; span: PassSpan }[] = [];
  const dispatch = gpu.dispatch;
  try {
    stamps.record(() => {
      gpu.dispatch = (kernel, buffers, workgroups, label) => {
        gpu.endPass();
        const pass = stamps.passCount;
        dispatch.call(gpu, kernel, buffers, workgroups, label);
        gpu.endPass();
        // An empty dispatch (0 workgroups) opens no pass.
        if (stamps.passCount > pass) {
          entries.push({ key: kernel.key, label, span: { first: pass, last: pass } });
        }
      };
      try {
        fn();
      } finally {
        delete (gpu as unknown as Record<string, unknown>).dispatch; // back to the class method
      }
    });
    const ms = await stamps.durationsMs(entries.map((e) => e.span));
    return entries.map((e, i) => ({ key: e.key, label: e.label, ms: ms[i] }));
  } finally {
    stamps.destroy();
  }
}
