import type { DecodeMeter } from "./decode_meter.ts";

/**
 * The common shape of every data source: a fixed list of labelled images, each
 * read as a normalised CHW float32 array. Loaders, splits and the training loop
 * see only this interface, so Fashion-MNIST, CIFAR-10 and image folders are
 * interchangeable.
 */

/** Image shape as [channels, height, width]. */
export type ImageShape = readonly [number, number, number];

/** One batch in NCHW order: `x` holds `n` images, `labels` their classes. */
export interface Batch {
  /** `n * C * H * W` normalised pixels, NCHW. */
  x: Float32Array;
  /** `n` class indices in `0..numClasses-1`. */
  labels: Int32Array;
  /**
   * Number of examples; below the batch size only for a last partial batch, or for
   * skipped images where the loader does not refill batches (see `LoaderOptions`).
   */
  n: number;
  /** Epoch this batch belongs to. */
  epoch: number;
  /** Step (batch index) within the epoch. */
  step: number;
}

/** What `Dataset.load` did: how many examples it wrote and how many it had to skip. */
export interface LoadResult {
  /** Examples written, packed from the start of `x` and `labels`. */
  written: number;
  /** Examples that could not be read (corrupt or unreadable files). */
  skipped: number;
  /** Names (file paths) of the skipped examples, where the source has them. */
  unreadable?: string[];
}

/** One example: a normalised CHW image and its label. */
export interface Example {
  x: Float32Array;
  label: number;
}

/** A labelled image collection with random access. */
export interface Dataset {
  /** Human-readable origin, used in messages (e.g. "cifar10:/data/cifar/train"). */
  readonly source: string;
  /** Number of examples. */
  readonly length: number;
  /** Number of classes; labels are `0..numClasses-1`. */
  readonly numClasses: number;
  /** Shape of one example, [C, H, W]. */
  readonly shape: ImageShape;
  /** Class names in label order, where the source has them. */
  readonly classNames: readonly string[];
  /** Whether training-time augmentation is applied. */
  readonly augment: boolean;
  /** Decode throughput counters, for sources that decode image files. */
  readonly decodeMeter?: DecodeMeter;

  /**
   * Reads examples `indices` into `x` (NCHW) and `labels`, packed from the start:
   * unreadable examples are skipped, not written. `seeds[k]` drives the random
   * augmentation of example k, so the result depends only on the arguments and a
   * prefetching loader reproduces a sequential one exactly.
   */
  load(
    indices: ArrayLike<number>,
    seeds: ArrayLike<number>,
    x: Float32Array,
    labels: Int32Array,
  ): Promise<LoadResult>;

  /** The same data with augmentation switched on or off (shares the storage). */
  withAugment(on: boolean): Dataset;
}

/** Number of floats in one example of `shape`. */
export function exampleSize(shape: ImageShape): number {
  return shape[0] * shape[1] * shape[2];
}

/**
 * Reads one example; null when it is unreadable. `seed` drives augmentation.
 */
export async function getExample(
  dataset: Dataset,
  index: number,
  seed = 0,
): Promise<Example | null> {
  const x = new Float32Array(exampleSize(dataset.shape));
  const labels = new Int32Array(1);
  const result = await dataset.load([index], [seed], x, labels);
  return result.written === 1 ? { x, label: labels[0] } : null;
}
