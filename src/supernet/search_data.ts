/**
 * The two splits a supernet search runs on: training images for the weight steps and
 * a held-out part of the training set for the architecture steps and for scoring
 * candidates (ProxylessNAS and SPOS hold out part of the training set so that the
 * test set plays no part in the search). Either may be cut to a seeded subset.
 */
import { openData } from "../data/data_spec.ts";
import type { Dataset, ImageShape } from "../data/dataset.ts";
import { RandomLabelsDataset } from "../data/random_labels.ts";
import { seededSubset } from "../data/split.ts";
import { DataLoader } from "../data/loader.ts";
import { HeldOutStream } from "./held_out_stream.ts";

/** Which data and how much of it. */
export interface SupernetDataOptions {
  /** `--data` (see src/data/data_spec.ts). */
  readonly data: string;
  /** Fraction of the training set held out. */
  readonly valSplit: number;
  readonly seed: number;
  /** Training images used (a seeded subset); 0 = all. */
  readonly trainImages: number;
  /** Held-out images used; 0 = all of the split. */
  readonly valImages: number;
  /** Names the subsets in messages ("evolve" → "evolve-train", "evolve-val"). */
  readonly label: string;
  /**
   * Replace every training image's label (both splits) by a random class: the null
   * model of a search (src/data/random_labels.ts). Default false.
   */
  readonly randomLabels?: boolean;
}

/** The opened splits. */
export interface SupernetData {
  readonly train: Dataset;
  readonly val: Dataset;
  readonly shape: ImageShape;
  readonly numClasses: number;
}

/** Opens `options.data` and cuts the training and held-out subsets. */
export async function openSupernetData(options: SupernetDataOptions): Promise<SupernetData> {
  const { seed, label } = options;
  const data = await openData(options.data, { valSplit: options.valSplit, seed });
  if (!data.val) {
    throw new Error(`${label} needs a held-out split for its architecture steps: --val-split > 0`);
  }
  // Labels are drawn per index of each split, with the run's seed.
  const labelled = (split: Dataset, salt: number) =>
    options.randomLabels ? new RandomLabelsDataset(split, seed + salt) : split;
  return {
    train: seededSubset(labelled(data.train, 3), options.trainImages, seed + 1, `${label}-train`),
    val: seededSubset(labelled(data.val, 4), options.valImages, seed + 2, `${label}-val`),
    shape: data.shape,
    numClasses: data.numClasses,
  };
}

/** The batches and step counts of a supernet run. */
export interface SupernetSchedule {
  readonly trainLoader: DataLoader;
  /** Held-out batches for the architecture steps, drawn on demand. */
  readonly heldOut: HeldOutStream;
  readonly stepsPerEpoch: number;
  /** Weight steps of the whole run, the warm-up included. */
  readonly totalSteps: number;
  readonly warmupSteps: number;
}

/**
 * The loaders of a supernet run: training batches for the weight steps, held-out ones
 * (of `archBatch` images where given) for the architecture steps, shuffled by `seed` and
 * `seed + 7`; whole batches only. Throws one line when an architecture step would take more
 * images than the held-out split has.
 */
export function supernetLoaders(
  train: Dataset,
  val: Dataset,
  cfg: {
    batchSize: number;
    /** Held-out images per architecture step; absent or 0: `batchSize`. */
    archBatch?: number;
    seed: number;
  },
): { trainLoader: DataLoader; valLoader: DataLoader } {
  const archBatch = cfg.archBatch || cfg.batchSize;
  if (archBatch > val.length) {
    throw new Error(
      `an architecture step takes ${archBatch} held-out images but the held-out split has ` +
        `${val.length}: lower --arch-batch (or --batch), or raise --val-images / --val-split`,
    );
  }
  return {
    trainLoader: new DataLoader(train, {
      batchSize: cfg.batchSize,
      seed: cfg.seed,
      dropLast: true,
      prefetch: 3,
    }),
    valLoader: new DataLoader(val, {
      batchSize: archBatch,
      seed: cfg.seed + 7,
      dropLast: true,
      prefetch: 2,
    }),
  };
}

/**
 * The loaders of a supernet run (`supernetLoaders`) and its step counts: `warmupEpochs`
 * weight-only epochs, then `epochs`.
 */
export function supernetSchedule(
  data: SupernetData,
  cfg: {
    batchSize: number;
    /** Held-out images per architecture step; absent or 0: `batchSize`. */
    archBatch?: number;
    seed: number;
    warmupEpochs: number;
    epochs: number;
  },
): SupernetSchedule {
  const { trainLoader, valLoader } = supernetLoaders(data.train, data.val, cfg);
  const stepsPerEpoch = trainLoader.stepsPerEpoch;
  return {
    trainLoader,
    heldOut: new HeldOutStream(valLoader),
    stepsPerEpoch,
    totalSteps: (cfg.warmupEpochs + cfg.epochs) * stepsPerEpoch,
    warmupSteps: cfg.warmupEpochs * stepsPerEpoch,
  };
}
