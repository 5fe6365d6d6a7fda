/**
 * Squeeze-and-excitation (Hu et al.; the MobileNetV3 form the released AutoSpace
 * nets use): global average pool → linear C → se_mid (bias) → ReLU → linear
 * se_mid → C (bias) → hard sigmoid → per-channel scale of the input.
 */
import { Linear } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { hardSigmoid, mul, relu } from "../ops/elementwise.ts";
import { globalAvgPool } from "../ops/pooling.ts";
import { reshape } from "../ops/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import { seChannels } from "../space/network_spec.ts";

export class SqueezeExcite extends Module {
  readonly reduce: Linear;
  readonly expand: Linear;

  constructor(readonly channels: number, rng: Rng) {
    super();
    const mid = seChannels(channels);
    this.reduce = this.child("reduce", new Linear(channels, mid, rng));
    this.expand = this.child("expand", new Linear(mid, channels, rng));
  }

  forward(x: Tensor): Tensor {
    const [n, c] = x.shape;
    const gate = hardSigmoid(this.expand.forward(relu(this.reduce.forward(globalAvgPool(x)))));
    return mul(x, reshape(gate, [n, c, 1, 1]));
  }
}
