/**
 * `deno task bench` — times every conv kernel, forward and backward, at the layer
 * shapes of the default evolution supernet and of MobileNetV2-1.0 at 224×224, the
 * issue's target kernels, and full training steps of a MobileNetV2-style 28×28
 * network (images/s and the share of time per kernel). See src/bench/.
 *
 *   deno task bench [flags]   (flags and defaults: deno task bench --help)
 *
 * Tables go to stdout, progress lines to stderr.
 */
import type { KernelVariant } from "../src/gpu/device.ts";
import { type BenchOptions, runBench } from "../src/bench/runner.ts";
import { parseSections } from "../src/bench/sections.ts";
import type { TimerMethod } from "../src/bench/timing.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { cliNumber, parseCli, runCli } from "./_cli.ts";

const BENCH = {
  usage: "deno task bench [flags]",
  summary: "Times every conv kernel, forward and backward, at the default supernet's and\n" +
    "MobileNetV2-224's layer shapes, the target kernels, and full training steps. Tables go\n" +
    "to stdout, progress lines to stderr.",
  flags: {
    sections: {
      type: "string",
      default: "targets,supernet,mbv2,train",
      arg: "LIST",
      help: "some of targets,supernet,mbv2,train, run in that order",
    },
    batch: {
      type: "string",
      default: "32",
      arg: "N",
      help: "batch of the targets and supernet sections",
    },
    "mbv2-batch": {
      type: "string",
      arg: "N",
      defaultText: "--batch, halved until every layer fits the adapter's storage-binding " +
        "limit; 16 on lavapipe",
      help: "MobileNetV2-224 batch",
    },
    "train-batch": { type: "string", default: "64", arg: "N", help: "training-step batch" },
    "train-width": {
      type: "string",
      default: "0.5",
      arg: "W",
      help: "MobileNetV2 width of the training network (0.5: 12.9M MAdds, the closest to the\n" +
        "PyTorch reference's 12.2M; 1.0 is mobilenetv2-28)",
    },
    reps: { type: "string", default: "5", arg: "N", help: "timed repetitions, ≥ 5" },
    warmup: { type: "string", default: "1", arg: "N", help: "warm-up repetitions" },
    timer: {
      type: "string",
      default: "auto",
      arg: "METHOD",
      help: "auto (timestamps where the adapter has them), timestamp or wallclock",
    },
    variant: {
      type: "string",
      arg: "V",
      defaultText: "by adapter",
      help: "force the kernel family: register (CPU adapters) or tiled (GPUs)",
    },
    compare: {
      type: "boolean",
      default: false,
      help: "also time the forward convs with tfjs-backend-webgpu (same adapter) and\n" +
        "onnxruntime-node (CPU), and print ours ÷ theirs",
    },
    json: { type: "string", arg: "FILE", help: "write everything measured as JSON" },
    "skip-timer-check": {
      type: "boolean",
      default: false,
      help: "do not compare timestamps with the wall clock at the start",
    },
    seed: {
      type: "string",
      default: "1",
      arg: "N",
      help: "seed of the training-step data and weights",
    },
  },
} as const;

function parseOptions(args: string[]): { opts: BenchOptions; json?: string } {
  const { values } = parseCli(BENCH, args);
  const timer = values.timer!;
  if (!["auto", "timestamp", "wallclock"].includes(timer)) {
    throw new Error(`--timer must be auto, timestamp or wallclock, got "${timer}"`);
  }
  const variant = values.variant;
  if (variant !== undefined && variant !== "register" && variant !== "tiled") {
    throw new Error(`--variant must be register or tiled, got "${variant}"`);
  }
  const width = cliNumber("train-width", values["train-width"], { min: 0.01, max: 4 });
  let forceFallbackAdapter = false;
  try {
    forceFallbackAdapter = Deno.env.get("AUTOSPACE_ADAPTER") === "cpu";
  } catch { /* no env access: not forced */ }
  const int = (flag: keyof typeof values, min: number) =>
    cliNumber(flag, values[flag] as string, { integer: true, min });
  return {
    json: values.json,
    opts: {
      sections: parseSections(values.sections!),
      batch: int("batch", 1),
      mbv2Batch: values["mbv2-batch"] === undefined ? undefined : int("mbv2-batch", 1),
      trainBatch: int("train-batch", 2),
      trainWidth: width,
      reps: int("reps", 5),
      warmup: int("warmup", 0),
      timer: timer as TimerMethod | "auto",
      compare: values.compare,
      variant: variant as KernelVariant | undefined,
      checkTimer: !values["skip-timer-check"],
      seed: int("seed", 0),
      forceFallbackAdapter,
    },
  };
}

const encoder = new TextEncoder();
await runCli("bench", async () => {
  const parsed = parseOptions(Deno.args);
  try {
    const gpu = await initEngine({ variant: parsed.opts.variant });
    const report = await runBench(gpu, parsed.opts, {
      print: (text) => console.log(text),
      progress: (line) => Deno.stderr.writeSync(encoder.encode(`  … ${line}\n`)),
    });
    if (parsed.json) {
      await atomicWrite(parsed.json, JSON.stringify(report, null, 2) + "\n");
      console.log(`wrote ${parsed.json}`);
    }
  } finally {
    await shutdownEngine().catch(() => undefined);
  }
});
// onnxruntime-node and tfjs (--compare) can keep handles open: leave explicitly.
Deno.exit(0);
