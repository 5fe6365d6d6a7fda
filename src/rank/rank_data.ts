/**
 * The data of a rank run: one seeded subset of training images that both the
 * standalone trainings and the supernet's weight steps use, a held-out split for the
 * fitness steps (never trained on), and the test set for the true accuracies.
 */
import { openData, type OpenedData } from "../data/data_spec.ts";
import type { Dataset, ImageShape } from "../data/dataset.ts";
import { seededSubset } from "../data/split.ts";
import type { RankConfig } from "./config.ts";

/** Datasets of a rank run. */
export interface RankData {
  /** Training images (the subset), augmented as the dataset is. */
  train: Dataset;
  /** The images of a fitness-run epoch: a seeded subset of `train`. */
  fitnessTrain: Dataset;
  /** Held-out images of the fitness steps. */
  heldOut: Dataset;
  /** Held-out images each network is scored on after a fitness run. */
  pathEval: Dataset;
  /** Test images of the true accuracies. */
  test: Dataset;
  shape: ImageShape;
  classes: number;
  /** The whole opened data, for code that takes an `OpenedData` (the trainer). */
  opened: OpenedData;
}

/** Opens `cfg.data` and cuts the subsets; the split and subsets depend on `cfg.seed` only. */
export async function openRankData(cfg: RankConfig): Promise<RankData> {
  const data = await openData(cfg.data, { valSplit: cfg.valSplit, seed: cfg.seed });
  if (!data.val) {
    throw new Error("rank needs a held-out split for the fitness steps: --val-split > 0");
  }
  const heldOut = seededSubset(data.val, cfg.valImages, cfg.seed + 2, "rank held-out");
  const train = seededSubset(data.train, cfg.trainImages, cfg.seed + 1, "rank train");
  return {
    train,
    fitnessTrain: seededSubset(train, cfg.fitnessImages, cfg.seed + 5, "rank fitness train"),
    heldOut,
    pathEval: seededSubset(heldOut, cfg.pathEvalImages, cfg.seed + 3, "rank path eval"),
    test: seededSubset(data.test, cfg.testImages, cfg.seed + 4, "rank test"),
    shape: data.shape,
    classes: data.numClasses,
    opened: data,
  };
}
