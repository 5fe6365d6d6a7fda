import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { softmax } from "../src/ops/softmax.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { empty, fromArray } from "../src/tensor/creation.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(19);

gpuTest("softmax: forward and Eq. 4 Jacobian backward match the reference", async () => {
  for (const k of [1, 2, 5, 16, 64]) {
    // Large logits check the max shift (exp(80) alone would overflow f32).
    const vh = ref.randomHost([k], rng, 80);
    const dph = ref.randomHost([k], rng);
    const v = requireGrad(toGpu(vh, "alpha"));
    const p = tidy(() => {
      const p = softmax(v);
      backward(p, toGpu(dph, "dp"));
      return p;
    });
    const [pg, dv] = await readAll([p, v.grad!]);
    const pr = ref.softmax(vh.data);
    assertClose(pg, pr, `softmax K=${k}`);
    assertClose(dv, ref.softmaxBackward(pr, dph.data), `softmax backward K=${k}`);
    v.dispose();
    p.dispose();
  }
});

gpuTest("softmax: non-vector, empty, oversized and i32 inputs are rejected", () => {
  assert.throws(() => softmax(fromArray([2, 2], new Float32Array(4))), /vector/);
  assert.throws(() => softmax(empty([0])), /K = 0/);
  assert.throws(() => softmax(fromArray([300], new Float32Array(300))), /K = 300/);
  assert.throws(() => softmax(fromArray([3], new Int32Array(3))), /f32/);
});
