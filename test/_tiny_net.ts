/** A small conv-BN-ReLU classifier and one training step, shared by tests. */
import { ConvBnAct, Linear, Sequential } from "../src/nn/layers.ts";
import { Module } from "../src/nn/module.ts";
import type { Sgd } from "../src/nn/optimizers.ts";
import { globalAvgPool } from "../src/ops/pooling.ts";
import { softmaxCrossEntropy } from "../src/ops/cross_entropy.ts";
import { backward } from "../src/tensor/autograd.ts";
import { tidy } from "../src/tensor/engine.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import type { Rng } from "../src/util/rng.ts";

export class TinyClassifier extends Module {
  readonly features: Sequential;
  readonly head: Linear;

  constructor(rng: Rng, cin: number, classes: number) {
    super();
    this.features = this.child(
      "features",
      new Sequential([
        new ConvBnAct(cin, 8, { kernel: 3, act: "relu" }, rng),
        new ConvBnAct(8, 8, { kernel: 3, depthwise: true, act: "relu6" }, rng),
        new ConvBnAct(8, 12, { kernel: 1, stride: 2, act: "relu" }, rng),
      ]),
    );
    this.head = this.child("head", new Linear(12, classes, rng));
  }

  forward(x: Tensor): Tensor {
    return this.head.forward(globalAvgPool(this.features.forward(x)));
  }
}

export function tinyClassifier(rng: Rng, cin: number, classes: number): TinyClassifier {
  return new TinyClassifier(rng, cin, classes);
}

/** Forward, loss, backward, update; returns nothing (no host sync). */
export function trainingStep(net: Module, opt: Sgd, x: Tensor, labels: Tensor): void {
  tidy(() => {
    opt.zeroGrad();
    const loss = softmaxCrossEntropy(net.forward(x), labels, { labelSmoothing: 0 });
    backward(loss);
    opt.step();
  });
}
