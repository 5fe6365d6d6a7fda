/**
 * LATENCY SLOT: "latency on this adapter" in the autospace report — the found
 * network's forward pass at batch 1 on the engine's GPU, with our kernels.
 *
 * Measured with the bench's timing machinery (src/bench/timing.ts): eval mode, no
 * autograd, a constant input, one untimed call that compiles the pipelines, then
 * repetitions of back-to-back calls timed by GPU timestamps around their compute
 * passes (the wall clock where the adapter has no timestamp queries); the median
 * per-call time of the repetitions. The network's weights do not change its time, so
 * it is built from its spec with seeded random weights.
 *
 * When the measured latency table (src/latency) is on main, its network measurer
 * (`gpuMeasurers(gpu).network(spec, 1)`) can replace `measureAdapterLatency`, so the
 * report and `search --cost latency` time networks the same way.
 */
import { defaultTimingOptions, KernelTimer, type TimerMethod } from "../bench/timing.ts";
import { buildNetwork } from "../networks/network.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import { full } from "../tensor/creation.ts";
import { noGrad, tidy } from "../tensor/engine.ts";
import { initEngine } from "../tensor/init.ts";
import { Rng } from "../util/rng.ts";

/** One latency measurement of a network on this adapter. */
export interface AdapterLatency {
  /** Median forward time over the repetitions, milliseconds. */
  readonly ms: number;
  /** Fastest repetition's per-call time, milliseconds. */
  readonly minMs: number;
  readonly batch: number;
  readonly reps: number;
  readonly callsPerRep: number;
  readonly method: TimerMethod;
  readonly adapter: string;
}

/**
 * A repetition lasts at least this long: many calls per repetition steady the time
 * when other processes share a CPU adapter's cores (the kernel bench's 10 ms is a
 * handful of calls of a small network).
 */
const MIN_REPETITION_MS = 100;

/** Times `spec`'s forward pass at `batch` on the engine's GPU. */
export async function measureAdapterLatency(
  spec: NetworkSpec,
  batch = 1,
): Promise<AdapterLatency> {
  const gpu = await initEngine();
  const method = KernelTimer.defaultMethod(gpu);
  const timer = new KernelTimer(gpu, method);
  const options = {
    ...defaultTimingOptions(method),
    warmup: 3, // the calls per repetition follow the fastest warm-up call: not one slowed by load
    minRepMs: MIN_REPETITION_MS,
  };
  const net = buildNetwork(spec, new Rng(1)).eval();
  const { channels, size } = spec.input;
  const x = full([batch, channels, size, size], 0.5, { name: "latency.input", persistent: true });
  try {
    const call = () => noGrad(() => tidy(() => void net.forward(x)));
    call(); // compiles the pipelines, which the warm-up that sizes the repetitions must not see
    await gpu.sync();
    const timing = await timer.time(call, options);
    return {
      ms: timing.medianMs,
      minMs: timing.minMs,
      batch,
      reps: timing.samplesMs.length,
      callsPerRep: timing.callsPerRep,
      method,
      adapter: gpu.info.description,
    };
  } finally {
    await gpu.sync();
    x.dispose();
    net.dispose();
  }
}
