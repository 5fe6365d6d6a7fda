/**
 * `deno task bench` — times every conv kernel, forward and backward, at the layer
 * shapes of the default evolution supernet and of MobileNetV2-1.0 at 224×224, the
 * issue's target kernels, and full training steps of a MobileNetV2-style 28×28
 * network (images/s and the share of time per kernel). See src/bench/.
 *
 *   deno task bench [--sections targets,supernet,mbv2,train] [--batch 32]
 *     [--mbv2-batch N] [--train-batch 64] [--train-width 0.5] [--reps 5] [--warmup 1]
 *     [--timer auto|timestamp|wallclock] [--variant register|tiled] [--compare]
 *     [--json FILE] [--skip-timer-check] [--seed 1]
 *   deno task bench --sections latency,latency-check [--space baseline:compact-28]
 *     [--batch 64] [--networks 12] [--latency-cache FILE] [--refresh] [--rounds 3]
 *     [--statistic median|min]
 *
 * Tables go to stdout, progress lines to stderr.
 */
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import type { KernelVariant } from "../src/gpu/device.ts";
import type { LatencyBenchOptions } from "../src/bench/latency_sections.ts";
import { type BenchOptions, runBench } from "../src/bench/runner.ts";
import { DEFAULT_SECTIONS, parseSections, type SectionName } from "../src/bench/sections.ts";
import { defaultCachePath } from "../src/latency/cache.ts";
import { DEFAULT_LATENCY_ROUNDS, DEFAULT_LATENCY_STATISTIC } from "../src/latency/table.ts";
import { loadTarget } from "../src/space/load.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import type { TimerMethod } from "../src/bench/timing.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";

const HELP = `deno task bench [options]
  --sections LIST     some of targets,supernet,mbv2,train,latency,latency-check, run in
                      that order (default: ${DEFAULT_SECTIONS})
  --batch N           batch of the targets and supernet sections (default 32) and of the
                      latency table (default 64, the training batch)
  --mbv2-batch N      MobileNetV2-224 batch (default: --batch, halved until every layer
                      fits the adapter's storage-binding limit; 16 on lavapipe)
  --train-batch N     training-step batch (default 64)
  --train-width W     MobileNetV2 width of the training network (default 0.5: 12.9M MAdds,
                      the closest to the PyTorch reference's 12.2M; 1.0 is mobilenetv2-28)
  --reps N            timed repetitions, ≥ 5 (default 5)
  --warmup N          warm-up repetitions (default 1)
  --timer METHOD      auto (timestamps where the adapter has them), timestamp, wallclock
  --variant V         force the kernel family: register (CPU adapters) or tiled (GPUs)
  --compare           also time the forward convs with tfjs-backend-webgpu (same adapter)
                      and onnxruntime-node (CPU), and print ours ÷ theirs
  --json FILE         write everything measured as JSON
  --skip-timer-check  do not compare timestamps with the wall clock at the start
  --seed N            seed of the training-step data and weights and of the networks
                      latency-check samples (default 1)
latency sections (forward latency of every candidate block, eval mode):
  --space S           search space: baseline:compact-28 (default), baseline:proxyless-224,
                      a learned search_space.json, a search-space spec or config
  --networks N        networks latency-check samples from the space (default 12); each is
                      measured whole at batch 1 and at the latency batch
  --latency-cache F   cache of measured blocks, keyed by adapter, kernel family, timer and
                      block/shape/batch (default ${defaultCachePathOrNote()})
  --refresh           measure every block again instead of reusing cached entries
  --rounds R          measure every missing block (and, in latency-check, every network)
                      R times, round after round, and pool the repetitions (default
                      ${DEFAULT_LATENCY_ROUNDS}: one pass is at the mercy of the machine's load drift)
  --statistic S       median (default) or min over the pooled repetitions, for the
                      latency table (latency-check reports both)`;

function defaultCachePathOrNote(): string {
  try {
    return defaultCachePath();
  } catch {
    return "~/.cache/autospace/latency.json";
  }
}

function positiveInt(name: string, value: string | undefined, min = 1): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new Error(`--${name} must be an integer ≥ ${min}, got "${value}"`);
  }
  return n;
}

