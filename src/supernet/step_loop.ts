/**
 * The supernet training loop shared by the evolution and the searches: weight steps
 * on the training split, epoch after epoch; after `warmupSteps` weight-only steps, an
 * architecture step on the next held-out batch every `archEvery` weight steps
 * (ProxylessNAS alternates them the same way); a hook after every step for logging,
 * regenerations, epoch records and checkpoints.
 *
 * The position is `state.step` (weight steps done), owned by the caller and saved in
 * its checkpoints: the loader resumes mid-epoch at exactly the batch an uninterrupted
 * run would take next.
 */
import type { Batch } from "../data/dataset.ts";
import type { DataLoader } from "../data/loader.ts";
import type { HeldOutStream } from "./held_out_stream.ts";

/** What the loop calls. */
export interface StepHooks {
  /** One weight step; `step` is its index (weight steps done before it). */
  weightStep(batch: Batch, step: number): void;
  /** One architecture step on a held-out batch, after weight step number `step`. */
  archStep?(batch: Batch, step: number): Promise<void>;
  /** After weight step number `step` (and its architecture step, if any). */
  afterStep?(step: number): Promise<void>;
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
}

/**
 * Runs steps from `state.step` to `totalSteps`. Returns `stopped: true` when
 * `stopAfter` cut the run short.
 */
export async function runStepLoop(
  state: { step: number },
  options: StepLoopOptions,
  hooks: StepHooks,
): Promise<{ stopped: boolean }> {
  const { trainLoader, totalSteps, warmupSteps, archEvery, stopAfter } = options;
  const perEpoch = trainLoader.stepsPerEpoch;
  if (perEpoch < 1) throw new Error(`fewer training images than one batch`);
  if (archEvery > 0 && (!options.heldOut || !hooks.archStep)) {
    throw new Error("runStepLoop: architecture steps need a held-out stream and an archStep");
  }
  while (state.step < totalSteps) {
    const epoch = Math.floor(state.step / perEpoch);
    for await (const batch of trainLoader.epoch(epoch, state.step % perEpoch)) {
      hooks.weightStep(batch, state.step);
      state.step++;
      if (archEvery > 0 && state.step > warmupSteps && state.step % archEvery === 0) {
        await hooks.archStep!(await options.heldOut!.next(), state.step);
      }
      await hooks.afterStep?.(state.step);
      if (state.step >= totalSteps) break;
      if (stopAfter > 0 && state.step >= stopAfter) return { stopped: true };
    }
  }
  return { stopped: false };
}
