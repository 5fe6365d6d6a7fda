/**
 * The supernet training loop shared by the evolution and the searches: weight steps
 * on the training split, epoch after epoch; after `warmupSteps` weight-only steps, an
 * architecture step on the next held-out batch every `archEvery` weight steps
 * (ProxylessNAS alternates them the same way); a hook after every step for logging,
 * regenerations, epoch records and checkpoints.
 *
 * The position is `state.step` (weight steps done), owned by the caller and saved in
 * its checkpoints: the loader resumes mid-epoch at exactly the batch an uninterrupted
 * run would take next. Step checkpoints (`--checkpoint-every`) and a signal's checkpoint
 * are written between steps, through the caller's `checkpoint` hook.
 */
import type { Batch } from "../data/dataset.ts";
import type { DataLoader } from "../data/loader.ts";
import {
  CheckpointClock,
  type CheckpointEvery,
  timedCheckpoint,
} from "../util/checkpoint_every.ts";
import {
  checkInterrupt,
  type InterruptSignal,
  testSignalPoint,
  watchInterrupts,
} from "../util/interrupt.ts";
import type { HeldOutStream } from "./held_out_stream.ts";

/** What the loop calls. */
export interface StepHooks {
  /** One weight step; `step` is its index (weight steps done before it). */
  weightStep(batch: Batch, step: number): void;
  /** One architecture step on a held-out batch, after weight step number `step`. */
  archStep?(batch: Batch, step: number): Promise<void>;
  /**
   * After weight step number `step` (and its architecture step, if any); returns true
   * when it wrote the checkpoint itself (an epoch's or a regeneration's).
   */
  afterStep?(step: number): Promise<boolean | void>;
  /**
   * Whether the run may be checkpointed now: false while a `fair` group's gradients wait
   * for its last step (a stop or a step checkpoint waits for the group's end).
   */
  settled?(): boolean;
  /** Writes a step checkpoint after weight step number `step`. */
  checkpoint?(step: number): Promise<void>;
}

/** The loop's schedule. */
export interface StepLoopOptions {
  readonly trainLoader: DataLoader;
  readonly totalSteps: number;
  /** Weight-only steps before the first architecture step. */
  readonly warmupSteps: number;
  /** Weight steps per architecture step; 0 = none. */
  readonly archEvery: number;
  /** Where architecture steps draw their batches (needed when archEvery > 0). */
  readonly heldOut?: HeldOutStream;
  /** Stop (as an interruption would) once this many steps are done; 0 = never. */
  readonly stopAfter: number;
  /** When `hooks.checkpoint` writes step checkpoints (absent: never). */
  readonly checkpointEvery?: CheckpointEvery;
}

/**
 * How the loop ended: at `totalSteps`, or stopped early (checkpointed) by `--stop-after`
 * (`signal` null) or by a signal.
 */
export type StepLoopEnd =
  | { readonly stopped: false }
  | { readonly stopped: true; readonly signal: InterruptSignal | null };

/**
 * Runs steps from `state.step` to `totalSteps`. After every step it polls for a signal
 * (src/util/interrupt.ts): on one, or at `stopAfter`, it writes a checkpoint (unless
 * `afterStep` just did) and returns `stopped: true`. A signal during the last step lets
 * the run end normally.
 */
export async function runStepLoop(
  state: { step: number },
  options: StepLoopOptions,
  hooks: StepHooks,
): Promise<StepLoopEnd> {
  const { trainLoader, totalSteps, warmupSteps, archEvery, stopAfter } = options;
  const perEpoch = trainLoader.stepsPerEpoch;
  if (perEpoch < 1) throw new Error(`fewer training images than one batch`);
  if (archEvery > 0 && (!options.heldOut || !hooks.archStep)) {
    throw new Error("runStepLoop: architecture steps need a held-out stream and an archStep");
  }
  const clock = hooks.checkpoint && options.checkpointEvery
    ? new CheckpointClock(options.checkpointEvery)
    : null;
  using _watch = watchInterrupts("supernet");
  while (state.step < totalSteps) {
    const epoch = Math.floor(state.step / perEpoch);
    for await (const batch of trainLoader.epoch(epoch, state.step % perEpoch)) {
      hooks.weightStep(batch, state.step);
      state.step++;
      testSignalPoint("step", state.step);
      if (archEvery > 0 && state.step > warmupSteps && state.step % archEvery === 0) {
        await hooks.archStep!(await options.heldOut!.next(), state.step);
      }
      const wrote = (await hooks.afterStep?.(state.step)) === true;
      if (wrote) clock?.saved();
      if (state.step >= totalSteps) break;
      const signal = await checkInterrupt();
      const stop = signal !== null || (stopAfter > 0 && state.step >= stopAfter);
      if (!(hooks.settled?.() ?? true)) continue;
      if (stop) {
        if (!wrote) await hooks.checkpoint?.(state.step);
        return { stopped: true, signal };
      }
      if (!wrote && clock?.due(state.step)) {
        await timedCheckpoint(clock, () => hooks.checkpoint!(state.step));
      }
    }
  }
  return { stopped: false };
}
