/**
 * The `deno task bench` command line: its flags, each declared once with the field of
 * `BenchRequest` it sets (the `--help` text and its defaults come from them), and
 * `parseBenchArgs`, which checks which flags go together and reads no file (spaces and
 * access-cost files are read by the script, after this).
 */
import type { KernelVariant } from "../gpu/device.ts";
import { defaultCachePath } from "../latency/cache.ts";
import {
  DEFAULT_LATENCY_ROUNDS,
  DEFAULT_LATENCY_STATISTIC,
  type LatencyStatistic,
} from "../latency/table.ts";
import * as cli from "../util/cli_command.ts";
import { DEFAULT_SECTIONS, parseSections, type SectionName, sectionsHelp } from "./sections.ts";

/** The supernet-path section's default space: the evolution's learned space kept in docs. */
export const SUPERNET_PATH_SPACE = "docs/runs/evolve-default/search_space.json";
/** The latency sections' default space. */
export const LATENCY_SPACE = "baseline:compact-28";
/** The targets and supernet sections' batch when --batch is not given. */
export const KERNEL_BATCH = 32;
/** The latency batch when --batch is not given: the training batch of evolve and search. */
export const LATENCY_BATCH = 64;

/** What `deno task bench` was asked (null: the default its help describes). */
export interface BenchRequest {
  readonly sections: readonly SectionName[];
  /** Targets and supernet sections, and the latency table; null: KERNEL_BATCH, LATENCY_BATCH. */
  readonly batch: number | null;
  /** null: `batch`, halved until every MobileNetV2-224 layer fits the binding limit. */
  readonly mbv2Batch: number | null;
  readonly trainBatch: number;
  readonly trainWidth: number;
  /** The training section's network instead of MobileNetV2 at `trainWidth`; null: that. */
  readonly trainArch: string | null;
  readonly reps: number;
  readonly warmup: number;
  readonly profileSteps: number;
  readonly timer: "auto" | "timestamp" | "wallclock";
  /** null: by adapter. */
  readonly variant: KernelVariant | null;
  readonly compare: boolean;
  readonly json: string | null;
  readonly accessCosts: string | null;
  readonly skipTimerCheck: boolean;
  readonly seed: number;
  /** null: LATENCY_SPACE for the latency sections, SUPERNET_PATH_SPACE for supernet-path. */
  readonly space: string | null;
  readonly pairs: number;
  readonly regenerations: number;
  readonly networks: number;
  /** null: the user cache (defaultCachePath). */
  readonly latencyCache: string | null;
  readonly refresh: boolean;
  readonly rounds: number;
  readonly statistic: LatencyStatistic;
}

/** The request without flags. */
export const DEFAULT_BENCH: BenchRequest = {
  sections: parseSections(DEFAULT_SECTIONS),
  batch: null,
  mbv2Batch: null,
  trainBatch: 64,
  trainWidth: 0.5, // 12.9M MAdds, the closest to the PyTorch yardstick's 12.2M
  trainArch: null,
  reps: 5,
  warmup: 1,
  profileSteps: 5,
  timer: "auto",
  variant: null,
  compare: false,
  json: null,
  accessCosts: null,
  skipTimerCheck: false,
  seed: 1,
  space: null,
  pairs: 6,
  regenerations: 3,
  networks: 12,
  latencyCache: null,
  refresh: false,
  rounds: DEFAULT_LATENCY_ROUNDS,
  statistic: DEFAULT_LATENCY_STATISTIC,
};

function cachePathText(): string {
  try {
    return defaultCachePath();
  } catch {
    return "~/.cache/autospace/latency.json";
  }
}

const { COUNT, POSITIVE } = cli;
const num = cli.numberFlag<BenchRequest>;
const choice = cli.choiceFlag<BenchRequest>;
const text = cli.textFlag<BenchRequest>;
const optional = cli.optionalFlag<BenchRequest>;
const toggle = cli.switchFlag<BenchRequest>;

