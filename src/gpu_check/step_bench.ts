/**
 * Step "bench": `deno task bench --sections targets,train --json bench.json` (the four
 * target kernels and a MobileNetV2-style training step, with per-kernel shares), in
 * the kernel family the adapter picks. Quick runs time the targets alone at a small
 * batch: on lavapipe the training step's first step compiles for minutes.
 */
import { runChild } from "./child.ts";
import { type CheckStep, exitFields, type StepContext, type StepOutcome } from "./step.ts";

export const BENCH_FILE = "bench.json";

/** bench's flags: the full sections, or the quick ones. */
export function benchArgs(json: string, quick: boolean): string[] {
  return quick
    ? [
      "--sections",
      "targets",
      "--batch",
      "4",
      "--warmup",
      "0",
      "--skip-timer-check",
      "--json",
      json,
    ]
    : ["--sections", "targets,train", "--json", json];
}

export const benchStep: CheckStep = {
  name: "bench",
  timeoutSeconds: 150, // targets take seconds; the training step's first step compiles ~100 pipelines
  async run(ctx: StepContext): Promise<StepOutcome> {
    const json = `${ctx.out}/${BENCH_FILE}`;
    const args = ["run", ...ctx.denoFlags, "-A", "scripts/bench.ts", ...benchArgs(json, ctx.quick)];
    const r = await runChild(ctx.deno, args, {
      cwd: ctx.root,
      env: ctx.env,
      timeoutMs: ctx.timeoutMs,
      log: ctx.log,
    });
    const exit = exitFields(r, ctx.timeoutMs);
    const report = await Deno.readTextFile(json).then(JSON.parse, () => null);
    if (report === null) {
      return { ...exit, ok: false, error: exit.error ?? `${BENCH_FILE} missing or not JSON` };
    }
    const details = {
      adapter: report.adapter?.description,
      variant: report.adapter?.variant,
      targets: (report.targets ?? []).map((t: BenchTarget) => ({
        kernel: t.target?.name,
        medianMs: t.directions?.[0]?.timing?.medianMs,
        gflops: t.directions?.[0]?.rates?.gflops,
      })),
      trainImagesPerSecond: report.train?.imagesPerSecond,
      trainStepMedianMs: report.train?.stepMedianMs,
    };
    const error = exit.error ?? (details.adapter ? undefined : `${BENCH_FILE} names no adapter`);
    return { ...exit, ok: error === undefined, error, file: BENCH_FILE, details };
  },
};

/** The part of a bench target row read here. */
interface BenchTarget {
  target?: { name?: string };
  directions?: { timing?: { medianMs?: number }; rates?: { gflops?: number } }[];
}
