import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { tinyClassifier } from "./_tiny_net.ts";
import { Sgd } from "../src/nn/optimizers.ts";
import { paramGroups } from "../src/nn/module.ts";
import { softmaxCrossEntropy } from "../src/ops/cross_entropy.ts";
import { backward } from "../src/tensor/autograd.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { keep, tidy } from "../src/tensor/engine.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

gpuTest(
  "a conv-BN-ReLU network drives the loss on one fixed batch below 5% of its start",
  async () => {
    const rng = new Rng(5);
    const n = 8;
    const net = tinyClassifier(rng, 3, 4);
    const x = fromArray(
      [n, 3, 8, 8],
      Float32Array.from({ length: n * 3 * 64 }, () => rng.normal()),
      { persistent: true },
    );
    const labels = fromArray([n], Int32Array.from({ length: n }, (_, i) => i % 4), {
      persistent: true,
    });
    const opt = new Sgd(paramGroups(net.parameters(), 0), { lr: 0.1, momentum: 0.9 });
    const step = (): Tensor =>
      tidy(() => {
        opt.zeroGrad();
        const loss = keep(softmaxCrossEntropy(net.forward(x), labels, { labelSmoothing: 0 }));
        backward(loss);
        opt.step();
        return loss;
      });
    const first = step();
    const start = (await first.read())[0];
    first.dispose();
    let last = start;
    for (let i = 1; i <= 400 && last > 0.05 * start; i++) {
      const loss = step();
      if (i % 25 === 0) last = (await loss.read())[0];
      loss.dispose();
    }
    assert.ok(Number.isFinite(start) && start > 0.5, `start loss ${start}`);
    assert.ok(last < 0.05 * start, `loss ${last} did not fall below 5% of ${start}`);
    opt.dispose();
    net.dispose();
    x.dispose();
    labels.dispose();
  },
);
