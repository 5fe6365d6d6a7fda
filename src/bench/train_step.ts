/**
 * Full training steps of a MobileNetV2-style network on 28×28×1 inputs: forward,
 * softmax cross-entropy, backward, SGD update, all recorded without host syncs.
 * Images/s come from the wall clock over several steps per repetition (one sync a
 * repetition, as in training), split into recording, `queue.submit` (where lavapipe
 * runs the work) and the sync's wait (`StepParts`); the share of
 * time per kernel from one separate step with a timestamp pair per dispatch.
 */
import type { Gpu } from "../gpu/gpu.ts";
import { buildNetwork } from "../networks/network.ts";
import { paramGroups } from "../nn/module.ts";
import { Sgd } from "../nn/optimizers.ts";
import { softmaxCrossEntropy } from "../ops/cross_entropy.ts";
import { mobileNetV2For28 } from "../space/builtins.ts";
import { countNetwork } from "../space/counting.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import { backward } from "../tensor/autograd.ts";
import { fromArray } from "../tensor/creation.ts";
import { tidy } from "../tensor/engine.ts";
import { Rng } from "../util/rng.ts";
import {
  type DispatchTime,
  minimumPerDispatch,
  opShares,
  profileDispatches,
} from "./dispatch_profiler.ts";
import type { TrainResult } from "./report.ts";
import type { StepParts } from "./step_floor.ts";
import { median } from "../gpu/timing.ts";

/** The PyTorch-CPU reference: a same-size MobileNetV2-style net, measured on this machine. */
export const PYTORCH_REFERENCE = {
  name: "PyTorch CPU (this machine)",
  imagesPerSecond: 372,
  madds: 12.2e6,
};

/** A network given to the training section instead of MobileNetV2 (`--train-arch`). */
export interface TrainNetwork {
  spec: NetworkSpec;
  /** How it was given (a file or a built-in's name). */
  source: string;
}

export interface TrainBenchOptions {
  batch: number;
  /** MobileNetV2 width multiplier (0.5: 12.9M MAdds, the nearest to the reference's 12.2M). */
  width: number;
  /** Another network to time instead (its own input size, channels and classes). */
  network?: TrainNetwork;
  reps: number;
  warmup: number;
  /** A repetition runs enough steps to last this long. */
  minRepMs: number;
  /** Per-kernel shares from profiled steps (needs timestamp queries). */
  profile: boolean;
  /**
   * Profiled steps: each dispatch's time is its minimum over them, so that a core
   * stalled by the host's other tenants in one step does not distort the table.
   */
  profileSteps: number;
  seed: number;
}

/**
 * MobileNetV2 at `width` for 28×28×1 inputs and 10 classes, with the 28×28 schedule
 * of `mobileNetV2For28` (stem stride 1; the 24-, 32- and 64-channel stages halve
 * the map: 28 → 14 → 7 → 4). Width 0.5 is the built-in "mobilenetv2-28" (12.9M
 * MAdds), width 1.0 "mobilenetv2-28-w1" (41.0M).
 */
export function trainNetworkSpec(width: number): NetworkSpec {
  return mobileNetV2For28(width);
}

/** Steps per repetition so that one lasts ≥ minRepMs at `stepMs` a step. */
export function stepsPerRep(stepMs: number, minRepMs: number): number {
  return Math.max(1, Math.min(100, Math.ceil(minRepMs / Math.max(stepMs, 1e-3))));
}

/** Images/s of a step time. */
export function imagesPerSecond(batch: number, stepMs: number): number {
  return (batch * 1000) / stepMs;
}

