/**
 * Fashion-MNIST (Zalando): 60,000 training and 10,000 test grayscale 28×28
 * images in 10 classes, as four IDX files. Debian ships them in the package
 * dataset-fashion-mnist under /usr/share/datasets/fashion-mnist.
 */
import { join } from "node:path";
import { ByteImageDataset } from "./byte_image_dataset.ts";
import { NO_AUGMENTATION, type SmallImageAugmentation } from "./small_image_augmentation.ts";
import { readIdx } from "./idx.ts";
import { FASHION_MNIST_NORMALIZATION } from "./normalization.ts";
import { runQuietly } from "../util/run_quietly.ts";

/** Where Debian's dataset-fashion-mnist package puts the files. */
export const FASHION_MNIST_DEFAULT_DIR = "/usr/share/datasets/fashion-mnist";

/** The Debian package that ships the files. */
export const FASHION_MNIST_DEBIAN_PACKAGE = "dataset-fashion-mnist";

/**
 * Crop padding when crop is asked for without one: 2, not CIFAR's 4, because
 * Fashion-MNIST's items fill the frame (mean bounding box 22×24 of 28×28; 66% of
 * the training images touch the top or bottom edge), so a 4-pixel shift would cut
 * into the item of most images.
 */
export const FASHION_MNIST_CROP_PAD = 2;

/** Class names in label order. */
export const FASHION_MNIST_CLASSES: readonly string[] = [
  "T-shirt/top",
  "Trouser",
  "Pullover",
  "Dress",
  "Coat",
  "Sandal",
  "Shirt",
  "Sneaker",
  "Bag",
  "Ankle boot",
];

const FILES = {
  train: { images: "train-images-idx3-ubyte", labels: "train-labels-idx1-ubyte" },
  test: { images: "t10k-images-idx3-ubyte", labels: "t10k-labels-idx1-ubyte" },
} as const;

/** Options for `loadFashionMnist`. */
export interface FashionMnistOptions {
  /** Augmentation used while augment is on; default none. */
  augmentation?: SmallImageAugmentation;
}

/**
 * Path of one Fashion-MNIST file in `dir`, gzipped (`NAME.gz`) or not; null when
 * neither exists.
 */
async function findFile(dir: string, name: string): Promise<string | null> {
  for (const candidate of [join(dir, `${name}.gz`), join(dir, name)]) {
    try {
      if ((await Deno.stat(candidate)).isFile) return candidate;
    } catch {
      // Try the next spelling.
    }
  }
  return null;
}

/** The Fashion-MNIST file names that are missing in `dir`. */
async function missingFiles(dir: string): Promise<string[]> {
  const names = [
    FILES.train.images,
    FILES.train.labels,
    FILES.test.images,
    FILES.test.labels,
  ];
  const missing: string[] = [];
  for (const name of names) {
    if ((await findFile(dir, name)) === null) missing.push(`${name}.gz`);
  }
  return missing;
}

/**
 * Loads one split of Fashion-MNIST from `dir` into memory. Augmentation starts
 * on for "train" (it does nothing unless `options.augmentation` asks for some).
 */
export async function loadFashionMnist(
  dir: string,
  split: "train" | "test",
  options: FashionMnistOptions = {},
): Promise<ByteImageDataset> {
  const files = FILES[split];
  const imagesPath = await findFile(dir, files.images);
  const labelsPath = await findFile(dir, files.labels);
  if (imagesPath === null || labelsPath === null) {
    const missing = imagesPath === null ? files.images : files.labels;
    throw new Error(
      `Fashion-MNIST file ${join(dir, missing)}(.gz) is missing; ` +
        `install the Debian package ${FASHION_MNIST_DEBIAN_PACKAGE} or pass --data fashion-mnist:DIR`,
    );
  }
  const images = await readIdx(imagesPath);
  const labels = await readIdx(labelsPath);
  if (images.dims.length !== 3) {
    throw new Error(
      `${imagesPath}: expected 3 dimensions [N, H, W], found [${images.dims.join(", ")}]`,
    );
  }
  if (labels.dims.length !== 1) {
    throw new Error(`${labelsPath}: expected 1 dimension [N], found [${labels.dims.join(", ")}]`);
  }
  if (labels.dims[0] !== images.dims[0]) {
    throw new Error(
      `${labelsPath}: ${labels.dims[0]} labels for ${images.dims[0]} images in ${imagesPath}`,
    );
  }
  return new ByteImageDataset({
    source: `fashion-mnist:${dir} (${split})`,
    pixels: images.data,
    labels: labels.data,
    shape: [1, images.dims[1], images.dims[2]],
    numClasses: FASHION_MNIST_CLASSES.length,
    classNames: FASHION_MNIST_CLASSES,
    normalization: FASHION_MNIST_NORMALIZATION,
    augmentation: options.augmentation ?? NO_AUGMENTATION,
    augment: split === "train",
  });
}

/** Runs a command, returning whether it exited 0; its output goes to stderr. */
async function haveAptGet(): Promise<boolean> {
  try {
    return (await Deno.stat("/usr/bin/apt-get")).isFile;
  } catch {
    return false;
  }
}

/**
 * Makes sure the four Fashion-MNIST files are in `dir`. When they are missing
 * from the default folder and this process is root with apt-get, installs
 * Debian's dataset-fashion-mnist (running `apt-get update` and retrying if the
 * first install fails). Otherwise throws one line that says what to install.
 */
export async function ensureFashionMnist(dir: string = FASHION_MNIST_DEFAULT_DIR): Promise<void> {
  let missing = await missingFiles(dir);
  if (missing.length === 0) return;
  const isDefault = dir.replace(/\/+$/, "") === FASHION_MNIST_DEFAULT_DIR;
  const canInstall = isDefault && Deno.uid() === 0 && (await haveAptGet());
  if (canInstall) {
    const install = ["install", "-y", FASHION_MNIST_DEBIAN_PACKAGE];
    console.log(`installing ${FASHION_MNIST_DEBIAN_PACKAGE} (apt-get) into ${dir}`);
    if (!(await runQuietly("apt-get", install))) {
      await runQuietly("apt-get", ["update"]);
      await runQuietly("apt-get", install);
    }
    missing = await missingFiles(dir);
    if (missing.length === 0) return;
  }
  const how = isDefault
    ? `run (as root) apt-get install ${FASHION_MNIST_DEBIAN_PACKAGE}`
    : `copy the four IDX files there, or install ${FASHION_MNIST_DEBIAN_PACKAGE} and use ` +
      `${FASHION_MNIST_DEFAULT_DIR}`;
  throw new Error(
    `Fashion-MNIST is missing ${missing.join(", ")} in ${dir}` +
      `${canInstall ? " even after apt-get install" : ""}: ${how}`,
  );
}
