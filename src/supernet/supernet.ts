/**
 * A supernet over a backbone: stem → layers (fixed blocks, or mixed layers) → head
 * (feature mix, pooling, classifier).
 *
 * A mixed layer's candidates either come from the caller later (the evolution swaps
 * in cells from its weight bank at every regeneration) or, for a fixed search space,
 * are built here from their block specs and owned by the layer (`supernetFromSpace`).
 */
import type { ConvBnAct, Linear } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { globalAvgPool } from "../ops/pooling.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import type { Backbone } from "../space/backbone.ts";
import type { BlockSpec } from "../space/network_spec.ts";
import { type SearchSpaceSpec, spaceBackbone } from "../space/search_space_spec.ts";
import { buildBlock, buildHead, buildStem } from "../networks/network.ts";
import { MixedLayer } from "./mixed_layer.ts";

export class Supernet extends Module {
  readonly stem: ConvBnAct;
  /** One entry per backbone layer: a fixed block or a mixed layer. */
  readonly layers: Module[];
  /** The mixed layers, by backbone layer index. */
  readonly mixed: Map<number, MixedLayer> = new Map();
  readonly featureMix: ConvBnAct | null;
  readonly classifier: Linear;

  /**
   * `paths` gives, for some searchable layers, the candidate blocks to build and own;
   * the other searchable layers start empty (`MixedLayer.setCandidates`).
   */
  constructor(
    readonly backbone: Backbone,
    rng: Rng,
    paths: ReadonlyMap<number, readonly BlockSpec[]> = new Map(),
  ) {
    super();
    this.stem = this.child("stem", buildStem(backbone.input.channels, backbone.stem, rng));
    this.layers = backbone.layers.map((layer, i) => {
      if (layer.fixed) return this.child(`layers.${i}`, buildBlock(layer.fixed, rng));
      const blocks = paths.get(i);
      const m = blocks
        ? new MixedLayer(blocks.map((block) => buildBlock(block, rng)), true)
        : new MixedLayer([]);
      this.mixed.set(i, m);
      return this.child(`layers.${i}`, m);
    });
    const last = backbone.layers.at(-1)?.cout ?? backbone.stem.cout;
    const { featureMix, classifier } = buildHead(last, backbone.head, backbone.classes, rng);
    this.featureMix = featureMix && this.child("feature_mix", featureMix);
    this.classifier = this.child("classifier", classifier);
  }

  forward(x: Tensor): Tensor {
    return this.forwardFrom(0, this.stem.forward(x));
  }

  /**
   * Backbone layers `start`, `start + 1`, … and the head, on `input`, the input of layer
   * `start`. `seeInput(i, t)` is shown each layer's input on the way: a caller that scores
   * paths differing from one path only from some layer on reuses that path's inputs there
   * instead of running the shared layers again (src/search/proxyless_rl.ts).
   */
  forwardFrom(
    start: number,
    input: Tensor,
    seeInput?: (layer: number, input: Tensor) => void,
  ): Tensor {
    if (!Number.isInteger(start) || start < 0 || start > this.layers.length) {
      throw new RangeError(`forwardFrom: layer ${start} is not in 0..${this.layers.length}`);
    }
    let y = input;
    for (let i = start; i < this.layers.length; i++) {
      seeInput?.(i, y);
      y = this.layers[i].forward(y);
    }
    if (this.featureMix) y = this.featureMix.forward(y);
    return this.classifier.forward(globalAvgPool(y));
  }

  /** Runs candidate `path[l]` in each mixed layer l (fixed layers ignore their entry), gate 1. */
  choosePath(path: readonly number[]): void {
    for (const [layer, mixed] of this.mixed) {
      mixed.gateGradients = false;
      mixed.choose({ active: [path[layer]], gates: [1] });
    }
  }
}

/**
 * The supernet of a search space: layers with one candidate are fixed, the others are
 * mixed layers that own one block per candidate (each with its own weights, as in
 * ProxylessNAS and SPOS).
 */
export function supernetFromSpace(space: SearchSpaceSpec, rng: Rng): Supernet {
  const paths = new Map<number, readonly BlockSpec[]>();
  space.layers.forEach((layer, i) => {
    if (layer.candidates.length > 1) paths.set(i, layer.candidates);
  });
  return new Supernet(spaceBackbone(space), rng, paths);
}
