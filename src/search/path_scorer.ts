/**
 * Held-out accuracy of one path of a trained supernet, SPOS's way: select the path,
 * re-estimate its BN statistics on a fixed set of training batches (the supernet's
 * running statistics are a blend over every path), then evaluate on a fixed held-out
 * subset. The same batches and images for every path, so scores compare and a path
 * scores the same whenever it is asked — SPOS and random search score their
 * candidates with it, and every search evaluates its derived network with it.
 */
import type { Batch, Dataset, ImageShape } from "../data/dataset.ts";
import { DataLoader } from "../data/loader.ts";
import { SubsetDataset } from "../data/split.ts";
import { recalibrateBatchNorm } from "../nn/bn_recalibration.ts";
import type { Supernet } from "../supernet/supernet.ts";
import { type EvalResult, evaluate } from "../train/evaluate.ts";

/** What `PathScorer` uses. */
export interface PathScorerOptions {
  readonly train: Dataset;
  readonly heldOut: Dataset;
  readonly batchSize: number;
  /** Training batches for the BN statistics. */
  readonly bnBatches: number;
  /** Held-out images scored (the first ones of the split, in order). */
  readonly scoreImages: number;
  /** Seed of the training batches' draw. */
  readonly seed: number;
}

export class PathScorer {
  private bnSet: Batch[] = [];
  private readonly scoreSet: Dataset;
  private readonly shape: ImageShape;

  private constructor(private readonly supernet: Supernet, private readonly o: PathScorerOptions) {
    const n = Math.min(o.scoreImages, o.heldOut.length);
    this.scoreSet = n < o.heldOut.length
      ? new SubsetDataset(o.heldOut, Int32Array.from({ length: n }, (_, i) => i), "score")
      : o.heldOut;
    this.shape = o.train.shape;
  }

  /** A scorer whose BN batches (a seeded draw of training batches) are loaded once. */
  static async create(supernet: Supernet, options: PathScorerOptions): Promise<PathScorer> {
    const scorer = new PathScorer(supernet, options);
    const loader = new DataLoader(options.train.withAugment(false), {
      batchSize: options.batchSize,
      seed: options.seed,
      prefetch: 0,
    });
    for await (const batch of loader.epoch(0)) {
      scorer.bnSet.push(batch);
      if (scorer.bnSet.length >= options.bnBatches) break;
    }
    return scorer;
  }

  /** Held-out images each path is scored on. */
  get images(): number {
    return this.scoreSet.length;
  }

  /** The held-out metrics of the network `choices` selects (one choice per supernet layer). */
  async evaluate(choices: readonly number[]): Promise<EvalResult> {
    this.supernet.choosePath(choices);
    await recalibrateBatchNorm(this.supernet, this.bnSet, { imageShape: this.shape });
    const result = await evaluate(this.supernet, this.scoreSet, this.o.batchSize);
    this.supernet.train();
    return result;
  }
}
