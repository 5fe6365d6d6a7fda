/**
 * "Latency on this adapter" in the autospace report: the found network's forward pass
 * at batch 1 on the engine's GPU, with our kernels, measured exactly as the latency
 * table (src/latency) measures the whole networks it checks its predictions against —
 * `gpuMeasurers(gpu).network` (eval mode, no autograd, seeded weights, the bench's
 * timer), pooled over `DEFAULT_LATENCY_ROUNDS` rounds, the median of the repetitions.
 * So the number sits on the same scale as `search --cost latency`'s.
 */
import type { TimerMethod } from "../gpu/timing.ts";
import { gpuMeasurers } from "../latency/measure_gpu.ts";
import { measureInRounds } from "../latency/rounds.ts";
import { DEFAULT_LATENCY_ROUNDS } from "../latency/table.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import { initEngine } from "../tensor/init.ts";

/** One latency measurement of a network on this adapter. */
export interface AdapterLatency {
  /** Median per-call time over the pooled repetitions, milliseconds. */
  readonly ms: number;
  /** Fastest repetition's per-call time, milliseconds. */
  readonly minMs: number;
  readonly batch: number;
  /** Timed repetitions, over all rounds. */
  readonly reps: number;
  readonly callsPerRep: number;
  readonly method: TimerMethod;
  readonly adapter: string;
}

/** Times `spec`'s forward pass at `batch` on the engine's GPU. */
export async function measureAdapterLatency(
  spec: NetworkSpec,
  batch = 1,
): Promise<AdapterLatency> {
  const measurers = gpuMeasurers(await initEngine());
  const [entry] = await measureInRounds(
    [spec],
    DEFAULT_LATENCY_ROUNDS,
    (network) => measurers.network(network, batch),
    { name: (network) => network.name },
  );
  return {
    ms: entry.ms,
    minMs: entry.minMs,
    batch,
    reps: entry.samplesMs.length,
    callsPerRep: entry.callsPerRep,
    method: measurers.device.timer,
    adapter: measurers.device.adapter,
  };
}
