/**
 * CIFAR-10, binary version: files data_batch_1.bin … data_batch_5.bin and
 * test_batch.bin, each a run of 3073-byte records (one label byte, then the
 * 32×32 red, green and blue planes, row-major), so images are already CHW.
 */
import { join } from "node:path";
import { ByteImageDataset } from "./byte_image_dataset.ts";
import type { SmallImageAugmentation } from "./small_image_augmentation.ts";
import { CIFAR10_NORMALIZATION } from "./normalization.ts";

/** Bytes per image: 3 channels of 32×32. */
const IMAGE_BYTES = 3 * 32 * 32;
/** Bytes per record: label + image. */
const RECORD_BYTES = 1 + IMAGE_BYTES;

/** Class names in label order (also in batches.meta.txt). */
export const CIFAR10_CLASSES: readonly string[] = [
  "airplane",
  "automobile",
  "bird",
  "cat",
  "deer",
  "dog",
  "frog",
  "horse",
  "ship",
  "truck",
];

/** The usual CIFAR augmentation: 4-pixel padding with random crop, and flips. */
export const CIFAR10_DEFAULT_AUGMENTATION: SmallImageAugmentation = {
  padCrop: 4,
  flip: true,
  eraseProb: 0,
};

/** Options for `loadCifar10`. */
export interface Cifar10Options {
  /** Augmentation used while augment is on; default `CIFAR10_DEFAULT_AUGMENTATION`. */
  augmentation?: SmallImageAugmentation;
}

async function isDirectory(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isDirectory;
  } catch {
    return false;
  }
}

/** The folder holding the .bin files: `dir` itself or its cifar-10-batches-bin. */
async function batchFolder(dir: string): Promise<string> {
  if (!(await isDirectory(dir))) {
    throw new Error(`CIFAR-10 folder ${dir} does not exist; pass --data cifar10:DIR`);
  }
  const nested = join(dir, "cifar-10-batches-bin");
  return (await isDirectory(nested)) ? nested : dir;
}

/** Names of the batch files of one split in `folder`, in order. */
async function batchFiles(folder: string, split: "train" | "test"): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(folder)) {
    if (!entry.isFile) continue;
    const isTrain = /^data_batch_\d+\.bin$/.test(entry.name);
    if ((split === "train" && isTrain) || (split === "test" && entry.name === "test_batch.bin")) {
      names.push(entry.name);
    }
  }
  const number = (name: string) => Number(name.match(/\d+/)?.[0] ?? 0);
  names.sort((a, b) => number(a) - number(b));
  if (names.length === 0) {
    const expected = split === "train" ? "data_batch_1.bin … data_batch_5.bin" : "test_batch.bin";
    throw new Error(
      `CIFAR-10 folder ${folder} has no ${expected}; ` +
        `it needs the binary version (cifar-10-binary.tar.gz), unpacked`,
    );
  }
  return names.map((name) => join(folder, name));
}

/** Reads class names from batches.meta.txt when present and well-formed. */
async function classNames(folder: string): Promise<readonly string[]> {
  try {
    const text = await Deno.readTextFile(join(folder, "batches.meta.txt"));
    const names = text.split("\n").map((s) => s.trim()).filter((s) => s.length > 0);
    if (names.length === CIFAR10_CLASSES.length) return names;
  } catch {
    // Optional file.
  }
  return CIFAR10_CLASSES;
}

/**
 * Loads one split of CIFAR-10 from `dir` (or `dir/cifar-10-batches-bin`) into
 * memory. Augmentation starts on for "train".
 */
export async function loadCifar10(
  dir: string,
  split: "train" | "test",
  options: Cifar10Options = {},
): Promise<ByteImageDataset> {
  const folder = await batchFolder(dir);
  const files = await batchFiles(folder, split);
  const contents: Uint8Array[] = [];
  for (const file of files) {
    const bytes = await Deno.readFile(file);
    if (bytes.length === 0 || bytes.length % RECORD_BYTES !== 0) {
      throw new Error(
        `${file}: ${bytes.length} bytes is not a whole number of ${RECORD_BYTES}-byte ` +
          `CIFAR-10 records; the file is truncated or not the binary version`,
      );
    }
    contents.push(bytes);
  }
  const count = contents.reduce((sum, bytes) => sum + bytes.length / RECORD_BYTES, 0);
  const pixels = new Uint8Array(count * IMAGE_BYTES);
  const labels = new Uint8Array(count);
  let n = 0;
  for (let f = 0; f < contents.length; f++) {
    const bytes = contents[f];
    for (let r = 0; r < bytes.length; r += RECORD_BYTES, n++) {
      const label = bytes[r];
      if (label >= CIFAR10_CLASSES.length) {
        throw new Error(
          `${files[f]}: record ${r / RECORD_BYTES} has label ${label}, not 0..9; ` +
            `the file is corrupt or not CIFAR-10 (CIFAR-100 has two label bytes)`,
        );
      }
      labels[n] = label;
      pixels.set(bytes.subarray(r + 1, r + RECORD_BYTES), n * IMAGE_BYTES);
    }
  }
  return new ByteImageDataset({
    source: `cifar10:${folder} (${split})`,
    pixels,
    labels,
    shape: [3, 32, 32],
    numClasses: CIFAR10_CLASSES.length,
    classNames: await classNames(folder),
    normalization: CIFAR10_NORMALIZATION,
    augmentation: options.augmentation ?? CIFAR10_DEFAULT_AUGMENTATION,
    augment: split === "train",
  });
}
