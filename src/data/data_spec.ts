/**
 * The `--data` flag: "fashion-mnist[:DIR]", "cifar10:DIR" or "imagenet:DIR",
 * opened into training, held-out validation and test datasets.
 */
import { join } from "node:path";
import {
  type AugmentationDefaults,
  type AugmentationRequest,
  describeAugmentation,
  NO_AUGMENTATION,
  resolveAugmentation,
  type SmallImageAugmentation,
} from "./small_image_augmentation.ts";
import { CIFAR10_DEFAULT_AUGMENTATION, loadCifar10 } from "./cifar10.ts";
import type { Dataset, ImageShape } from "./dataset.ts";
import {
  ensureFashionMnist,
  FASHION_MNIST_CROP_PAD,
  FASHION_MNIST_DEFAULT_DIR,
  loadFashionMnist,
} from "./fashion_mnist.ts";
import { openImageFolder } from "./image_folder.ts";
import { splitTrainVal } from "./split.ts";

/** Dataset kinds that `--data` accepts. */
export const DATA_KINDS = ["fashion-mnist", "cifar10", "imagenet"] as const;
/** One of `DATA_KINDS`. */
export type DataKind = typeof DATA_KINDS[number];

/** Every command's `--data` default: the project's CPU dataset (installed by `deno task setup`). */
export const DEFAULT_DATA = "fashion-mnist";

/** A parsed `--data` value. */
export interface DataSpec {
  kind: DataKind;
  dir: string;
}

/** Fraction of the training set held out for validation unless told otherwise. */
export const DEFAULT_VAL_SPLIT = 0.1;

/**
 * Parses "KIND[:DIR]". Only fashion-mnist has a default folder
 * (/usr/share/datasets/fashion-mnist); the others need one.
 */
export function parseDataSpec(text: string): DataSpec {
  const colon = text.indexOf(":");
  const kindText = (colon < 0 ? text : text.slice(0, colon)).trim().toLowerCase();
  const dir = colon < 0 ? "" : text.slice(colon + 1);
  if (!(DATA_KINDS as readonly string[]).includes(kindText)) {
    throw new Error(
      `--data ${JSON.stringify(text)}: unknown dataset "${kindText}"; ` +
        `use fashion-mnist[:DIR], cifar10:DIR or imagenet:DIR`,
    );
  }
  const kind = kindText as DataKind;
  if (colon >= 0 && dir === "") {
    throw new Error(`--data ${JSON.stringify(text)}: empty folder after ":"; give ${kind}:DIR`);
  }
  if (dir === "") {
    if (kind === "fashion-mnist") return { kind, dir: FASHION_MNIST_DEFAULT_DIR };
    throw new Error(`--data ${kind} needs a folder: --data ${kind}:DIR`);
  }
  return { kind, dir };
}

/**
 * Training augmentation of the small-image kinds when `--augment` is not given
 * (none on Fashion-MNIST, pad-crop 4 and flip on CIFAR-10), and
 * the crop padding used when crop is asked for.
 */
export const AUGMENTATION_DEFAULTS: Readonly<
  Record<Exclude<DataKind, "imagenet">, AugmentationDefaults>
> = {
  "fashion-mnist": { augmentation: NO_AUGMENTATION, cropPad: FASHION_MNIST_CROP_PAD },
  cifar10: {
    augmentation: CIFAR10_DEFAULT_AUGMENTATION,
    cropPad: CIFAR10_DEFAULT_AUGMENTATION.padCrop,
  },
};

/**
 * The `openData` options that the `--augment`, `--crop-pad` and `--erase-prob`
 * flags ask for on a dataset kind. Image folders (imagenet) keep their own
 * random-resized-crop and flip; there only "none" (switch it off) is accepted.
 */
export function augmentationOptions(
  kind: DataKind,
  request: AugmentationRequest,
): Pick<OpenDataOptions, "augment" | "augmentation"> {
  if (kind !== "imagenet") {
    return { augmentation: resolveAugmentation(AUGMENTATION_DEFAULTS[kind], request) };
  }
  const tuned = request.cropPad !== undefined || request.eraseProb !== undefined;
  if (request.names === undefined && !tuned) return {};
  if (request.names?.trim().toLowerCase() === "none" && !tuned) return { augment: false };
  throw new Error(
    `--augment, --crop-pad and --erase-prob apply to fashion-mnist and cifar10; image folders ` +
      `train with random-resized-crop and flip (only --augment none changes that)`,
  );
}

