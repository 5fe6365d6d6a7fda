/**
 * A dataset whose labels are replaced by random ones: example i gets class
 * mixSeeds(seed, i) mod numClasses, the same on every read, independent of its image.
 * The null model of a search (Zhang et al. 2017's randomised labels): the same supernet,
 * cost term and cells' speed of learning, but nothing in the data to choose by, so what
 * searches on it agree on is bias, not information.
 */
import type { Dataset, LoadResult } from "./dataset.ts";
import { DatasetView } from "./dataset_view.ts";
import { mixSeeds } from "./seeds.ts";

/** Salt that keeps the labels' stream apart from the other seeded streams. */
const LABEL_SALT = 0x1abe1;

export class RandomLabelsDataset extends DatasetView {
  readonly length: number;

  constructor(base: Dataset, readonly seed: number) {
    super(base, "random labels");
    this.length = base.length;
  }

  /** The random class of example `index`. */
  labelOf(index: number): number {
    return mixSeeds(LABEL_SALT, this.seed, index) % this.numClasses;
  }

  async load(
    indices: ArrayLike<number>,
    seeds: ArrayLike<number>,
    x: Float32Array,
    labels: Int32Array,
  ): Promise<LoadResult> {
    const result = await this.base.load(indices, seeds, x, labels);
    if (result.written !== indices.length) {
      // Packed output no longer says which example each label belongs to.
      throw new Error(
        `${this.source}: ${result.skipped} unreadable example(s); random labels need every ` +
          `example readable`,
      );
    }
    for (let k = 0; k < indices.length; k++) labels[k] = this.labelOf(indices[k]);
    return result;
  }

  withAugment(on: boolean): RandomLabelsDataset {
    if (on === this.augment) return this;
    return new RandomLabelsDataset(this.base.withAugment(on), this.seed);
  }
}
