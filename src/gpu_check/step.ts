/**
 * What a step of the GPU check is given and what it returns. Each step writes at most
 * one file of its own into the output folder (the summary names it), so the whole
 * check comes back through a tool that returns only a few files.
 */
import { type ChildResult, type LogSink, runChild } from "./child.ts";

/** Everything a step may use. */
export interface StepContext {
  /** The repository (or unpacked bundle) root: children run there. */
  root: string;
  /** The output folder (absolute). */
  out: string;
  /** Shorter runs of the same steps (tests and CPU machines). */
  quick: boolean;
  /** Fashion-MNIST's folder for evolve; undefined: evolve's own default. */
  data?: string;
  /** The Deno binary, and the flags every child `deno run|test|eval` gets. */
  deno: string;
  denoFlags: string[];
  /** The environment the children get (added to the inherited one). */
  env: Record<string, string>;
  /** This step's time, already cut to what is left of the budget. */
  timeoutMs: number;
  log: LogSink;
  /** One line to the console. */
  print: (line: string) => void;
}

/** What a step found. */
export interface StepOutcome {
  ok: boolean;
  timedOut?: boolean;
  exitCode?: number | null;
  /** Its file in the output folder (a name relative to it). */
  file?: string;
  /** The last line it printed, or the reason it failed. */
  lastLine?: string;
  error?: string;
  /** The few numbers worth reading in the summary itself. */
  details?: Record<string, unknown>;
}

/** One step: a name, its own time limit, and the work. */
export interface CheckStep {
  name: string;
  timeoutSeconds: number;
  /** Why a quick check leaves this step out (undefined: a quick check runs it too). */
  skipWhenQuick?: string;
  run(ctx: StepContext): Promise<StepOutcome>;
}

/** A child's exit as an outcome's fields (ok still needs the step's own checks). */
export function exitFields(
  r: { code: number | null; timedOut: boolean; tail: string[] },
  timeoutMs: number,
): Pick<StepOutcome, "exitCode" | "timedOut" | "lastLine" | "error"> {
  const error = r.timedOut
    ? `timed out after ${Math.round(timeoutMs / 1000)} s`
    : r.code !== 0
    ? `exit ${r.code ?? "by signal"}: ${r.tail.at(-1) ?? "(no output)"}`
    : undefined;
  return { exitCode: r.code, timedOut: r.timedOut, lastLine: r.tail.at(-1), error };
}

/** Runs `deno run -A SCRIPT ARGS` from the root as the step's child: its result and exit. */
export async function runScriptStep(
  ctx: StepContext,
  script: string,
  args: readonly string[],
): Promise<{ r: ChildResult; exit: ReturnType<typeof exitFields> }> {
  const r = await runChild(ctx.deno, ["run", ...ctx.denoFlags, "-A", script, ...args], {
    cwd: ctx.root,
    env: ctx.env,
    timeoutMs: ctx.timeoutMs,
    log: ctx.log,
  });
  return { r, exit: exitFields(r, ctx.timeoutMs) };
}
