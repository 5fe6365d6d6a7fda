/**
 * The evolution's progress bar: steps done, images per second, and the loss and top-1
 * of the latest window of weight steps. Draining the training metrics is the run's one
 * host sync per `--log-every` weight steps.
 */
import { Progress } from "../util/progress.ts";
import { evolveCheckpointPath } from "./checkpoint.ts";
import type { EvolutionRun } from "./run_state.ts";

export class TrainingProgress {
  private readonly bar: Progress;
  private lastTrain = { loss: NaN, top1: NaN };

  constructor(private readonly run: EvolutionRun) {
    this.bar = new Progress({
      label: "evolve",
      total: run.schedule.totalSteps,
      unitsPerStep: run.cfg.batchSize,
      unitName: "img",
      resumedAt: run.position.step,
    });
  }

  /**
   * Waits for the training metrics of the steps so far and keeps the latest window's;
   * a non-finite loss fails with the step and the checkpoint to resume from.
   */
  async drainTrain(): Promise<void> {
    let window;
    try {
      window = await this.run.trainMetrics.drain();
    } catch (err) {
      throw new Error(
        `evolve: ${(err as Error).message} by step ${this.run.position.step}; ` +
          `last checkpoint: ${evolveCheckpointPath(this.run.cfg.out)}`,
      );
    }
    if (window.examples > 0) this.lastTrain = { loss: window.loss, top1: window.top1 };
  }

  /** The bar after weight step `step`. */
  update(step: number): void {
    this.bar.update(step, {
      loss: this.lastTrain.loss,
      acc: this.lastTrain.top1,
      regen: String(this.run.regeneration), // a count: "regen 5", not formatNumber's "5.000"
    });
  }

  /** The bar's last line, at the run's final step. */
  finish(): void {
    this.bar.update(
      this.run.position.step,
      { loss: this.lastTrain.loss, acc: this.lastTrain.top1 },
      true,
    );
  }
}