/** The latency sections' options; the space is loaded here so a bad one fails first. */
async function latencyOptions(
  values: Record<string, string | boolean | undefined>,
  sections: SectionName[],
  seed: number,
): Promise<LatencyBenchOptions | undefined> {
  if (!sections.includes("latency") && !sections.includes("latency-check")) {
    const latencyFlags = ["space", "networks", "latency-cache", "refresh", "rounds", "statistic"];
    for (const flag of latencyFlags) {
      if (values[flag] !== undefined && values[flag] !== false) {
        throw new Error(`--${flag} needs --sections latency or latency-check`);
      }
    }
    return undefined;
  }
  const source = (values.space as string | undefined) ?? "baseline:compact-28";
  const loaded = await loadTarget(source);
  if (loaded.kind !== "space") {
    throw new Error(`--space ${source} is a network, not a search space`);
  }
  const statistic = (values.statistic as string | undefined) ?? DEFAULT_LATENCY_STATISTIC;
  if (statistic !== "median" && statistic !== "min") {
    throw new Error(`--statistic must be median or min, got "${statistic}"`);
  }
  const batch = positiveInt("batch", values.batch as string | undefined) ?? 64;
  return {
    space: loaded.space,
    source,
    batch,
    checkBatches: [...new Set([1, batch])],
    networks: positiveInt("networks", values.networks as string | undefined, 2) ?? 12,
    cachePath: (values["latency-cache"] as string | undefined) ?? defaultCachePath(),
    refresh: values.refresh === true,
    rounds: positiveInt("rounds", values.rounds as string | undefined) ?? DEFAULT_LATENCY_ROUNDS,
    seed,
    statistic,
  };
}

async function parseOptions(args: string[]): Promise<{ opts: BenchOptions; json?: string } | null> {
  const { values } = parseArgs({
    args,
    options: {
      "sections": { type: "string", default: DEFAULT_SECTIONS },
      "batch": { type: "string" },
      "mbv2-batch": { type: "string" },
      "train-batch": { type: "string" },
      "train-width": { type: "string" },
      "reps": { type: "string" },
      "warmup": { type: "string" },
      "timer": { type: "string", default: "auto" },
      "variant": { type: "string" },
      "compare": { type: "boolean", default: false },
      "json": { type: "string" },
      "skip-timer-check": { type: "boolean", default: false },
      "seed": { type: "string" },
      "space": { type: "string" },
      "networks": { type: "string" },
      "latency-cache": { type: "string" },
      "refresh": { type: "boolean", default: false },
      "statistic": { type: "string" },
      "rounds": { type: "string" },
      "help": { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) return null;
  const timer = values.timer!;
  if (!["auto", "timestamp", "wallclock"].includes(timer)) {
    throw new Error(`--timer must be auto, timestamp or wallclock, got "${timer}"`);
  }
  const variant = values.variant;
  if (variant !== undefined && variant !== "register" && variant !== "tiled") {
    throw new Error(`--variant must be register or tiled, got "${variant}"`);
  }
  const width = values["train-width"] === undefined ? 0.5 : Number(values["train-width"]);
  if (!(width > 0 && width <= 4)) {
    throw new Error(`--train-width must be a number in (0, 4], got "${values["train-width"]}"`);
  }
  const reps = positiveInt("reps", values.reps, 5) ?? 5;
  const sections = parseSections(values.sections!);
  const seed = positiveInt("seed", values.seed, 0) ?? 1;
  let forceFallbackAdapter = false;
  try {
    forceFallbackAdapter = Deno.env.get("AUTOSPACE_ADAPTER") === "cpu";
  } catch { /* no env access: not forced */ }
  return {
    json: values.json,
    opts: {
      sections,
      batch: positiveInt("batch", values.batch) ?? 32,
      mbv2Batch: positiveInt("mbv2-batch", values["mbv2-batch"]),
      trainBatch: positiveInt("train-batch", values["train-batch"], 2) ?? 64,
      trainWidth: width,
      reps,
      warmup: positiveInt("warmup", values.warmup, 0) ?? 1,
      timer: timer as TimerMethod | "auto",
      compare: values.compare!,
      variant: variant as KernelVariant | undefined,
      checkTimer: !values["skip-timer-check"],
      seed,
      forceFallbackAdapter,
      latency: await latencyOptions(values, sections, seed),
    },
  };
}

let parsed: Awaited<ReturnType<typeof parseOptions>>;
try {
  parsed = await parseOptions(Deno.args);
} catch (e) {
  console.error(`bench: ${(e as Error).message}\n\n${HELP}`);
  Deno.exit(2);
}
if (!parsed) {
  console.log(HELP);
  Deno.exit(0);
}

const encoder = new TextEncoder();
let status = 0;
try {
  const gpu = await initEngine({ variant: parsed.opts.variant });
  const report = await runBench(gpu, parsed.opts, {
    print: (text) => console.log(text),
    progress: (line) => Deno.stderr.writeSync(encoder.encode(`  … ${line}\n`)),
  });
  if (parsed.json) {
    await Deno.mkdir(dirname(parsed.json), { recursive: true });
    await atomicWrite(parsed.json, JSON.stringify(report, null, 2) + "\n");
    console.log(`wrote ${parsed.json}`);
  }
} catch (e) {
  console.error(`bench: ${(e as Error).message}`);
  status = 1;
} finally {
  await shutdownEngine().catch(() => undefined);
}
Deno.exit(status);
