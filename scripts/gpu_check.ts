/**
 * `deno task gpu-check --out DIR` — what a GPU machine does with a few lent minutes:
 * records the environment and the WebGPU adapter, runs the tiled kernels' tests, the
 * bench and a short evolve, each under its own time limit, into a few JSON files
 * (src/gpu_check/check.ts). Offline, from the GPU bundle or a checkout with the
 * carried tools: scripts/gpu_check.sh OUTDIR.
 */
import { resolve } from "node:path";
import { FASHION_MNIST_DEFAULT_DIR } from "../src/data/fashion_mnist.ts";
import {
  DEFAULT_BUDGET_SECONDS,
  notPassed,
  runGpuCheck,
  STEP_NAMES,
  SUMMARY_FILE,
} from "../src/gpu_check/check.ts";
import { cliNumber, parseCli, runCli } from "./_cli.ts";

const GPU_CHECK = {
  usage: "deno task gpu-check --out DIR [flags]",
  summary: "Records the machine (nvidia-smi, NVIDIA and Vulkan variables, ICD files) and the\n" +
    "WebGPU adapter with its limits, then runs the tiled kernels' tests against the CPU\n" +
    "references, `bench --sections targets`, `evolve --quick` and `bench --sections train`,\n" +
    "each under its own time limit; a failed step is recorded and the next still runs. Writes\n" +
    "DIR/gpu-check.json (each step's status, seconds and file) beside at most seven other\n" +
    "files; exits 1 when a step did not pass. Prints one line when a GPU is there but the adapter is a CPU one.",
  flags: {
    out: { type: "string", default: "out/gpu-check", arg: "DIR", help: "the output folder" },
    quick: {
      type: "boolean",
      default: false,
      help: "shorter steps for a CPU machine: bench times the targets at batch 4 and leaves the\n" +
        "training step out, evolve trains on 256 images",
    },
    budget: {
      type: "string",
      default: String(DEFAULT_BUDGET_SECONDS),
      arg: "S",
      help: "seconds for the whole check: each step's limit is cut to what is left",
    },
    steps: {
      type: "string",
      default: STEP_NAMES.join(","),
      arg: "LIST",
      help: "the steps to run, in their own order",
    },
    data: {
      type: "string",
      arg: "DIR",
      defaultText: `evolve's own (${FASHION_MNIST_DEFAULT_DIR})`,
      help: "Fashion-MNIST's folder for the evolve step",
    },
  },
} as const;

await runCli("gpu-check", async () => {
  const { values } = parseCli(GPU_CHECK, Deno.args);
  const steps = values.steps!.split(",").map((s) => s.trim()).filter(Boolean);
  const unknown = steps.find((s) => !STEP_NAMES.includes(s));
  if (unknown !== undefined || steps.length === 0) {
    throw new Error(`--steps takes names from ${STEP_NAMES.join(",")}, got "${values.steps}"`);
  }
  const budgetSeconds = cliNumber("budget", values.budget!, { min: 10 });
  const data = values.data && resolve(values.data);
  if (data && !(await Deno.stat(data).then((s) => s.isDirectory, () => false))) {
    throw new Error(`--data ${values.data} is not a folder`);
  }
  const out = resolve(values.out!);
  const summary = await runGpuCheck({
    root: new URL("..", import.meta.url).pathname.replace(/\/$/, ""),
    out,
    quick: values.quick,
    budgetSeconds,
    steps,
    data,
    print: (line) => console.log(line),
  });
  const failed = notPassed(summary);
  console.log(
    `gpu-check: ${failed.length ? `not passed: ${failed.join(", ")}` : "every step passed"} in ` +
      `${summary.seconds.toFixed(0)} s; ${out}/${SUMMARY_FILE}`,
  );
  if (failed.length) Deno.exit(1);
});