/** The flags of `deno task bench`. */
export const BENCH_COMMAND: cli.ConfigCommand<BenchRequest> = {
  usage: "deno task bench [flags]",
  summary: "Times every conv kernel, forward and backward, at the default supernet's and\n" +
    "MobileNetV2-224's layer shapes, the target kernels, and full training steps; the\n" +
    "latency sections time every candidate block of a search space (forward, eval mode)\n" +
    "into a cached table, and check its predictions on sampled networks. Tables go to\n" +
    "stdout, progress lines to stderr.",
  flags: {
    sections: {
      key: "sections",
      arg: "LIST",
      help: sectionsHelp(),
      read: (text) => parseSections(text),
    },
    batch: optional(
      num(
        "batch",
        "N",
        POSITIVE,
        "batch of the targets and supernet sections, and of the latency table",
      ),
      `${KERNEL_BATCH} for targets and supernet, ${LATENCY_BATCH} (the training batch) for latency`,
    ),
    "mbv2-batch": optional(
      num("mbv2Batch", "N", POSITIVE, "MobileNetV2-224 batch"),
      "--batch, halved until every layer fits the adapter's storage-binding limit; 16 on lavapipe",
    ),
    "train-batch": num("trainBatch", "N", { integer: true, min: 2 }, "training-step batch"),
    "train-width": num(
      "trainWidth",
      "W",
      { min: 0.01, max: 4 },
      "MobileNetV2 width of the training network (0.5: 12.9M MAdds, the closest to the\n" +
        "PyTorch reference's 12.2M; 1.0 is mobilenetv2-28)",
    ),
    "train-arch": optional(
      text(
        "trainArch",
        "NET",
        "train section: the network to time instead of MobileNetV2 (a network.json, a\n" +
          "net.config or a built-in such as mobilenetv2-28); the floor table is for\n" +
          "networks of inverted-residual blocks only",
      ),
      "MobileNetV2 at --train-width",
    ),
    reps: num("reps", "N", { integer: true, min: 5 }, "timed repetitions, ≥ 5"),
    warmup: num("warmup", "N", COUNT, "warm-up repetitions"),
    "profile-steps": num(
      "profileSteps",
      "N",
      POSITIVE,
      "training steps (forward: passes) profiled with a timestamp pair per dispatch;\n" +
        "the per-kernel table takes each dispatch's minimum over them",
    ),
    timer: choice(
      "timer",
      ["auto", "timestamp", "wallclock"],
      "auto (timestamps where the adapter has them), timestamp or wallclock",
      "METHOD",
    ),
    variant: optional(
      choice(
        "variant",
        ["register", "tiled"],
        "force the kernel family: register (CPU adapters) or tiled (GPUs)",
        "V",
      ),
      "by adapter",
    ),
    compare: toggle(
      "compare",
      "also time the forward convs with tfjs-backend-webgpu (same adapter) and\n" +
        "onnxruntime-node (CPU), and print ours ÷ theirs",
    ),
    json: optional(text("json", "FILE", "write everything measured as JSON"), "none"),
    "access-costs": optional(
      text(
        "accessCosts",
        "FILE",
        "train: access costs for the step's floor, from a --json file of --sections access\n" +
          "(e.g. docs/results/access_costs.json); --sections access,train measures them instead",
      ),
      "none",
    ),
    "skip-timer-check": toggle(
      "skipTimerCheck",
      "do not compare timestamps with the wall clock at the start",
    ),
    seed: num(
      "seed",
      "N",
      COUNT,
      "seed of the training-step data and weights, and of the networks latency-check\n" +
        "samples",
    ),
    space: optional(
      text(
        "space",
        "S",
        "latency, supernet-path and forward sections: the search space (baseline:compact-28,\n" +
          "baseline:proxyless-224, a learned search_space.json, a search-space spec or config)",
      ),
      `${LATENCY_SPACE} for the latency sections, ${SUPERNET_PATH_SPACE} for the others`,
    ),
    pairs: num(
      "pairs",
      "N",
      POSITIVE,
      "supernet-path: fresh paths each timed against its own plain network (and per\n" +
        "regeneration of the evolution)",
    ),
    regenerations: num(
      "regenerations",
      "N",
      COUNT,
      "supernet-path: regenerations of the evolution after its first",
    ),
    networks: num(
      "networks",
      "N",
      { integer: true, min: 2 },
      "latency-check: networks sampled from the space, each measured whole at batch 1\n" +
        "and at the latency batch",
    ),
    "latency-cache": optional(
      text(
        "latencyCache",
        "FILE",
        "latency sections: cache of measured blocks, keyed by adapter, kernel family,\n" +
          "timer and block/shape/batch; only missing entries are measured",
      ),
      cachePathText(),
    ),
    refresh: toggle(
      "refresh",
      "latency sections: measure every block again instead of reusing the cache",
    ),
    rounds: num(
      "rounds",
      "R",
      POSITIVE,
      "latency sections: measure every missing block (and every network) R times,\n" +
        "round after round, and pool the repetitions (one pass is at the mercy of load drift)",
    ),
    statistic: choice(
      "statistic",
      ["median", "min"],
      "latency: median or min over the pooled repetitions (latency-check reports both)",
      "S",
    ),
  },
};

/** `deno task bench --help`. */
export const BENCH_USAGE: string = cli.configHelp(BENCH_COMMAND, DEFAULT_BENCH);

/** Flags only the latency sections read. */
const LATENCY_FLAGS = ["latency-cache", "refresh"] as const;
/** Sections that read --space. */
const SPACE_SECTIONS = ["latency", "latency-check", "supernet-path", "forward"] as const;

/** Reads `deno task bench` arguments; throws one line naming what is wrong. */
export function parseBenchArgs(args: readonly string[]): BenchRequest {
  const { config: request, given } = cli.parseConfigLine(BENCH_COMMAND, args, DEFAULT_BENCH);
  const has = (section: SectionName) => request.sections.includes(section);
  if (!has("latency") && !has("latency-check")) {
    for (const flag of LATENCY_FLAGS) {
      if (given[flag] !== undefined && given[flag] !== false) {
        throw new Error(`--${flag} needs --sections latency or latency-check`);
      }
    }
  }
  if (request.accessCosts !== null && !has("train")) {
    throw new Error("--access-costs needs --sections train");
  }
  if (request.trainArch !== null && !has("train")) {
    throw new Error("--train-arch needs --sections train");
  }
  if (request.trainArch !== null && given["train-width"] !== undefined) {
    throw new Error("--train-arch and --train-width are two networks; give one");
  }
  if (request.space !== null && !SPACE_SECTIONS.some(has)) {
    throw new Error(
      "--space needs --sections latency, latency-check, supernet-path or forward",
    );
  }
  return request;
}
