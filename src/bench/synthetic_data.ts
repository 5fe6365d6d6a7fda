/**
 * Random images for timing training steps: a step's cost does not depend on what the
 * pixels are, and the benchmarks then need no dataset on disk.
 */
import { ByteImageDataset } from "../data/byte_image_dataset.ts";
import type { Batch, ImageShape } from "../data/dataset.ts";
import { NO_AUGMENTATION } from "../data/small_image_augmentation.ts";
import type { SupernetData } from "../supernet/search_data.ts";
import { Rng } from "../util/rng.ts";

/** One batch of `n` images of `shape` in [−1, 1) with labels below `classes`. */
export function syntheticBatch(n: number, shape: ImageShape, classes: number, seed: number): Batch {
  const rng = new Rng(seed);
  const x = new Float32Array(n * shape[0] * shape[1] * shape[2]);
  for (let i = 0; i < x.length; i++) x[i] = rng.uniform(-1, 1);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) labels[i] = rng.int(classes);
  return { x, labels, n, epoch: 0, step: 0 };
}

/** Training and held-out splits of `images` random byte images each. */
export function syntheticSupernetData(
  images: number,
  shape: ImageShape,
  classes: number,
  seed: number,
): SupernetData {
  const rng = new Rng(seed);
  const split = (name: string) =>
    new ByteImageDataset({
      source: `synthetic-${name}`,
      pixels: Uint8Array.from({ length: images * shape[0] * shape[1] * shape[2] }, () =>
        rng.int(256)),
      labels: Uint8Array.from({ length: images }, () =>
        rng.int(classes)),
      shape,
      numClasses: classes,
      classNames: Array.from({ length: classes }, (_, i) => `class${i}`),
      normalization: { mean: new Array(shape[0]).fill(0.5), std: new Array(shape[0]).fill(0.25) },
      augmentation: NO_AUGMENTATION,
      augment: false,
    });
  return { train: split("train"), val: split("val"), shape, numClasses: classes };
}
