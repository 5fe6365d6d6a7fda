/**
 * Eq. 4 on a real (tiny) supernet: the gate gradients ∂L/∂g_k that the GPU computes
 * through the weighted path sum, mapped to the fitness logits by Eq. 4, equal the
 * finite-difference gradient of the supernet loss L(α) with y = Σ_k softmax(α)_k·y_k.
 */
import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { eq4Gradient, softmax } from "../src/supernet/gates.ts";
import { MixedLayer } from "../src/supernet/mixed_layer.ts";
import { CellBlock } from "../src/networks/cell_block.ts";
import { ConvBnAct, Linear } from "../src/nn/layers.ts";
import { Module } from "../src/nn/module.ts";
import { globalAvgPool } from "../src/ops/pooling.ts";
import { softmaxCrossEntropy } from "../src/ops/cross_entropy.ts";
import { backward } from "../src/tensor/autograd.ts";
import { fromArray, upload } from "../src/tensor/creation.ts";
import { noGrad, tidy } from "../src/tensor/engine.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import { makeCell, REFERENCE_CELL } from "../src/space/cell.ts";
import { Rng } from "../src/util/rng.ts";

class TinySupernet extends Module {
  stem: ConvBnAct;
  mixed: MixedLayer;
  head: Linear;
  constructor(rng: Rng) {
    super();
    this.stem = this.child("stem", new ConvBnAct(2, 8, { kernel: 3, act: "relu6" }, rng));
    const cells = [
      REFERENCE_CELL,
      makeCell({ ratio: 3, edges: { "0-1": "conv3x3", "1-3": "identity", "0-3": "dwconv5x5" } }),
      makeCell({
        ratio: 1,
        edges: { "0-1": "dwconv3x3", "0-2": "conv1x1", "1-2": "identity", "2-3": "identity" },
        aggregation: ["product", "add"],
      }),
    ];
    this.mixed = new MixedLayer(
      cells.map((cell) => new CellBlock({ type: "cell", cin: 8, cout: 8, stride: 1, cell }, rng)),
    );
    this.child("mixed", this.mixed);
    this.mixed.candidates.forEach((c, i) => this.child(`c${i}`, c));
    this.head = this.child("head", new Linear(8, 5, rng));
  }
  forward(x: Tensor): Tensor {
    return this.head.forward(globalAvgPool(this.mixed.forward(this.stem.forward(x))));
  }
}

gpuTest("Eq. 4 fitness gradient matches finite differences on a tiny supernet", async () => {
  const rng = new Rng(21);
  const net = new TinySupernet(rng).eval(); // running statistics: L is a function of α alone
  // A unit-scale classifier (the default init is N(0, 0.01)) makes ∂L/∂α large enough
  // to measure with float32 losses.
  upload(net.head.weight, Float32Array.from({ length: 40 }, () => rng.normal()));
  const x = fromArray([4, 2, 6, 6], Float32Array.from({ length: 288 }, () => rng.normal()), {
    persistent: true,
  });
  const y = fromArray([4], Int32Array.from([0, 3, 1, 4]), { persistent: true });
  const alpha = [0.3, -0.5, 0.1];
  const all = [0, 1, 2];
  const loss = async (a: number[]) => {
    net.mixed.gateGradients = false;
    net.mixed.choose({ active: all, gates: softmax(a) });
    const l = noGrad(() => tidy(() => softmaxCrossEntropy(net.forward(x), y)));
    const [v] = await l.read();
    l.dispose();
    return v;
  };
  // Analytic: gates g = p with gradients wanted, then Eq. 4 with factors 1.
  net.mixed.gateGradients = true;
  const p = softmax(alpha);
  net.mixed.choose({ active: all, gates: p });
  tidy(() => backward(softmaxCrossEntropy(net.forward(x), y)));
  const gateGrads = [...await net.mixed.gateTensor()!.grad!.read()];
  const analytic = eq4Gradient(gateGrads, p, [1, 1, 1]);
  const h = 1e-2; // f32 losses: a larger step keeps rounding below the O(h²) error
  const numeric: number[] = [];
  for (let i = 0; i < 3; i++) {
    const up = [...alpha];
    const down = [...alpha];
    up[i] += h;
    down[i] -= h;
    numeric.push((await loss(up) - await loss(down)) / (2 * h));
  }
  const scale = Math.max(...numeric.map(Math.abs));
  assert.ok(scale > 1e-3, `gradient too small to test: ${numeric}`);
  analytic.forEach((g, i) => {
    assert.ok(
      Math.abs(g - numeric[i]) <= 2e-2 * scale,
      `∂L/∂α_${i}: Eq. 4 ${g}, finite difference ${numeric[i]}`,
    );
  });
  // The gradients of a softmax sum to zero, and α should move: not a vacuous check.
  assert.ok(Math.abs(analytic.reduce((s, g) => s + g, 0)) < 1e-5 * scale + 1e-7);
  net.dispose();
  x.dispose();
  y.dispose();
});

gpuTest("idle paths run detached: the same gate gradients, nothing back through them", async () => {
  const rng = new Rng(5);
  const net = new TinySupernet(rng).eval();
  upload(net.head.weight, Float32Array.from({ length: 40 }, () => rng.normal()));
  const x = fromArray([4, 2, 6, 6], Float32Array.from({ length: 288 }, () => rng.normal()), {
    persistent: true,
  });
  const y = fromArray([4], Int32Array.from([1, 0, 4, 2]), { persistent: true });
  const gates = [0, 1, 0]; // full_v2: the drawn path's gate 1, every other path idle
  const gateGradients = async (detachIdle: boolean) => {
    net.mixed.gateGradients = true;
    net.mixed.choose({ active: [0, 1, 2], gates, detachIdle });
    for (const p of net.parameters()) {
      p.tensor.grad?.dispose();
      p.tensor.grad = null;
    }
    tidy(() => backward(softmaxCrossEntropy(net.forward(x), y)));
    const idleWeight = net.mixed.candidates[0].parameters()[0].tensor;
    return { g: [...await net.mixed.gateTensor()!.grad!.read()], idleGrad: idleWeight.grad };
  };
  const attached = await gateGradients(false);
  const detached = await gateGradients(true);
  const scale = Math.max(...attached.g.map(Math.abs));
  assert.ok(scale > 1e-4, `gate gradients too small to compare: ${attached.g}`);
  attached.g.forEach((g, k) =>
    assert.ok(Math.abs(g - detached.g[k]) <= 1e-5 * scale, `∂L/∂g_${k}: ${g} vs ${detached.g[k]}`)
  );
  assert.notEqual(
    attached.idleGrad,
    null,
    "attached: the idle path's weights get a (zero) gradient",
  );
  assert.equal(detached.idleGrad, null, "detached: no backward through the idle path");
  net.dispose();
  x.dispose();
  y.dispose();
});
