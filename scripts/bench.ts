/**
 * `deno task bench` — times every conv kernel, forward and backward, at the layer
 * shapes of the default evolution supernet and of MobileNetV2-1.0 at 224×224, four
 * target kernels, and full training steps of a MobileNetV2-style 28×28
 * network (images/s and the share of time per kernel). See src/bench/.
 *
 *   deno task bench [flags]   (flags and defaults: deno task bench --help)
 *   deno task bench --sections latency,latency-check --space S   (latency table of a
 *     search space on this adapter, and its prediction error on sampled networks)
 *   deno task bench --sections supernet-path [--space S]   (a path of S as a plain
 *     network and as supernet paths, and an evolution's regenerations)
 *
 * Tables go to stdout, progress lines to stderr.
 */
import { dirname } from "node:path";
import type { AccessCosts } from "../src/bench/access_costs.ts";
import type { LatencyBenchOptions } from "../src/bench/latency_sections.ts";
import type { SupernetPathOptions } from "../src/bench/supernet_path.ts";
import { type BenchOptions, runBench } from "../src/bench/runner.ts";
import {
  DEFAULT_SECTIONS,
  parseSections,
  type SectionName,
  sectionsHelp,
} from "../src/bench/sections.ts";
import { defaultCachePath } from "../src/latency/cache.ts";
import { DEFAULT_LATENCY_ROUNDS, DEFAULT_LATENCY_STATISTIC } from "../src/latency/table.ts";
import { loadTarget } from "../src/space/load.ts";
import type { SearchSpaceSpec } from "../src/space/search_space_spec.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { oneOf } from "../src/util/cli_command.ts";
import { cliNumber, cliOptionalNumber, parseCli, runCli } from "./_cli.ts";

/** The supernet-path section's default space: the evolution's learned space kept in docs. */
const LEARNED_SPACE = "docs/runs/evolve-default/search_space.json";

/** The latency batch when --batch is not given: the training batch of evolve and search. */
const LATENCY_BATCH = 64;

function defaultCachePathText(): string {
  try {
    return defaultCachePath();
  } catch {
    return "~/.cache/autospace/latency.json";
  }
}

