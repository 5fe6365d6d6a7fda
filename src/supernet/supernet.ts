/**
 * A supernet over a backbone: stem → layers (fixed blocks, or mixed layers whose
 * candidates are swapped in by the search) → head (feature mix, pooling, classifier).
 */
import type { ConvBnAct, Linear } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { globalAvgPool } from "../ops/pooling.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import type { Backbone } from "../space/backbone.ts";
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

  constructor(readonly backbone: Backbone, rng: Rng) {
    super();
    this.stem = this.child("stem", buildStem(backbone.input.channels, backbone.stem, rng));
    this.layers = backbone.layers.map((layer, i) => {
      if (layer.fixed) return this.child(`layers.${i}`, buildBlock(layer.fixed, rng));
      const m = new MixedLayer([]);
      this.mixed.set(i, m);
      return this.child(`layers.${i}`, m);
    });
    const last = backbone.layers.at(-1)?.cout ?? backbone.stem.cout;
    const { featureMix, classifier } = buildHead(last, backbone.head, backbone.classes, rng);
    this.featureMix = featureMix && this.child("feature_mix", featureMix);
    this.classifier = this.child("classifier", classifier);
  }

  forward(x: Tensor): Tensor {
    let y = this.stem.forward(x);
    for (const layer of this.layers) y = layer.forward(y);
    if (this.featureMix) y = this.featureMix.forward(y);
    return this.classifier.forward(globalAvgPool(y));
  }
}
