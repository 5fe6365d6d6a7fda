/**
 * How long the rest of a plan will take, from the stages this process has run: each
 * stage kind (a search of one algorithm and arm, a draw, a training, an evolution) costs what its
 * kind cost on average here. Resumed stages ran only part of their work and are not
 * counted; kinds not run yet are reported as such rather than guessed.
 */
import { formatDuration } from "../util/progress.ts";
import type { ExperimentRun } from "./plans.ts";

/**
 * A stage kind: "search (proxyless-rl-all, learned)" (a search by the run's algorithm and
 * arm: one `--algo` costs very differently by estimator and space), "draw", "train",
 * "evolve".
 */
export function stageKind(run: ExperimentRun, stage: string): string {
  if (stage !== "search" || run.kind !== "search-train") return stage;
  return `search (${run.algo}, ${run.arm})`;
}

/** What the rest is estimated to take. */
export interface PlanEstimate {
  /** Seconds of the stages whose kind has been timed. */
  seconds: number;
  /** Stages left whose kind has not been timed yet, by kind. */
  untimed: Record<string, number>;
}

/** Seconds per stage kind, from whole stages run in this process. */
export class StageClock {
  readonly #sums = new Map<string, { seconds: number; count: number }>();

  /** A stage of `kind` that ran from its start took `seconds`. */
  record(kind: string, seconds: number): void {
    const s = this.#sums.get(kind) ?? { seconds: 0, count: 0 };
    this.#sums.set(kind, { seconds: s.seconds + seconds, count: s.count + 1 });
  }

  /** The mean seconds of `kind`, or undefined before one has run. */
  mean(kind: string): number | undefined {
    const s = this.#sums.get(kind);
    return s ? s.seconds / s.count : undefined;
  }

  /** The estimate for the stage kinds still to run (one entry a stage). */
  estimate(left: readonly string[]): PlanEstimate {
    let seconds = 0;
    const untimed: Record<string, number> = {};
    for (const kind of left) {
      const mean = this.mean(kind);
      if (mean === undefined) untimed[kind] = (untimed[kind] ?? 0) + 1;
      else seconds += mean;
    }
    return { seconds, untimed };
  }
}

/** "about 31h20m left", with the stages not timed yet: "(+ 8 draw, not timed yet)". */
export function estimateText(e: PlanEstimate): string {
  const untimed = Object.entries(e.untimed).map(([kind, n]) => `${n} ${kind}`);
  if (e.seconds === 0 && untimed.length > 0) {
    return `time left unknown until a stage of each kind has run (${untimed.join(", ")} to run)`;
  }
  const rest = untimed.length ? ` (+ ${untimed.join(", ")}, not timed yet)` : "";
  return `about ${formatDuration(e.seconds)} left at this process's pace${rest}`;
}
