/**
 * Loss and accuracy of many steps, summed on the GPU (`accumulateMetrics`) and read
 * back only when drained, so the steps never wait for the device.
 */
import { accumulateMetrics } from "../ops/cross_entropy.ts";
import { fillInto, upload, zeros } from "../tensor/creation.ts";
import { readAll, type Tensor } from "../tensor/tensor.ts";
import { type EvalResult, metricsFrom } from "../train/evaluate.ts";

/** An accumulator's sums in a checkpoint: the GPU's window and the host's total. */
export interface MetricsSnapshot {
  readonly gpu: number[];
  readonly host: number[];
}

export class MetricsAccumulator {
  private readonly metrics: Tensor;
  /** Host sums [Σloss, n, top-1, top-5] of everything drained since `takeTotal`. */
  private readonly sums = [0, 0, 0, 0];

  constructor(name: string) {
    this.metrics = zeros([4], { name, persistent: true });
  }

  /** Adds one batch (call inside the step's tidy scope). */
  add(loss: Tensor, logits: Tensor, labels: Tensor): void {
    accumulateMetrics(this.metrics, loss, logits, labels, Math.min(5, logits.shape[1]));
  }

  /**
   * Reads the GPU sums (one host sync), adds them to the host total and zeroes them;
   * returns the means over the drained window. Throws when the loss is not finite
   * (unless `requireFinite` is false).
   */
  async drain(requireFinite = true): Promise<EvalResult> {
    const m = await this.metrics.read();
    fillInto(this.metrics, 0);
    for (let i = 0; i < 4; i++) this.sums[i] += m[i];
    const window = metricsFrom(m);
    if (requireFinite && m[1] > 0 && !Number.isFinite(window.loss)) {
      throw new Error(`loss became ${window.loss}`);
    }
    return window;
  }

  /**
   * Drains several accumulators in one host sync; returns each one's window means.
   * (Their host totals are not touched.)
   */
  static async drainAll(accumulators: readonly MetricsAccumulator[]): Promise<EvalResult[]> {
    const values = await readAll(accumulators.map((a) => a.metrics));
    for (const a of accumulators) fillInto(a.metrics, 0);
    return values.map((m) => metricsFrom(m));
  }

  /** The means over everything drained since the last call, and a fresh total. */
  takeTotal(): EvalResult {
    const result = metricsFrom(this.sums);
    this.sums.fill(0);
    return result;
  }

  /** The host total so far (for checkpoints). */
  get total(): number[] {
    return [...this.sums];
  }

  /** Restores a host total saved from `total`. */
  set total(values: readonly number[]) {
    for (let i = 0; i < 4; i++) this.sums[i] = values[i] ?? 0;
  }

  /**
   * The sums as they stand, on the GPU and on the host, for a checkpoint: read, not
   * drained, so that when checkpoints fall does not change how the sums round.
   */
  async snapshot(): Promise<MetricsSnapshot> {
    return { gpu: Array.from(await this.metrics.read()), host: [...this.sums] };
  }

  /** Puts back the sums of `snapshot`. */
  restore(snapshot: MetricsSnapshot): void {
    upload(this.metrics, Float32Array.from(snapshot.gpu));
    this.total = snapshot.host;
  }

  dispose(): void {
    this.metrics.dispose();
  }
}
