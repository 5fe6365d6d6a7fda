/**
 * Held-out validation split: a seeded random subset of the training set, kept
 * apart so that architecture search scores candidates on data that the weights
 * never trained on. Both parts are index views of the same storage.
 */
import { Rng } from "../util/rng.ts";
import type { Dataset, LoadResult } from "./dataset.ts";
import { DatasetView } from "./dataset_view.ts";
import { mixSeeds } from "./seeds.ts";

/** Salt that keeps the split's random stream apart from the loader's. */
const SPLIT_SALT = 0x5e1f;

/** A dataset restricted to `indices` of a base dataset (no copy). */
export class SubsetDataset extends DatasetView {
  readonly length: number;

  constructor(base: Dataset, readonly indices: Int32Array, readonly part: string) {
    super(base, part);
    for (const i of indices) {
      if (!(i >= 0 && i < base.length)) {
        throw new RangeError(`${base.source}: subset index ${i} outside 0..${base.length - 1}`);
      }
    }
    this.length = indices.length;
  }

  load(
    indices: ArrayLike<number>,
    seeds: ArrayLike<number>,
    x: Float32Array,
    labels: Int32Array,
  ): Promise<LoadResult> {
    const mapped = new Int32Array(indices.length);
    for (let k = 0; k < indices.length; k++) {
      const i = indices[k];
      if (!(i >= 0 && i < this.length)) {
        throw new RangeError(`${this.source}: example index ${i} outside 0..${this.length - 1}`);
      }
      mapped[k] = this.indices[i];
    }
    return this.base.load(mapped, seeds, x, labels);
  }

  withAugment(on: boolean): SubsetDataset {
    if (on === this.augment) return this;
    return new SubsetDataset(this.base.withAugment(on), this.indices, this.part);
  }
}

/** Training and validation index sets, each sorted ascending. */
export interface SplitIndices {
  train: Int32Array;
  val: Int32Array;
}

/**
 * Splits 0..n-1 into a validation part of round(n·fraction) indices (at least 1
 * when fraction > 0) and a training part of the rest, from a seeded shuffle.
 */
export function splitIndices(n: number, fraction: number, seed: number): SplitIndices {
  if (!(fraction >= 0 && fraction < 1)) {
    throw new RangeError(`--val-split must be in [0, 1), got ${fraction}`);
  }
  let valCount = Math.round(n * fraction);
  if (fraction > 0 && valCount === 0) valCount = 1;
  if (valCount >= n && n > 0) {
    throw new RangeError(
      `--val-split ${fraction} of ${n} examples leaves no training data; use a smaller fraction`,
    );
  }
  const order = new Rng(mixSeeds(seed, SPLIT_SALT)).permutation(n);
  const val = order.slice(0, valCount).sort();
  const train = order.slice(valCount).sort();
  return { train, val };
}

/**
 * Splits `dataset` into a training view (augmentation as the dataset has it) and
 * a validation view with augmentation off; `val` is null when `fraction` is 0.
 */
export function splitTrainVal(
  dataset: Dataset,
  fraction: number,
  seed: number,
): { train: Dataset; val: Dataset | null } {
  if (fraction === 0) return { train: dataset, val: null };
  const { train, val } = splitIndices(dataset.length, fraction, seed);
  return {
    train: new SubsetDataset(dataset, train, "train split"),
    val: new SubsetDataset(dataset.withAugment(false), val, "val split"),
  };
}

/** `count` examples of `data` from a seeded permutation; all of it when count is 0 or more. */
export function seededSubset(data: Dataset, count: number, seed: number, part: string): Dataset {
  if (!(count > 0 && count < data.length)) return data;
  return new SubsetDataset(data, new Rng(seed).permutation(data.length).slice(0, count), part);
}
