import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { weightedSum } from "../src/ops/weighted_sum.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(29);

// K = 1 and 2 (binary gates), 5, and 16 (more paths than one dispatch binds).
const cases: [number, number[]][] = [
  [1, [2, 3, 4, 4]],
  [2, [1, 5, 3, 3]],
  [5, [2, 6, 9, 7]],
  [16, [3, 7]],
  [2, [4, 8, 40, 40]],
];

for (const variant of ["register", "tiled"] as const) {
  gpuTest(
    `weightedSum (${variant}): y, dys and the gate gradient dw match the reference`,
    async () => {
      for (const [k, shape] of cases) {
        const ysh = Array.from({ length: k }, () => ref.randomHost(shape, rng));
        const wh = ref.randomHost([k], rng);
        const ys = ysh.map((y, i) => requireGrad(toGpu(y, `y${i}`)));
        const w = requireGrad(toGpu(wh, "w"));
        const dyh = ref.randomHost(shape, rng);
        const y = withKernelVariant(variant, () =>
          tidy(() => {
            const y = weightedSum(ys, w);
            backward(y, toGpu(dyh, "dy"));
            return y;
          }));
        const got = await readAll([y, w.grad!, ...ys.map((t) => t.grad!)]);
        const g = ref.weightedSumBackward(ysh, wh.data, dyh);
        const what = `K=${k} ${shape}`;
        assertClose(got[0], ref.weightedSum(ysh, wh.data).data, `y ${what}`);
        assertClose(got[1], g.dw, `dw ${what}`);
        g.dys.forEach((d, i) => assertClose(got[2 + i], d.data, `dy${i} ${what}`));
        for (const t of [...ys, w, y]) t.dispose();
      }
    },
  );
}

gpuTest("weightedSum: only the inputs that need gradients get them", async () => {
  const ysh = [ref.randomHost([3, 4], rng), ref.randomHost([3, 4], rng)];
  const wh = ref.randomHost([2], rng);
  const y0 = requireGrad(toGpu(ysh[0]));
  const y1 = toGpu(ysh[1]);
  const w = toGpu(wh);
  const dyh = ref.randomHost([3, 4], rng);
  tidy(() => backward(weightedSum([y0, y1], w), toGpu(dyh)));
  assert.equal(y1.grad, null);
  assert.equal(w.grad, null);
  const [d0] = await readAll([y0.grad!]);
  assertClose(d0, ref.weightedSumBackward(ysh, wh.data, dyh).dys[0].data, "dy0");
  for (const t of [y0, y1, w]) t.dispose();
});

gpuTest("weightedSum: no paths, a weight count mismatch and mixed shapes are rejected", () => {
  const a = fromArray([2, 2], new Float32Array(4));
  const b = fromArray([4], new Float32Array(4));
  const w2 = fromArray([2], new Float32Array(2));
  assert.throws(() => weightedSum([], w2), /no paths/);
  assert.throws(() => weightedSum([a], w2), /w must be f32 \[1\]/);
  assert.throws(() => weightedSum([a, b], w2), /ys\[1\] is \[4\] but ys\[0\] is \[2,2\]/);
  assert.throws(() => weightedSum([a, a], fromArray([2], new Int32Array(2))), /f32 \[2\]/);
  for (const t of [a, b, w2]) t.dispose();
});
