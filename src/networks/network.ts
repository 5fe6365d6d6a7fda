/**
 * Turns a network spec (src/space/network_spec.ts) into a trainable network:
 * stem → blocks → head (feature mix, global pooling, dropout, classifier).
 */
import { type BatchNormSettings, ConvBnAct, Dropout, Linear } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { globalAvgPool } from "../ops/pooling.ts";
import { shapeStr, type Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import {
  type BlockSpec,
  checkNetwork,
  type HeadSpec,
  type NetworkSpec,
  type StemSpec,
} from "../space/network_spec.ts";
import { CellBlock } from "./cell_block.ts";
import { InvertedResidual } from "./inverted_residual.ts";

/** Identity: the zero op with its shortcut (a skipped layer). */
class Skip extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}

/** Builds one block of a spec; `bn` (the spec's) sets every BN of it, else defaults. */
export function buildBlock(block: BlockSpec, rng: Rng, bn?: BatchNormSettings): Module {
  switch (block.type) {
    case "inverted_residual":
      return new InvertedResidual(block, rng, bn);
    case "cell":
      return new CellBlock(block, rng, undefined, bn);
    case "zero":
      return new Skip();
  }
}

/** The stem: conv k×k (stride) → BN → ReLU6. */
export function buildStem(
  channels: number,
  stem: StemSpec,
  rng: Rng,
  bn?: BatchNormSettings,
): ConvBnAct {
  return new ConvBnAct(channels, stem.cout, {
    kernel: stem.kernel,
    stride: stem.stride as 1 | 2,
    act: "relu6",
    bn,
  }, rng);
}

/** The head after the last block: optional 1×1 feature mix, then the linear classifier. */
export function buildHead(
  cin: number,
  head: HeadSpec,
  classes: number,
  rng: Rng,
  bn?: BatchNormSettings,
): { featureMix: ConvBnAct | null; classifier: Linear } {
  const featureMix = head.featureMix
    ? new ConvBnAct(cin, head.featureMix.cout, { kernel: 1, act: "relu6", bn }, rng)
    : null;
  return { featureMix, classifier: new Linear(head.featureMix?.cout ?? cin, classes, rng) };
}

export class Network extends Module {
  readonly stem: ConvBnAct;
  readonly blocks: Module[];
  readonly featureMix: ConvBnAct | null;
  /** The head's dropout before the classifier (rate `spec.head.dropout`; 0 is the identity). */
  readonly dropout: Dropout;
  readonly classifier: Linear;

  constructor(readonly spec: NetworkSpec, rng: Rng) {
    super();
    checkNetwork(spec);
    // A spec's `bn` (momentum, eps) applies to every BN of the network.
    const bn = spec.bn;
    this.stem = this.child("stem", buildStem(spec.input.channels, spec.stem, rng, bn));
    this.blocks = spec.blocks.map((b, i) => this.child(`blocks.${i}`, buildBlock(b, rng, bn)));
    const last = spec.blocks.at(-1)?.cout ?? spec.stem.cout;
    const { featureMix, classifier } = buildHead(last, spec.head, spec.classes, rng, bn);
    this.featureMix = featureMix && this.child("feature_mix", featureMix);
    this.dropout = this.child("dropout", new Dropout(spec.head.dropout));
    this.classifier = this.child("classifier", classifier);
  }

  /** Logits [N, classes] for images [N, C, H, W]. */
  forward(x: Tensor): Tensor {
    if (x.shape.length !== 4 || x.shape[1] !== this.spec.input.channels) {
      throw new Error(
        `${this.spec.name}: expects images [N,${this.spec.input.channels},H,W], got ${
          shapeStr(x.shape)
        }`,
      );
    }
    let y = this.stem.forward(x);
    for (const b of this.blocks) y = b.forward(y);
    if (this.featureMix) y = this.featureMix.forward(y);
    return this.classifier.forward(this.dropout.forward(globalAvgPool(y)));
  }
}

/** Builds a trainable network from a spec, initialised from `rng`. */
export function buildNetwork(spec: NetworkSpec, rng: Rng): Network {
  return new Network(spec, rng);
}
