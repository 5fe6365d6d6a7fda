/**
 * Per-channel mean and standard deviation for each dataset, on pixels scaled to
 * [0, 1]; an input pixel p becomes (p / 255 - mean) / std.
 */

/** Mean and std per channel. */
export interface Normalization {
  readonly mean: readonly number[];
  readonly std: readonly number[];
}

/** Fashion-MNIST training-set statistics (one channel). */
export const FASHION_MNIST_NORMALIZATION: Normalization = { mean: [0.2860], std: [0.3530] };

/** CIFAR-10 training-set statistics (R, G, B). */
export const CIFAR10_NORMALIZATION: Normalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.2470, 0.2435, 0.2616],
};

/** ImageNet statistics (R, G, B), the values every ImageNet model uses. */
export const IMAGENET_NORMALIZATION: Normalization = {
  mean: [0.485, 0.456, 0.406],
  std: [0.229, 0.224, 0.225],
};

/**
 * Lookup tables from byte value to normalised float, one 256-entry table per
 * channel, so that normalising a byte image is one table read per pixel.
 */
export function byteLookupTables(norm: Normalization): Float32Array[] {
  if (norm.mean.length !== norm.std.length) {
    throw new Error(
      `normalization has ${norm.mean.length} means but ${norm.std.length} stds: give one per channel`,
    );
  }
  return norm.mean.map((mean, c) => {
    const table = new Float32Array(256);
    for (let v = 0; v < 256; v++) table[v] = (v / 255 - mean) / norm.std[c];
    return table;
  });
}
