/**
 * Steps "bench-targets" and "bench-train": `deno task bench --sections targets` (the four
 * target kernels) and `--sections train` (a MobileNetV2-style training step with
 * per-kernel shares), each with its own JSON and time limit, so that a training step
 * that compiles for longer than expected cannot take the targets' numbers with it. The
 * quick check (tests, CPU machines) times the targets alone at a small batch and skips
 * the training step: on lavapipe its first step compiles for minutes.
 */
import { type CheckStep, runScriptStep, type StepContext, type StepOutcome } from "./step.ts";

export const BENCH_TARGETS_FILE = "bench-targets.json";
export const BENCH_TRAIN_FILE = "bench-train.json";

/** bench-targets' flags, full or quick. */
export function benchTargetsArgs(json: string, quick: boolean): string[] {
  const small = ["--batch", "4", "--warmup", "0", "--skip-timer-check"];
  return ["--sections", "targets", ...(quick ? small : []), "--json", json];
}

/** Runs bench with `args` and reads its JSON; `summarise` picks the numbers worth a look. */
function benchStep(
  name: string,
  file: string,
  timeoutSeconds: number,
  args: (json: string, quick: boolean) => string[],
  summarise: (report: BenchReport) => Record<string, unknown>,
  skipWhenQuick?: string,
): CheckStep {
  return {
    name,
    timeoutSeconds,
    skipWhenQuick,
    async run(ctx: StepContext): Promise<StepOutcome> {
      const json = `${ctx.out}/${file}`;
      const { exit } = await runScriptStep(ctx, "scripts/bench.ts", args(json, ctx.quick));
      const report = await Deno.readTextFile(json).then(JSON.parse, () => null);
      if (report === null) {
        return { ...exit, ok: false, error: exit.error ?? `${file} missing or not JSON` };
      }
      const details = {
        adapter: report.adapter?.description,
        variant: report.adapter?.variant,
        ...summarise(report),
      };
      const error = exit.error ?? (details.adapter ? undefined : `${file} names no adapter`);
      return { ...exit, ok: error === undefined, error, file, details };
    },
  };
}

export const benchTargetsStep = benchStep(
  "bench-targets",
  BENCH_TARGETS_FILE,
  90, // seconds on any adapter
  benchTargetsArgs,
  (report) => ({
    targets: (report.targets ?? []).map((t) => ({
      kernel: t.target?.name,
      medianMs: t.directions?.[0]?.timing?.medianMs,
      gflops: t.directions?.[0]?.rates?.gflops,
    })),
  }),
);

export const benchTrainStep = benchStep(
  "bench-train",
  BENCH_TRAIN_FILE,
  180, // the first step compiles ~100 pipelines: minutes on lavapipe, seconds on a GPU
  (json) => ["--sections", "train", "--json", json],
  (report) => ({
    trainImagesPerSecond: report.train?.imagesPerSecond,
    trainStepMedianMs: report.train?.stepMedianMs,
  }),
  "the training step's first step compiles for minutes on a CPU adapter",
);

/** The part of bench's JSON read here. */
interface BenchReport {
  adapter?: { description?: string; variant?: string };
  targets?: BenchTarget[];
  train?: { imagesPerSecond?: number; stepMedianMs?: number };
}

/** The part of a bench target row read here. */
interface BenchTarget {
  target?: { name?: string };
  directions?: { timing?: { medianMs?: number }; rates?: { gflops?: number } }[];
}
