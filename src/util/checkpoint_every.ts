/**
 * `--checkpoint-every DURATION|STEPS`: how often a long run writes a step checkpoint, for
 * what no signal handler catches (kill -9, a node that dies). A plain number counts steps
 * ("200"), a number with a unit is wall time ("90s", "5m", "1h"), and "0" leaves only the
 * checkpoints a run writes anyway (each epoch's or regeneration's end, and on a signal).
 *
 * Wall time is the default because a step's length varies a thousandfold between a CPU
 * adapter and a GPU server. A timed checkpoint waits at least `COST_FACTOR` times as long
 * as the previous one took to write, so that checkpoints never take more than about 5% of
 * the run whatever their size.
 *
 * When checkpoints fall changes nothing in the run: writing one reads the state, it does
 * not drain, flush or reorder anything, so a run resumed from any of them ends
 * bit-identical to an uninterrupted one.
 */

/** Steps, or seconds of wall time, between step checkpoints; `{ steps: 0 }`: none. */
export type CheckpointEvery = { readonly steps: number } | { readonly seconds: number };

/** The default: about a minute of wall time. */
export const DEFAULT_CHECKPOINT_EVERY = "1m";

/** A timed checkpoint waits at least this many times the previous one's writing time. */
export const COST_FACTOR = 20;

const UNIT_SECONDS: Readonly<Record<string, number>> = { s: 1, m: 60, min: 60, h: 3600 };

/** Reads `--checkpoint-every` (`flag` names it in the one-line error). */
export function parseCheckpointEvery(text: string, flag = "checkpoint-every"): CheckpointEvery {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { steps: Number(t) };
  const m = /^(\d+(?:\.\d+)?|\.\d+)\s*(s|m|min|h)$/.exec(t);
  if (m && Number(m[1]) > 0) return { seconds: Number(m[1]) * UNIT_SECONDS[m[2]] };
  throw new Error(
    `--${flag} must be a number of steps (200; 0: at epoch ends only) or a duration ` +
      `(90s, 5m, 1h), got "${text}"`,
  );
}

/** "200 steps", "1m", "60s", "epoch ends only". */
export function formatCheckpointEvery(every: CheckpointEvery): string {
  if ("steps" in every) return every.steps === 0 ? "epoch ends only" : `${every.steps} steps`;
  const s = every.seconds;
  return s % 3600 === 0 ? `${s / 3600}h` : s % 60 === 0 ? `${s / 60}m` : `${s}s`;
}

/** When the next step checkpoint is due. */
export class CheckpointClock {
  private last: number;
  private cost = 0;

  constructor(
    readonly every: CheckpointEvery,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.last = now();
  }

  /** Whether a checkpoint is due after step `step` (steps done). */
  due(step: number): boolean {
    if ("steps" in this.every) return this.every.steps > 0 && step % this.every.steps === 0;
    const waited = (this.now() - this.last) / 1000;
    return waited >= Math.max(this.every.seconds, COST_FACTOR * this.cost);
  }

  /** A checkpoint was written; it took `seconds` (absent: the run's own, not timed). */
  saved(seconds?: number): void {
    if (seconds !== undefined) this.cost = seconds;
    this.last = this.now();
  }
}

/** Runs `write` (a checkpoint) and tells `clock` when it ended and what it cost. */
export async function timedCheckpoint(
  clock: CheckpointClock | null,
  write: () => Promise<void>,
): Promise<void> {
  const t0 = performance.now();
  await write();
  clock?.saved((performance.now() - t0) / 1000);
}
