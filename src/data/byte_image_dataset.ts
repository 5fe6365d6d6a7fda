/**
 * An in-memory dataset of 8-bit images stored CHW (Fashion-MNIST, CIFAR-10).
 * Assembling a batch is a table-lookup copy; optional augmentation is the usual
 * small-image recipe: random crop after zero padding, and horizontal flip.
 */
import { Rng } from "../util/rng.ts";
import type { Dataset, ImageShape, LoadResult } from "./dataset.ts";
import { exampleSize } from "./dataset.ts";
import { byteLookupTables, type Normalization } from "./normalization.ts";

/** Augmentation for small images; applied only while `augment` is on. */
export interface SmallImageAugmentation {
  /** Zero-padding on each side before a random crop back to H×W; 0 disables the crop. */
  padCrop: number;
  /** Random horizontal flip with probability 1/2. */
  flip: boolean;
}

/** No augmentation. */
export const NO_AUGMENTATION: SmallImageAugmentation = { padCrop: 0, flip: false };

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
    const { padCrop, flip } = this.augmentation;
    const augmenting = this.augment && (padCrop > 0 || flip);
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
        const rng = new Rng(seeds[k]);
        const dy = padCrop > 0 ? rng.int(2 * padCrop + 1) - padCrop : 0;
        const dx = padCrop > 0 ? rng.int(2 * padCrop + 1) - padCrop : 0;
        const mirrored = flip && rng.next() < 0.5;
        this.copyShifted(src, out, dy, dx, mirrored);
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

  /** Output pixel (y, x) reads source (y + dy, x' + dx), x' mirrored if asked; outside is zero. */
  private copyShifted(
    src: Uint8Array,
    out: Float32Array,
    dy: number,
    dx: number,
    mirrored: boolean,
  ): void {
    const [channels, height, width] = this.shape;
    for (let c = 0; c < channels; c++) {
      const table = this.tables[c];
      const padValue = table[0];
      const base = c * height * width;
      for (let y = 0; y < height; y++) {
        const sy = y + dy;
        const row = base + y * width;
        if (sy < 0 || sy >= height) {
          out.fill(padValue, row, row + width);
          continue;
        }
        const srcRow = base + sy * width;
        for (let xo = 0; xo < width; xo++) {
          const sx = (mirrored ? width - 1 - xo : xo) + dx;
          out[row + xo] = sx >= 0 && sx < width ? table[src[srcRow + sx]] : padValue;
        }
      }
    }
  }
}
