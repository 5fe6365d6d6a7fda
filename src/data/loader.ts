/**
 * Batches for training and evaluation. Each epoch visits the examples in a
 * permutation drawn from (seed, epoch), so a run resumed at epoch e, step s
 * sees exactly the batches it would have seen; augmentation randomness is drawn
 * from (seed, epoch, position) for the same reason, and so that prefetching
 * concurrently yields the same batches as loading one at a time.
 */
import { Rng } from "../util/rng.ts";
import type { Batch, Dataset } from "./dataset.ts";
import { exampleSize } from "./dataset.ts";
import type { DecodeStats } from "./decode_meter.ts";
import { mixSeeds } from "./seeds.ts";

/** Salt that separates augmentation seeds from shuffle seeds. */
const AUGMENT_SALT = 0xa06;

/** Options for `DataLoader`. */
export interface LoaderOptions {
  /** Examples per batch. */
  batchSize: number;
  /** Seed of the per-epoch shuffles and of augmentation. */
  seed: number;
  /** Shuffle each epoch; default true (false keeps dataset order, for evaluation). */
  shuffle?: boolean;
  /** Drop a last batch smaller than batchSize; default false. */
  dropLast?: boolean;
  /** Batches assembled ahead of the one being consumed; default 2, 0 loads on demand. */
  prefetch?: number;
  /** Receives the once-per-epoch warning about skipped images; default console.warn. */
  warn?: (line: string) => void;
}

/** Counters of the epoch in progress or last finished. */
export interface EpochStats {
  epoch: number;
  /** Batches yielded. */
  batches: number;
  /** Examples yielded. */
  examples: number;
  /** Unreadable examples skipped. */
  skipped: number;
  /** Seconds the consumer waited for a batch that was not ready yet. */
  waitSeconds: number;
}

type Settled = { ok: true; batch: Batch; skipped: number } | { ok: false; error: unknown };

/** Epoch-wise batch iterator over a dataset; see the module comment. */
export class DataLoader {
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly prefetch: number;
  private readonly warn: (line: string) => void;
  private cachedOrder: { epoch: number; order: Int32Array } | null = null;
  private current: EpochStats = { epoch: -1, batches: 0, examples: 0, skipped: 0, waitSeconds: 0 };

  constructor(readonly dataset: Dataset, options: LoaderOptions) {
    const { batchSize, prefetch = 2 } = options;
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
      throw new RangeError(`batch size must be a positive integer, got ${batchSize}`);
    }
    if (!(Number.isInteger(prefetch) && prefetch >= 0)) {
      throw new RangeError(`prefetch must be a non-negative integer, got ${prefetch}`);
    }
    if (dataset.length === 0) throw new Error(`dataset ${dataset.source} has no examples`);
    this.batchSize = batchSize;
    this.seed = options.seed;
    this.shuffle = options.shuffle ?? true;
    this.dropLast = options.dropLast ?? false;
    this.prefetch = prefetch;
    this.warn = options.warn ?? ((line) => console.warn(line));
    if (this.dropLast && dataset.length < batchSize) {
      throw new RangeError(
        `batch size ${batchSize} exceeds the ${dataset.length} examples of ${dataset.source} ` +
          `with dropLast; use a smaller batch`,
      );
    }
  }

  /** Batches per epoch. */
  get stepsPerEpoch(): number {
    const n = this.dataset.length;
    return this.dropLast ? Math.floor(n / this.batchSize) : Math.ceil(n / this.batchSize);
  }

  /** Counters of the epoch in progress or last finished. */
  get stats(): EpochStats {
    return { ...this.current };
  }

  /** Decode throughput of the underlying image files; null for in-memory data. */
  decodeStats(): DecodeStats | null {
    return this.dataset.decodeMeter?.stats() ?? null;
  }

  /** The order in which epoch `epoch` visits the examples. */
  order(epoch: number): Int32Array {
    if (this.cachedOrder?.epoch === epoch) return this.cachedOrder.order;
    const n = this.dataset.length;
    let order: Int32Array;
    if (this.shuffle) {
      order = new Rng(mixSeeds(this.seed, epoch)).permutation(n);
    } else {
      order = new Int32Array(n);
      for (let i = 0; i < n; i++) order[i] = i;
    }
    this.cachedOrder = { epoch, order };
    return order;
  }

  /**
   * Yields the batches of epoch `epoch` from step `startStep` on, with up to
   * `prefetch` later batches being assembled meanwhile. A batch whose examples
   * were all unreadable is not yielded. At the end of the epoch, skipped images
   * are reported in one warning line.
   */
  async *epoch(epoch: number, startStep = 0): AsyncGenerator<Batch> {
    const steps = this.stepsPerEpoch;
    if (!(Number.isInteger(startStep) && startStep >= 0 && startStep <= steps)) {
      throw new RangeError(`start step ${startStep} outside 0..${steps} for this epoch`);
    }
    const order = this.order(epoch);
    const stats: EpochStats = { epoch, batches: 0, examples: 0, skipped: 0, waitSeconds: 0 };
    this.current = stats;
    const pending: Promise<Settled>[] = [];
    let next = startStep;
    try {
      for (let step = startStep; step < steps; step++) {
        if (pending.length === 0) pending.push(this.assemble(order, epoch, next++));
        const ready = pending.shift()!;
        while (pending.length < this.prefetch && next < steps) {
          pending.push(this.assemble(order, epoch, next++));
        }
        const waitStart = performance.now();
        const settled = await ready;
        stats.waitSeconds += (performance.now() - waitStart) / 1000;
        if (!settled.ok) throw settled.error;
        stats.skipped += settled.skipped;
        if (settled.batch.n === 0) continue;
        stats.batches++;
        stats.examples += settled.batch.n;
        yield settled.batch;
      }
    } finally {
      if (stats.skipped > 0) {
        this.warn(`warning: skipped ${stats.skipped} unreadable images in ${this.dataset.source}`);
      }
    }
  }

  /** Assembles batch `step` of the epoch; never rejects (errors are returned). */
  private async assemble(order: Int32Array, epoch: number, step: number): Promise<Settled> {
    try {
      const start = step * this.batchSize;
      const end = Math.min(start + this.batchSize, order.length);
      const count = end - start;
      const size = exampleSize(this.dataset.shape);
      const seeds = new Uint32Array(count);
      for (let k = 0; k < count; k++) {
        seeds[k] = mixSeeds(this.seed, epoch, start + k, AUGMENT_SALT);
      }
      const x = new Float32Array(count * size);
      const labels = new Int32Array(count);
      const { written, skipped } = await this.dataset.load(
        order.subarray(start, end),
        seeds,
        x,
        labels,
      );
      const batch: Batch = {
        x: written === count ? x : x.subarray(0, written * size),
        labels: written === count ? labels : labels.subarray(0, written),
        n: written,
        epoch,
        step,
      };
      return { ok: true, batch, skipped };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
