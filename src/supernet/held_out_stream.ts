/**
 * Held-out batches one at a time, epoch after epoch, for the architecture steps. The
 * count of batches taken is all a checkpoint needs: a stream rebuilt with that count
 * continues with the batch an uninterrupted run would have taken next.
 */
import type { Batch } from "../data/dataset.ts";
import type { DataLoader } from "../data/loader.ts";

export class HeldOutStream {
  private iter: AsyncGenerator<Batch> | null = null;

  /** `consumed`: batches already taken (0 for a fresh run). */
  constructor(private readonly loader: DataLoader, public consumed = 0) {}

  /** The next held-out batch. */
  async next(): Promise<Batch> {
    const perEpoch = this.loader.stepsPerEpoch;
    if (!this.iter || this.consumed % perEpoch === 0) {
      this.iter = this.loader.epoch(Math.floor(this.consumed / perEpoch), this.consumed % perEpoch);
    }
    const next = await this.iter.next();
    if (next.done) throw new Error("the held-out loader ran dry mid-epoch");
    this.consumed++;
    return next.value;
  }
}
