/**
 * The GPU check: a few minutes of a lent GPU machine turned into one folder of JSON.
 * The steps run one after another, each under its own time limit cut to what is left
 * of the budget; a step that fails or hangs is recorded and the next one still runs.
 * The summary (gpu-check.json) is rewritten after every step, so even a check killed
 * from outside leaves what it had.
 *
 *   OUT/gpu-check.json     each step's status, seconds, file and a few numbers
 *   OUT/gpu-check.log      everything the steps printed
 *   OUT/environment.json   nvidia-smi, variables, Vulkan ICDs, the adapter and its limits
 *   OUT/kernel-tests.json  the tiled kernels against the CPU references, test by test
 *   OUT/bench-targets.json deno task bench --sections targets
 *   OUT/evolve.json        evolve --quick: wall time, final lines, metrics
 *   OUT/evolve.tar.gz      evolve's own folder
 *   OUT/bench-train.json   deno task bench --sections train (last: the longest to compile)
 */
import { defaultBackend } from "../gpu/backend.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { readList } from "../util/cli_command.ts";
import { LogSink } from "./child.ts";
import type { CheckStep, StepContext, StepOutcome } from "./step.ts";
import { benchTargetsStep, benchTrainStep } from "./step_bench.ts";
import { environmentStep } from "./step_environment.ts";
import { evolveStep } from "./step_evolve.ts";
import { kernelTestsStep } from "./step_kernel_tests.ts";

export const SUMMARY_FILE = "gpu-check.json";
export const LOG_FILE = "gpu-check.log";

/** The steps, in the order they run: the cheap, telling ones first. */
export const CHECK_STEPS: readonly CheckStep[] = [
  environmentStep,
  kernelTestsStep,
  benchTargetsStep,
  evolveStep,
  benchTrainStep,
];

/** The whole check's time: 8 minutes of a lease, less half a minute to unpack. */
export const DEFAULT_BUDGET_SECONDS = 450;

/** A step is not started with less than this left: it could not finish anything. */
const MIN_STEP_SECONDS = 10;

export interface CheckOptions {
  root: string;
  out: string;
  quick: boolean;
  budgetSeconds: number;
  /** Names of the steps to run (all when empty). */
  steps: readonly string[];
  data?: string;
  print: (line: string) => void;
}

/** One step as the summary records it. */
export interface StepRecord extends Omit<StepOutcome, "ok"> {
  name: string;
  status: "passed" | "failed" | "timed-out" | "skipped";
  /** Skipped because a quick check leaves the step out (not a failure). */
  quickSkip?: boolean;
  seconds: number;
  timeoutSeconds: number;
}

/** gpu-check.json. */
export interface CheckSummary {
  format: "autospace.gpu-check/v1";
  date: string;
  ok: boolean;
  quick: boolean;
  budgetSeconds: number;
  seconds: number;
  /** The one line for a GPU that WebGPU does not reach, or null. */
  verdict: string | null;
  adapter: unknown;
  root: string;
  log: string;
  steps: StepRecord[];
}

/** The names a `--steps` list may use. */
export const STEP_NAMES = CHECK_STEPS.map((s) => s.name);

/** Step names from a comma list; one line naming the known ones otherwise. */
export function parseStepList(text: string, flag: string): string[] {
  const steps = readList(text);
  const unknown = steps.find((s) => !STEP_NAMES.includes(s));
  if (unknown !== undefined || steps.length === 0) {
    throw new Error(`--${flag} takes names from ${STEP_NAMES.join(",")}, got "${text}"`);
  }
  return steps;
}