const BENCH = {
  usage: "deno task bench [flags]",
  summary: "Times every conv kernel, forward and backward, at the default supernet's and\n" +
    "MobileNetV2-224's layer shapes, the target kernels, and full training steps; the\n" +
    "latency sections time every candidate block of a search space (forward, eval mode)\n" +
    "into a cached table, and check its predictions on sampled networks. Tables go to\n" +
    "stdout, progress lines to stderr.",
  flags: {
    sections: {
      type: "string",
      default: DEFAULT_SECTIONS,
      arg: "LIST",
      help: sectionsHelp(),
    },
    batch: {
      type: "string",
      arg: "N",
      defaultText: `32 for targets and supernet, ${LATENCY_BATCH} (the training batch) for latency`,
      help: "batch of the targets and supernet sections, and of the latency table",
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
    "profile-steps": {
      type: "string",
      default: "5",
      arg: "N",
      help: "training steps profiled with a timestamp pair per dispatch; the per-kernel\n" +
        "table takes each dispatch's minimum over them",
    },
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
    "access-costs": {
      type: "string",
      arg: "FILE",
      help: "train: access costs for the step's floor, from a --json file of --sections access\n" +
        "(e.g. docs/results/access_costs.json); --sections access,train measures them instead",
    },
    "skip-timer-check": {
      type: "boolean",
      default: false,
      help: "do not compare timestamps with the wall clock at the start",
    },
    seed: {
      type: "string",
      default: "1",
      arg: "N",
      help: "seed of the training-step data and weights, and of the networks latency-check\n" +
        "samples",
    },
    space: {
      type: "string",
      arg: "S",
      defaultText:
        `baseline:compact-28 for the latency sections, ${LEARNED_SPACE} for supernet-path`,
      help: "latency and supernet-path sections: the search space (baseline:compact-28,\n" +
        "baseline:proxyless-224, a learned search_space.json, a search-space spec or config)",
    },
    pairs: {
      type: "string",
      default: "6",
      arg: "N",
      help: "supernet-path: fresh paths each timed against its own plain network (and per\n" +
        "regeneration of the evolution)",
    },
    regenerations: {
      type: "string",
      default: "3",
      arg: "N",
      help: "supernet-path: regenerations of the evolution after its first",
    },
    networks: {
      type: "string",
      default: "12",
      arg: "N",
      help: "latency-check: networks sampled from the space, each measured whole at batch 1\n" +
        "and at the latency batch",
    },
    "latency-cache": {
      type: "string",
      arg: "FILE",
      defaultText: defaultCachePathText(),
      help: "latency sections: cache of measured blocks, keyed by adapter, kernel family,\n" +
        "timer and block/shape/batch; only missing entries are measured",
    },
    refresh: {
      type: "boolean",
      default: false,
      help: "latency sections: measure every block again instead of reusing the cache",
    },
    rounds: {
      type: "string",
      default: String(DEFAULT_LATENCY_ROUNDS),
      arg: "R",
      help: "latency sections: measure every missing block (and every network) R times,\n" +
        "round after round, and pool the repetitions (one pass is at the mercy of load drift)",
    },
    statistic: {
      type: "string",
      default: DEFAULT_LATENCY_STATISTIC,
      arg: "S",
      help: "latency: median or min over the pooled repetitions (latency-check reports both)",
    },
  },
} as const;

/** Flags only the latency sections read. */
const LATENCY_FLAGS = ["latency-cache", "refresh"] as const;

/** The latency sections' options; the space is loaded here, so a bad one fails first. */
async function latencyOptions(
  values: ReturnType<typeof parseCli<typeof BENCH.flags>>["values"],
  sections: SectionName[],
  seed: number,
): Promise<LatencyBenchOptions | undefined> {
  if (!sections.includes("latency") && !sections.includes("latency-check")) {
    for (const flag of LATENCY_FLAGS) {
      if (values[flag] !== undefined && values[flag] !== false) {
        throw new Error(`--${flag} needs --sections latency or latency-check`);
      }
    }
    return undefined;
  }
  const source = values.space ?? "baseline:compact-28";
  const space = await loadSpace(source);
  const statistic = oneOf("statistic", values.statistic!, ["median", "min"] as const);
  const int = (flag: "networks" | "rounds", min: number) =>
    cliNumber(flag, values[flag], { integer: true, min });
  const batch = cliOptionalNumber("batch", values.batch, { integer: true, min: 1 }) ??
    LATENCY_BATCH;
  return {
    space,
    source,
    batch,
    checkBatches: [...new Set([1, batch])],
    networks: int("networks", 2),
    cachePath: values["latency-cache"] ?? defaultCachePath(),
    refresh: values.refresh,
    rounds: int("rounds", 1),
    seed,
    statistic,
  };
}

/** A search space, or one line saying what `source` is instead. */
async function loadSpace(source: string): Promise<SearchSpaceSpec> {
  const loaded = await loadTarget(source);
  if (loaded.kind !== "space") {
    throw new Error(`--space ${source} is a network, not a search space`);
  }
  return loaded.space;
}

/** The supernet-path section's options; `--space` is loaded here so a bad one fails first. */
async function supernetPathOptions(
  values: ReturnType<typeof parseCli<typeof BENCH.flags>>["values"],
  sections: SectionName[],
  seed: number,
): Promise<SupernetPathOptions | undefined> {
  if (!sections.includes("supernet-path")) return undefined;
  const source = values.space ?? LEARNED_SPACE;
  const int = (flag: "pairs" | "regenerations" | "reps" | "train-batch", min: number) =>
    cliNumber(flag, values[flag], { integer: true, min });
  return {
    space: await loadSpace(source),
    source,
    batch: int("train-batch", 2),
    reps: int("reps", 1),
    stepsPerRep: 2,
    pairs: int("pairs", 1),
    regenerations: int("regenerations", 0),
    seed,
  };
}

/** The access costs of a bench JSON (its `access`), or of a bare access-costs object. */
async function readAccessCosts(path: string): Promise<{ costs: AccessCosts; source: string }> {
  const json = JSON.parse(await Deno.readTextFile(path));
  const costs = json?.access ?? json;
  if (!Array.isArray(costs?.rows) || typeof costs?.emptyDispatchUs !== "number") {
    throw new Error(`--access-costs ${path}: no access costs (rows, emptyDispatchUs) in it`);
  }
  return { costs, source: path };
}

async function parseOptions(args: string[]): Promise<{ opts: BenchOptions; json?: string }> {
  const { values } = parseCli(BENCH, args);
  const timer = oneOf("timer", values.timer!, ["auto", "timestamp", "wallclock"] as const);
  const variant = values.variant === undefined
    ? undefined
    : oneOf("variant", values.variant, ["register", "tiled"] as const);
  const width = cliNumber("train-width", values["train-width"], { min: 0.01, max: 4 });
  let forceFallbackAdapter = false;
  try {
    forceFallbackAdapter = Deno.env.get("AUTOSPACE_ADAPTER") === "cpu";
  } catch { /* no env access: not forced */ }
  const int = (flag: keyof typeof values, min: number) =>
    cliNumber(flag, values[flag] as string, { integer: true, min });
  const sections = parseSections(values.sections!);
  const seed = int("seed", 0);
  const spaceSections = ["latency", "latency-check", "supernet-path"] as const;
  if (values["access-costs"] !== undefined && !sections.includes("train")) {
    throw new Error("--access-costs needs --sections train");
  }
  if (values.space !== undefined && !spaceSections.some((s) => sections.includes(s))) {
    throw new Error("--space needs --sections latency, latency-check or supernet-path");
  }
  return {
    json: values.json,
    opts: {
      sections,
      batch: cliOptionalNumber("batch", values.batch, { integer: true, min: 1 }) ?? 32,
      mbv2Batch: cliOptionalNumber("mbv2-batch", values["mbv2-batch"], { integer: true, min: 1 }),
      trainBatch: int("train-batch", 2),
      trainWidth: width,
      reps: int("reps", 5),
      warmup: int("warmup", 0),
      profileSteps: int("profile-steps", 1),
      timer,
      compare: values.compare,
      variant,
      checkTimer: !values["skip-timer-check"],
      seed,
      forceFallbackAdapter,
      accessCosts: values["access-costs"] === undefined
        ? undefined
        : await readAccessCosts(values["access-costs"]),
      latency: await latencyOptions(values, sections, seed),
      supernetPath: await supernetPathOptions(values, sections, seed),
    },
  };
}

const encoder = new TextEncoder();
await runCli("bench", async () => {
  const parsed = await parseOptions(Deno.args);
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
  } finally {
    await shutdownEngine().catch(() => undefined);
  }
});
// onnxruntime-node and tfjs (--compare) can keep handles open: leave explicitly.
Deno.exit(0);
