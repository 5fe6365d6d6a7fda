/**
 * Dropout: the kernel's mask equals the host reference bit for bit, drops a
 * fraction ≈ p, is a function of (seed, step) only, scales survivors by 1/(1−p),
 * its gradient is mask·scale, and the module is the identity in eval mode.
 */
import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { dropout } from "../src/ops/dropout.ts";
import { Dropout } from "../src/nn/layers.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(11);

/** Dropout of an all-ones tensor: 0 where dropped, 1/(1−p) where kept. */
async function onesMask(n: number, rate: number, seed: number, step: number) {
  const x = fromArray([n], new Float32Array(n).fill(1));
  const y = dropout(x, { rate, seed, step });
  const out = await y.read();
  x.dispose();
  y.dispose();
  return out;
}

gpuTest("dropout: forward and backward match the host reference bit for bit", async () => {
  for (
    const [shape, rate, seed, step] of [
      [[4, 96], 0.2, 0, 0],
      [[3, 5, 7, 2], 0.5, 7, 123],
      [[1000], 0.9, 2 ** 33 + 5, 2 ** 31 + 9], // keys above 32 bits keep their low words
    ] as const
  ) {
    const xh = ref.randomHost(shape, rng);
    const dyh = ref.randomHost(shape, rng);
    const x = requireGrad(toGpu(xh));
    const y = tidy(() => {
      const y = dropout(x, { rate, seed, step });
      backward(y, toGpu(dyh, "dy"));
      return y;
    });
    assert.deepEqual([...y.shape], [...shape]);
    const [yg, dxg] = await readAll([y, x.grad!]);
    assertClose(yg, ref.dropoutForward(xh, rate, seed, step).data, `forward ${shape} p=${rate}`);
    // ∂L/∂x = mask · scale · dy: the same function applied to dy.
    assertClose(dxg, ref.dropoutForward(dyh, rate, seed, step).data, `backward ${shape}`);
    const mask = ref.dropoutMask(yg.length, rate, seed, step);
    for (let i = 0; i < yg.length; i++) {
      if (!mask[i]) assert.equal(yg[i], 0, `dropped element ${i} is exactly 0`);
    }
    x.dispose();
    y.dispose();
  }
});

gpuTest("dropout: drops a fraction ≈ p and scales survivors by 1/(1−p)", async () => {
  const n = 65536;
  for (const rate of [0.1, 0.2, 0.5, 0.8]) {
    const y = await onesMask(n, rate, 3, 17);
    let dropped = 0;
    for (const v of y) {
      if (v === 0) dropped++;
      else assert.ok(Math.abs(v - 1 / (1 - rate)) < 1e-6, `survivor ${v} at p=${rate}`);
    }
    // Binomial: 5 standard deviations of the dropped fraction.
    const sd = Math.sqrt(rate * (1 - rate) / n);
    const fraction = dropped / n;
    assert.ok(Math.abs(fraction - rate) < 5 * sd, `dropped ${fraction} at p=${rate}`);
    const meanOut = y.reduce((s, v) => s + v, 0) / n;
    assert.ok(Math.abs(meanOut - 1) < 5 * sd / (1 - rate), `mean ${meanOut} keeps E[x]`);
  }
});

gpuTest("dropout: the mask is a function of (seed, step) only", async () => {
  const n = 4096;
  const a = await onesMask(n, 0.5, 5, 40);
  const again = await onesMask(n, 0.5, 5, 40);
  assert.deepEqual(again, a, "same seed and step: same mask");
  const agreement = (u: Float32Array, v: Float32Array) =>
    u.reduce((s, x, i) => s + ((x === 0) === (v[i] === 0) ? 1 : 0), 0) / n;
  // Independent masks at p = 0.5 agree on about half the elements.
  for (
    const [other, what] of [
      [await onesMask(n, 0.5, 5, 41), "next step"],
      [await onesMask(n, 0.5, 6, 40), "other seed"],
    ] as const
  ) {
    const agree = agreement(a, other);
    assert.ok(Math.abs(agree - 0.5) < 0.05, `${what}: masks agree on ${agree}`);
  }
  // Not a shifted copy: step 41's mask differs from step 40's moved by any small offset.
  const next = await onesMask(n, 0.5, 5, 41);
  for (let shift = 1; shift <= 64; shift++) {
    let same = 0;
    for (let i = 0; i + shift < n; i++) same += (a[i + shift] === 0) === (next[i] === 0) ? 1 : 0;
    assert.ok(same / (n - shift) < 0.56, `step 41 is step 40 shifted by ${shift}`);
  }
});

gpuTest(
  "Dropout module: identity at eval and at rate 0; a new mask per training step",
  async () => {
    const xh = ref.randomHost([8, 32], rng);
    const x = toGpu(xh);
    const layer = new Dropout(0.3);
    layer.seed = 9;
    assert.equal(layer.eval().forward(x), x, "eval returns its input");
    assert.equal(new Dropout(0).forward(x), x, "rate 0 returns its input");
    layer.train();
    const first = layer.forward(x);
    const second = layer.forward(x);
    assert.equal(layer.step, 2, "the step advances once per training forward");
    const [a, b] = await readAll([first, second]);
    assertClose(a, ref.dropoutForward(xh, 0.3, 9, 0).data, "first call uses step 0");
    assertClose(b, ref.dropoutForward(xh, 0.3, 9, 1).data, "second call uses step 1");
    assert.throws(() => new Dropout(1), /rate must be in \[0, 1\)/);
    for (const t of [x, first, second]) t.dispose();
  },
);
