/**
 * Forward latency on the engine's GPU: a part (stem, block or head) or a whole
 * network, built with random weights in eval mode (BN with running statistics, no
 * autograd), on a constant input of its shape, timed by the bench's `KernelTimer`
 * (GPU timestamps around the compute passes of repeated calls, median of the
 * repetitions after warm-up; the wall clock where the adapter has no timestamps).
 */
import {
  defaultTimingOptions,
  KernelTimer,
  type TimerMethod,
  type TimingOptions,
} from "../gpu/timing.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { buildBlock, buildHead, buildNetwork, buildStem } from "../networks/network.ts";
import type { Module } from "../nn/module.ts";
import { globalAvgPool } from "../ops/pooling.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import { full } from "../tensor/creation.ts";
import { noGrad, tidy } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { Rng } from "../util/rng.ts";
import type { LatencyEntry } from "./cache.ts";
import { type LatencyDevice, latencyDevice } from "./device_key.ts";
import type { LatencyPart } from "./parts.ts";

/**
 * A repetition of a latency measurement lasts at least this long (the kernel
 * bench's 10 ms is one call of a 30 ms network): averaging many calls within a
 * repetition is what steadies the time when other processes share the cores.
 */
export const LATENCY_MIN_REP_MS = 100;

/** The bench's timing defaults for `method`, with repetitions of ≥ `LATENCY_MIN_REP_MS`. */
export function latencyTimingOptions(method: TimerMethod): TimingOptions {
  const base = defaultTimingOptions(method);
  return { ...base, minRepMs: Math.max(base.minRepMs, LATENCY_MIN_REP_MS) };
}

/** Measures one part (injectable: tests count calls with a fake one). */
export type PartMeasurer = (part: LatencyPart) => Promise<LatencyEntry>;

/** Measures a whole network's forward pass at `batch`, in milliseconds. */
export type NetworkMeasurer = (spec: NetworkSpec, batch: number) => Promise<LatencyEntry>;

/** Everything needed to measure on one device, and the key its entries are cached under. */
export interface LatencyMeasurers {
  readonly device: LatencyDevice;
  readonly part: PartMeasurer;
  readonly network: NetworkMeasurer;
}

/** A module's forward pass and what it owns, for one timing. */
interface Runnable {
  forward(x: Tensor): Tensor;
  modules: Module[];
  input: readonly number[];
}

/** Builds the modules of a part (weights from a fixed seed: values do not change the time). */
function runnablePart(part: LatencyPart): Runnable {
  const rng = new Rng(1);
  switch (part.kind) {
    case "stem": {
      const stem = buildStem(part.input.channels, part.stem, rng);
      const { channels, size } = part.input;
      return { forward: (x) => stem.forward(x), modules: [stem], input: [channels, size, size] };
    }
    case "block": {
      const block = buildBlock(part.block, rng);
      const input = [part.block.cin, part.size, part.size];
      return { forward: (x) => block.forward(x), modules: [block], input };
    }
    case "head": {
      const { featureMix, classifier } = buildHead(part.cin, part.head, part.classes, rng);
      return {
        forward: (x) => classifier.forward(globalAvgPool(featureMix ? featureMix.forward(x) : x)),
        modules: featureMix ? [featureMix, classifier] : [classifier],
        input: [part.cin, part.size, part.size],
      };
    }
  }
}

/** Times `run` at `batch`: eval mode, no gradients, outputs freed per call. */
async function timeForward(
  timer: KernelTimer,
  timing: TimingOptions,
  run: Runnable,
  batch: number,
): Promise<LatencyEntry> {
  for (const m of run.modules) m.eval();
  const x = full([batch, ...run.input], 0.5, { name: "latency.input", persistent: true });
  try {
    const call = () => noGrad(() => tidy(() => void run.forward(x)));
    // The first call compiles the pipelines: keep it out of the warm-up that sizes
    // the repetitions, or a 1 ms block gets one call a repetition.
    call();
    await timer.gpu.sync();
    const t = await timer.time(call, timing);
    return {
      ms: t.medianMs,
      minMs: t.minMs,
      samplesMs: t.samplesMs,
      callsPerRep: t.callsPerRep,
      dispatches: t.dispatchesPerCall,
      measuredAt: new Date().toISOString(),
      ...loadavg(),
    };
  } finally {
    await timer.gpu.sync();
    x.dispose();
    for (const m of run.modules) m.dispose();
  }
}

function loadavg(): { loadavg?: number[] } {
  try {
    return { loadavg: Deno.loadavg().map((v) => Math.round(v * 100) / 100) };
  } catch {
    return {}; // no --allow-sys
  }
}

/**
 * Measurers on `gpu` with `timer` ("timestamp" where the adapter has timestamp
 * queries, else "wallclock", unless given) and `latencyTimingOptions` unless given.
 */
export function gpuMeasurers(
  gpu: Gpu,
  options: { timer?: TimerMethod; timing?: Partial<TimingOptions> } = {},
): LatencyMeasurers {
  const method = options.timer ?? KernelTimer.defaultMethod(gpu);
  const timer = new KernelTimer(gpu, method);
  const timing = { ...latencyTimingOptions(method), ...options.timing };
  return {
    device: latencyDevice(gpu, method),
    part: (part) => timeForward(timer, timing, runnablePart(part), part.batch),
    network: (spec, batch) => {
      const net = buildNetwork(spec, new Rng(1));
      const { channels, size } = spec.input;
      const run = {
        forward: (x: Tensor) => net.forward(x),
        modules: [net],
        input: [channels, size, size],
      };
      return timeForward(timer, timing, run, batch);
    },
  };
}
