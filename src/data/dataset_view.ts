/**
 * What a dataset that wraps another shares: the base's classes, shape, augmentation and
 * decode counters, under a source name that says what the view does. Subclasses say how
 * they read (`load`) and how they switch augmentation.
 */
import type { Dataset, ImageShape, LoadResult } from "./dataset.ts";
import type { DecodeMeter } from "./decode_meter.ts";

export abstract class DatasetView implements Dataset {
  readonly source: string;
  readonly numClasses: number;
  readonly shape: ImageShape;
  readonly classNames: readonly string[];
  readonly augment: boolean;

  /** `part` names the view in messages: "cifar10:/data [evolve-train]". */
  constructor(readonly base: Dataset, part: string) {
    this.source = `${base.source} [${part}]`;
    this.numClasses = base.numClasses;
    this.shape = base.shape;
    this.classNames = base.classNames;
    this.augment = base.augment;
  }

  abstract readonly length: number;

  get decodeMeter(): DecodeMeter | undefined {
    return this.base.decodeMeter;
  }

  abstract load(
    indices: ArrayLike<number>,
    seeds: ArrayLike<number>,
    x: Float32Array,
    labels: Int32Array,
  ): Promise<LoadResult>;

  abstract withAugment(on: boolean): Dataset;
}
