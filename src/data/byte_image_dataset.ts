/**
 * An in-memory dataset of 8-bit images stored CHW (Fashion-MNIST, CIFAR-10).
 * Assembling a batch is a table-lookup copy; optional augmentation is the usual
 * small-image recipe (small_image_augmentation.ts): random crop after zero
 * padding, horizontal flip, random erasing.
 */
import { Rng } from "../util/rng.ts";
import type { Dataset, ImageShape, LoadResult } from "./dataset.ts";
import { exampleSize } from "./dataset.ts";
import { byteLookupTables, type Normalization } from "./normalization.ts";
import {
  augmentInto,
  augments,
  drawAugmentation,
  type SmallImageAugmentation,
} from "./small_image_augmentation.ts";

/** Construction options for `ByteImageDataset`. */
export interface ByteImageDatasetInit {
  source: string;
  /** N·C·H·W bytes, each image CHW. */
  pixels: Uint8Array;
  /** N labels. */
  labels: Uint8Array;
  shape: ImageShape;
  numClasses: number;
  classNames: readonly string[];
  normalization: Normalization;
  augmentation: SmallImageAugmentation;
  /** Whether augmentation is on. */
  augment: boolean;
}

/** In-memory 8-bit image dataset; see the module comment. */
export class ByteImageDataset implements Dataset {
  readonly source: string;
  readonly length: number;
  readonly numClasses: number;
  readonly shape: ImageShape;
  readonly classNames: readonly string[];
  readonly augment: boolean;
  readonly augmentation: SmallImageAugmentation;
  private readonly init: ByteImageDatasetInit;
  private readonly tables: Float32Array[];

  constructor(init: ByteImageDatasetInit) {
    const size = exampleSize(init.shape);
    if (init.pixels.length !== init.labels.length * size) {
      throw new Error(
        `${init.source}: ${init.pixels.length} pixel bytes do not hold ${init.labels.length} ` +
          `images of shape [${init.shape.join(", ")}]`,
      );
    }
    if (init.normalization.mean.length !== init.shape[0]) {
      throw new Error(
        `${init.source}: normalization has ${init.normalization.mean.length} channels, ` +
          `images have ${init.shape[0]}`,
      );
    }
    const side = Math.min(init.shape[1], init.shape[2]);
    if (init.augmentation.padCrop >= side) {
      throw new Error(
        `${init.source}: crop padding ${init.augmentation.padCrop} must be below the image ` +
          `side ${side}; lower --crop-pad`,
      );
    }
    for (let i = 0; i < init.labels.length; i++) {
      if (init.labels[i] >= init.numClasses) {
        throw new Error(
          `${init.source}: label ${init.labels[i]} of example ${i} is not below ` +
            `${init.numClasses} classes; the label data is corrupt`,
        );
      }
    }
    this.init = init;
    this.source = init.source;
    this.length = init.labels.length;
    this.numClasses = init.numClasses;
    this.shape = init.shape;
    this.classNames = init.classNames;
    this.augment = init.augment;
    this.augmentation = init.augmentation;
    this.tables = byteLookupTables(init.normalization);
  }

  /** Raw label of example `i` (no copy of the image). */
  labelOf(i: number): number {
    return this.init.labels[i];
  }

  withAugment(on: boolean): ByteImageDataset {
    if (on === this.augment) return this;
    const copy = Object.create(ByteImageDataset.prototype) as ByteImageDataset;
    // Share pixels and tables; only the flag differs.
    Object.assign(copy, this, { augment: on });
    return copy;
  }

  load(
    indices: ArrayLike<number>,
    seeds: ArrayLike<number>,
    x: Float32Array,
    labels: Int32Array,
  ): Promise<LoadResult> {
    const size = exampleSize(this.shape);
    const { pixels, labels: allLabels } = this.init;
    const augmenting = this.augment && augments(this.augmentation);
    const [, height, width] = this.shape;
    for (let k = 0; k < indices.length; k++) {
      const index = indices[k];
      if (!(index >= 0 && index < this.length)) {
        throw new RangeError(
          `${this.source}: example index ${index} outside 0..${this.length - 1}`,
        );
      }
      const src = pixels.subarray(index * size, (index + 1) * size);
      const out = x.subarray(k * size, (k + 1) * size);
      if (augmenting) {
        const draw = drawAugmentation(this.augmentation, height, width, new Rng(seeds[k]));
        augmentInto(src, out, this.shape, this.tables, draw);
      } else {
        this.copyPlain(src, out);
      }
      labels[k] = allLabels[index];
    }
    return Promise.resolve({ written: indices.length, skipped: 0 });
  }

  private copyPlain(src: Uint8Array, out: Float32Array): void {
    const plane = this.shape[1] * this.shape[2];
    for (let c = 0; c < this.shape[0]; c++) {
      const table = this.tables[c];
      const base = c * plane;
      for (let j = 0; j < plane; j++) out[base + j] = table[src[base + j]];
    }
  }
}