/** The training augmentation that `augmentationOptions` gave, for logs. */
export function describeTrainingAugmentation(
  kind: DataKind,
  options: Pick<OpenDataOptions, "augment" | "augmentation">,
): string {
  if (options.augment === false) return "none";
  if (kind === "imagenet") return "random-resized-crop, flip";
  return describeAugmentation(options.augmentation ?? AUGMENTATION_DEFAULTS[kind].augmentation);
}

/** Options for `openData`. */
export interface OpenDataOptions {
  /** Held-out fraction of the training set; default `DEFAULT_VAL_SPLIT`; 0 for none. */
  valSplit?: number;
  /** Seed of the validation split. */
  seed?: number;
  /** Training augmentation on (default) or off. */
  augment?: boolean;
  /** Augmentation for fashion-mnist and cifar10 (default `AUGMENTATION_DEFAULTS`). */
  augmentation?: SmallImageAugmentation;
  /** imagenet: output side length, default 224. */
  imageSize?: number;
  /** imagenet: most decodes in flight at once. */
  concurrency?: number;
  /** Receives one line per image folder with files that are not images; default console.warn. */
  warn?: (line: string) => void;
}

/** Datasets opened from one `--data` value. */
export interface OpenedData {
  spec: DataSpec;
  /** Training examples (augmented unless `augment: false`), without the held-out part. */
  train: Dataset;
  /** Held-out part of the training set, not augmented; null when valSplit is 0. */
  val: Dataset | null;
  /** The separate test set (imagenet: the val folder), not augmented. */
  test: Dataset;
  numClasses: number;
  shape: ImageShape;
  classNames: readonly string[];
}

/** Opens the datasets named by a `--data` value (a string or parsed spec). */
export async function openData(
  spec: string | DataSpec,
  options: OpenDataOptions = {},
): Promise<OpenedData> {
  const parsed = typeof spec === "string" ? parseDataSpec(spec) : spec;
  const { dir } = parsed;
  const small = { augmentation: options.augmentation };
  let fullTrain: Dataset;
  let test: Dataset;
  switch (parsed.kind) {
    case "fashion-mnist":
      await ensureFashionMnist(dir); // installs Debian's package where it can, else says how
      fullTrain = await loadFashionMnist(dir, "train", small);
      test = await loadFashionMnist(dir, "test", small);
      break;
    case "cifar10":
      fullTrain = await loadCifar10(dir, "train", small);
      test = await loadCifar10(dir, "test", small);
      break;
    case "imagenet": {
      const folder = { size: options.imageSize, concurrency: options.concurrency };
      const trainFolder = await openImageFolder(join(dir, "train"), true, folder);
      const valFolder = await openImageFolder(
        join(dir, "val"),
        false,
        folder,
        trainFolder.classNames,
      );
      const warn = options.warn ?? ((line: string) => console.warn(line));
      for (const opened of [trainFolder, valFolder]) {
        const ignored = opened.ignoredFiles;
        if (ignored.length === 0) continue;
        const examples = ignored.slice(0, 3).map((f) => f.slice(opened.source.length + 1));
        warn(
          `note: ignored ${ignored.length} file${ignored.length === 1 ? "" : "s"} in ` +
            `${opened.source} that are not images ` +
            `(${examples.join(", ")}${ignored.length > 3 ? ", …" : ""})`,
        );
      }
      fullTrain = trainFolder;
      test = valFolder;
      break;
    }
  }
  if (options.augment === false) fullTrain = fullTrain.withAugment(false);
  const { train, val } = splitTrainVal(
    fullTrain,
    options.valSplit ?? DEFAULT_VAL_SPLIT,
    options.seed ?? 0,
  );
  return {
    spec: parsed,
    train,
    val,
    test: test.withAugment(false),
    numClasses: fullTrain.numClasses,
    shape: fullTrain.shape,
    classNames: fullTrain.classNames,
  };
}