/** Runs the training-step benchmark on the engine's GPU. */
export async function benchTrainStep(
  gpu: Gpu,
  opts: TrainBenchOptions,
  log: (line: string) => void,
): Promise<TrainResult> {
  const spec = opts.network?.spec ?? trainNetworkSpec(opts.width);
  const count = countNetwork(spec);
  const rng = new Rng(opts.seed);
  const net = buildNetwork(spec, rng);
  const opt = new Sgd(paramGroups(net.parameters(), 4e-5), {
    lr: 0.05,
    momentum: 0.9,
    nesterov: true,
  });
  const { channels, size } = spec.input;
  const pixels = opts.batch * channels * size * size;
  const images = new Float32Array(pixels);
  for (let i = 0; i < pixels; i++) images[i] = rng.uniform(-1, 1);
  const labels = new Int32Array(opts.batch);
  for (let i = 0; i < opts.batch; i++) labels[i] = rng.int(spec.classes);
  const x = fromArray([opts.batch, channels, size, size], images, {
    name: "bench.images",
    persistent: true,
  });
  const y = fromArray([opts.batch], labels, { name: "bench.labels", persistent: true });
  const step = () =>
    tidy(() => {
      opt.zeroGrad();
      const loss = softmaxCrossEntropy(net.forward(x), y);
      backward(loss);
      opt.step();
    });
  try {
    // Warm-up: the first step compiles every pipeline and fills the buffer pool.
    const warm: number[] = [];
    for (let i = 0; i < Math.max(1, opts.warmup); i++) {
      await gpu.sync();
      const t0 = performance.now();
      step();
      await gpu.sync();
      warm.push(performance.now() - t0);
    }
    const steps = stepsPerRep(
      warm.length > 1 ? Math.min(...warm.slice(1)) : warm[0],
      opts.minRepMs,
    );
    log(
      `train: warm-up step ${
        warm.map((ms) => ms.toFixed(0)).join(", ")
      } ms; ${steps} step(s) a repetition`,
    );
    const samples: number[] = [];
    const parts: StepParts[] = [];
    for (let r = 0; r < opts.reps; r++) {
      await gpu.sync();
      const submit0 = gpu.submitMs;
      const t0 = performance.now();
      for (let s = 0; s < steps; s++) step();
      const t1 = performance.now();
      const submit1 = gpu.submitMs;
      await gpu.sync();
      const t2 = performance.now();
      samples.push((t2 - t0) / steps);
      const inSubmit = gpu.submitMs - submit0; // the sync's flush included
      parts.push({
        recordMs: (t1 - t0 - (submit1 - submit0)) / steps,
        submitMs: inSubmit / steps,
        waitMs: (t2 - t1 - (gpu.submitMs - submit1)) / steps,
      });
      log(`train: repetition ${r + 1}/${opts.reps}: ${samples[r].toFixed(1)} ms a step`);
    }
    const stepMedianMs = median(samples);
    const stepMinMs = Math.min(...samples);
    const ips = imagesPerSecond(opts.batch, stepMedianMs);
    const result: TrainResult = {
      network: spec.name,
      ...(opts.network ? { arch: opts.network.source } : {}),
      description: `${spec.name} (${
        opts.network ? opts.network.source : `MobileNetV2 width ${opts.width}, stem stride 1`
      }, ${size}×${size}×${channels}, ${(count.total.madds / 1e6).toFixed(1)}M MAdds, ${
        (count.total.weights / 1e6).toFixed(2)
      }M weights), SGD Nesterov momentum 0.9, softmax cross-entropy`,
      madds: count.total.madds,
      weights: count.total.weights,
      batch: opts.batch,
      stepsPerRep: steps,
      stepMinMs,
      stepMedianMs,
      samplesMs: samples,
      stepParts: {
        recordMs: median(parts.map((p) => p.recordMs)),
        submitMs: median(parts.map((p) => p.submitMs)),
        waitMs: median(parts.map((p) => p.waitMs)),
      },
      imagesPerSecond: ips,
      imagesPerSecondBest: imagesPerSecond(opts.batch, stepMinMs),
      ops: [],
      reference: PYTORCH_REFERENCE,
      ratio: ips / PYTORCH_REFERENCE.imagesPerSecond,
      maddsRatio: (ips * count.total.madds) /
        (PYTORCH_REFERENCE.imagesPerSecond * PYTORCH_REFERENCE.madds),
    };
    if (opts.profile && gpu.device.features.has("timestamp-query")) {
      await gpu.sync();
      const runs: DispatchTime[][] = [];
      for (let i = 0; i < Math.max(1, opts.profileSteps); i++) {
        runs.push(await profileDispatches(gpu, step));
      }
      const times = minimumPerDispatch(runs);
      result.ops = opShares(times);
      result.profiledGpuMs = times.reduce((s, t) => s + t.ms, 0);
      result.profiledStepMs = runs.map((run) => run.reduce((s, t) => s + t.ms, 0));
      result.dispatchesPerStep = times.length;
      result.profiledSteps = runs.length;
    } else if (opts.profile) {
      result.note = "per-kernel shares need timestamp queries, which this adapter lacks";
    }
    return result;
  } finally {
    await gpu.sync();
    x.dispose();
    y.dispose();
    opt.dispose();
    net.dispose();
  }
}
