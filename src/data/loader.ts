/**
 * Batches for training and evaluation. Each epoch visits the examples in a
 * permutation drawn from (seed, epoch), so a run resumed at epoch e, step s
 * sees exactly the batches it would have seen; augmentation randomness is drawn
 * from (seed, epoch, position) for the same reason, and so that prefetching
 * concurrently yields the same batches as loading one at a time.
 *
 * Unreadable examples (corrupt image files) are skipped and named. Training batches
 * keep one shape: a batch that lost examples is refilled from the examples that
 * follow it in the epoch's order, because kernels are compiled per shape and a new
 * batch size would recompile the whole network (seconds to tens of seconds).
 */
import { atomicWrite } from "../util/atomic_write.ts";
import { Rng } from "../util/rng.ts";
import type { Batch, Dataset } from "./dataset.ts";
import { exampleSize } from "./dataset.ts";
import type { DecodeStats } from "./decode_meter.ts";
import { mixSeeds } from "./seeds.ts";

/** Salt that separates augmentation seeds from shuffle seeds. */
const AUGMENT_SALT = 0xa06;
/** Salt of the augmentation seeds of refill examples (apart from their own batch's). */
const REFILL_SALT = 0x4ef;
/** Unreadable files named in the warning line; the rest are in the list file. */
const NAMED_IN_WARNING = 3;

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
  /**
   * Refill batches that lost unreadable examples from the next examples in the
   * epoch's order, so every batch has `batchSize` examples (a refill example may
   * appear twice in that epoch). Default: `dropLast` (training batches).
   */
  refill?: boolean;
  /** File that lists every unreadable example by name, rewritten when one is found. */
  unreadableListFile?: string;
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

type Settled =
  | { ok: true; batch: Batch; skipped: number; unreadable: string[] }
  | { ok: false; error: unknown };

/** Epoch-wise batch iterator over a dataset; see the module comment. */
export class DataLoader {
  readonly batchSize: number;
  readonly seed: number;
  readonly shuffle: boolean;
  readonly dropLast: boolean;
  readonly prefetch: number;
  readonly refill: boolean;
  private readonly warn: (line: string) => void;
  private readonly unreadableListFile: string | undefined;
  /** Every unreadable example met so far (by name), in the order found. */
  private readonly unreadableNames = new Set<string>();
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
    this.refill = options.refill ?? this.dropLast;
    this.warn = options.warn ?? ((line) => console.warn(line));
    this.unreadableListFile = options.unreadableListFile;
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

  /** Names of every unreadable example met so far, in the order found. */
  get unreadable(): string[] {
    return [...this.unreadableNames];
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
   * are reported in one warning line that names the first few.
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
    const unreadableThisEpoch = new Set<string>();
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
        for (const name of settled.unreadable) unreadableThisEpoch.add(name);
        if (settled.unreadable.some((name) => !this.unreadableNames.has(name))) {
          for (const name of settled.unreadable) this.unreadableNames.add(name);
          await this.writeUnreadableList();
        }
        if (settled.batch.n === 0) continue;
        stats.batches++;
        stats.examples += settled.batch.n;
        yield settled.batch;
      }
    } finally {
      if (stats.skipped > 0) this.warn(this.skippedWarning(stats.skipped, unreadableThisEpoch));
    }
  }

  /** "warning: skipped 3 unreadable images in SRC: a.jpg, b.jpg, … (all in FILE)". */
  private skippedWarning(skipped: number, names: ReadonlySet<string>): string {
    const source = this.dataset.source;
    const shown = [...names].slice(0, NAMED_IN_WARNING).map((name) =>
      name.startsWith(`${source}/`) ? name.slice(source.length + 1) : name
    );
    const more = names.size > shown.length ? `, … (${names.size} files)` : "";
    const list = this.unreadableListFile ? `; all listed in ${this.unreadableListFile}` : "";
    const named = shown.length > 0 ? `: ${shown.join(", ")}${more}${list}` : "";
    // An example met twice (in its batch and as a refill) is one unreadable file.
    const count = names.size > 0 ? names.size : skipped;
    return `warning: skipped ${count} unreadable images in ${source}${named}`;
  }

  private async writeUnreadableList(): Promise<void> {
    if (!this.unreadableListFile) return;
    await atomicWrite(this.unreadableListFile, [...this.unreadableNames].join("\n") + "\n");
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
      const first = await this.dataset.load(order.subarray(start, end), seeds, x, labels);
      let { written, skipped } = first;
      const unreadable = [...first.unreadable ?? []];
      // Refill from the examples after this batch (wrapping around), position-seeded.
      let position = end;
      let sinceProgress = 0;
      while (this.refill && written < count) {
        if (sinceProgress >= order.length) {
          throw new Error(`${this.dataset.source}: no readable examples to fill a batch`);
        }
        const want = count - written;
        const indices = new Int32Array(want);
        const refillSeeds = new Uint32Array(want);
        for (let k = 0; k < want; k++, position++) {
          const at = position % order.length;
          indices[k] = order[at];
          refillSeeds[k] = mixSeeds(this.seed, epoch, at, REFILL_SALT);
        }
        const more = await this.dataset.load(
          indices,
          refillSeeds,
          x.subarray(written * size),
          labels.subarray(written),
        );
        written += more.written;
        skipped += more.skipped;
        unreadable.push(...more.unreadable ?? []);
        sinceProgress = more.written > 0 ? 0 : sinceProgress + want;
      }
      const batch: Batch = {
        x: written === count ? x : x.subarray(0, written * size),
        labels: written === count ? labels : labels.subarray(0, written),
        n: written,
        epoch,
        step,
      };
      return { ok: true, batch, skipped, unreadable };
    } catch (error) {
      return { ok: false, error };
    }
  }
}