/** Runs the check; returns its summary (already written to OUT/gpu-check.json). */
export async function runGpuCheck(options: CheckOptions): Promise<CheckSummary> {
  const started = performance.now();
  await Deno.mkdir(options.out, { recursive: true });
  const log = await LogSink.open(`${options.out}/${LOG_FILE}`);
  const summary: CheckSummary = {
    format: "autospace.gpu-check/v1",
    date: new Date().toISOString(),
    ok: false,
    quick: options.quick,
    budgetSeconds: options.budgetSeconds,
    seconds: 0,
    verdict: null,
    adapter: null,
    root: options.root,
    log: LOG_FILE,
    steps: [],
  };
  const write = () =>
    atomicWrite(`${options.out}/${SUMMARY_FILE}`, JSON.stringify(summary, null, 2) + "\n");
  const chosen = CHECK_STEPS.filter((s) =>
    options.steps.length === 0 || options.steps.includes(s.name)
  );
  try {
    for (const step of chosen) {
      const left = options.budgetSeconds - (performance.now() - started) / 1000;
      const timeoutSeconds = Math.max(0, Math.min(step.timeoutSeconds, Math.floor(left)));
      const record = options.quick && step.skipWhenQuick
        ? skipped(step, timeoutSeconds, `left out of a quick check: ${step.skipWhenQuick}`)
        : timeoutSeconds < MIN_STEP_SECONDS
        ? skipped(step, timeoutSeconds, `the check's budget is spent (${timeoutSeconds} s left)`)
        : await runStep(step, contextFor(options, log, timeoutSeconds));
      summary.steps.push(record);
      if (step.name === "environment") {
        summary.verdict = (record.details?.verdict as string | null | undefined) ?? null;
        summary.adapter = record.details?.adapter ?? null;
      }
      options.print(describe(record));
      summary.seconds = (performance.now() - started) / 1000;
      await write();
    }
  } finally {
    await log.close();
  }
  summary.ok = summary.steps.length > 0 && notPassed(summary).length === 0;
  summary.seconds = (performance.now() - started) / 1000;
  await write();
  return summary;
}

/**
 * The steps that fail the check: all but the passed ones and those a quick check leaves
 * out by design (a step the budget cut does fail it).
 */
export function notPassed(summary: CheckSummary): string[] {
  return summary.steps
    .filter((r) => !(r.status === "passed" || (r.status === "skipped" && r.quickSkip === true)))
    .map((r) => r.name);
}

function contextFor(options: CheckOptions, log: LogSink, timeoutSeconds: number): StepContext {
  return {
    root: options.root,
    out: options.out,
    quick: options.quick,
    data: options.data,
    deno: Deno.execPath(),
    denoFlags: offlineFlags(options.root),
    env: childEnv(),
    timeoutMs: timeoutSeconds * 1000,
    log,
    print: options.print,
  };
}

/** Runs one step; an exception is a failed step, not the end of the check. */
async function runStep(step: CheckStep, ctx: StepContext): Promise<StepRecord> {
  const t0 = performance.now();
  await ctx.log.write(`\n===== ${step.name} (${ctx.timeoutMs / 1000} s at most) =====\n`);
  let outcome: StepOutcome;
  try {
    outcome = await step.run(ctx);
  } catch (e) {
    outcome = { ok: false, error: (e as Error).message.split("\n")[0] };
  }
  const { ok, ...rest } = outcome;
  return {
    name: step.name,
    status: ok ? "passed" : outcome.timedOut ? "timed-out" : "failed",
    seconds: (performance.now() - t0) / 1000,
    timeoutSeconds: ctx.timeoutMs / 1000,
    ...rest,
  };
}

function skipped(step: CheckStep, left: number, why: string): StepRecord {
  return {
    name: step.name,
    status: "skipped",
    seconds: 0,
    timeoutSeconds: left,
    error: why,
    ...(why.startsWith("left out of a quick check") ? { quickSkip: true } : {}),
  };
}

/** One console line per step. */
export function describe(r: StepRecord): string {
  const what = r.status === "passed" ? r.lastLine ?? "" : r.error ?? "";
  return `gpu-check: ${r.name} ${r.status} in ${r.seconds.toFixed(1)} s${what ? `: ${what}` : ""}`;
}

/**
 * The children's environment, as every task would set it: the Vulkan backend on Linux
 * (never wgpu's slow GL fallback unless asked), a runtime dir for the headless loader,
 * plain output for the log.
 */
export function childEnv(): Record<string, string> {
  const env: Record<string, string> = {
    XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") || "/tmp",
    NO_COLOR: "1",
    DENO_NO_UPDATE_CHECK: "1",
  };
  const backend = defaultBackend(Deno.build.os, Deno.env.get("DENO_WEBGPU_BACKEND"));
  if (backend !== undefined) env.DENO_WEBGPU_BACKEND = backend;
  return env;
}

/**
 * `--cached-only` when the npm packages are installed already (the bundle, a carried
 * node_modules, a checkout after any task): offline machines then never wait on the
 * registry.
 */
function offlineFlags(root: string): string[] {
  try {
    return Deno.statSync(`${root}/node_modules/.deno`).isDirectory ? ["--cached-only"] : [];
  } catch {
    return [];
  }
}
