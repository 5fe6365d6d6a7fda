/**
 * The `deno task gpu-check` command line: its flags, each declared once with the field
 * it sets (the `--help` text and its defaults come from them), and `parseGpuCheckArgs`,
 * which reads no file.
 */
import { FASHION_MNIST_DEFAULT_DIR } from "../data/fashion_mnist.ts";
import {
  type ConfigCommand,
  configHelp,
  numberFlag,
  optionalFlag,
  parseConfigLine,
  switchFlag,
  textFlag,
} from "../util/cli_command.ts";
import { DEFAULT_BUDGET_SECONDS, parseStepList, STEP_NAMES } from "./check.ts";

/** What `deno task gpu-check` was asked. */
export interface GpuCheckRequest {
  readonly out: string;
  /** Shorter steps for a CPU machine. */
  readonly quick: boolean;
  readonly budgetSeconds: number;
  /** The steps to run, by name (they run in their own order). */
  readonly steps: readonly string[];
  /** Fashion-MNIST's folder for the evolve step; undefined: evolve's own. */
  readonly data: string | undefined;
}

/** The request of `deno task gpu-check` without flags. */
export const DEFAULT_GPU_CHECK: GpuCheckRequest = {
  out: "out/gpu-check",
  quick: false,
  budgetSeconds: DEFAULT_BUDGET_SECONDS,
  steps: STEP_NAMES,
  data: undefined,
};

/** The flags of `deno task gpu-check`. */
export const GPU_CHECK_COMMAND: ConfigCommand<GpuCheckRequest> = {
  usage: "deno task gpu-check --out DIR [flags]",
  summary: "Records the machine (nvidia-smi, NVIDIA and Vulkan variables, ICD files) and the\n" +
    "WebGPU adapter with its limits, then runs the tiled kernels' tests against the CPU\n" +
    "references, `bench --sections targets`, `evolve --quick` and `bench --sections train`,\n" +
    "each under its own time limit; a failed step is recorded and the next still runs. Writes\n" +
    "DIR/gpu-check.json (each step's status, seconds and file) beside at most seven other\n" +
    "files; exits 1 when a step did not pass. Prints one line when a GPU is there but the adapter is a CPU one.",
  flags: {
    out: textFlag("out", "DIR", "the output folder"),
    quick: switchFlag(
      "quick",
      "shorter steps for a CPU machine: bench times the targets at batch 4 and leaves the\n" +
        "training step out, evolve trains on 256 images",
    ),
    budget: numberFlag(
      "budgetSeconds",
      "S",
      { min: 10 },
      "seconds for the whole check: each step's limit is cut to what is left",
    ),
    steps: {
      key: "steps",
      arg: "LIST",
      help: "the steps to run, in their own order",
      read: parseStepList,
    },
    data: optionalFlag(
      textFlag("data", "DIR", "Fashion-MNIST's folder for the evolve step"),
      `evolve's own (${FASHION_MNIST_DEFAULT_DIR})`,
    ),
  },
};

/** `deno task gpu-check --help`. */
export const GPU_CHECK_USAGE: string = configHelp(GPU_CHECK_COMMAND, DEFAULT_GPU_CHECK);

/** Reads `deno task gpu-check` flags; throws one line naming the bad flag. */
export function parseGpuCheckArgs(args: readonly string[]): GpuCheckRequest {
  return parseConfigLine(GPU_CHECK_COMMAND, args, DEFAULT_GPU_CHECK).config;
}
