import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { globalAvgPool } from "../src/ops/pooling.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(9);

// 1×1 maps, short rows (direct pass) and rows long enough for the two-pass split.
const shapes = [[1, 3, 1, 1], [2, 5, 3, 7], [3, 7, 8, 8], [2, 3, 40, 40], [1, 2, 130, 70]];

for (const variant of ["register", "tiled"] as const) {
  gpuTest(`globalAvgPool (${variant}): forward and backward match the reference`, async () => {
    for (const shape of shapes) {
      const xh = ref.randomHost(shape, rng);
      const x = requireGrad(toGpu(xh, "x"));
      const yh = ref.globalAvgPool(xh);
      const dyh = ref.randomHost(yh.shape, rng);
      const y = withKernelVariant(variant, () =>
        tidy(() => {
          const y = globalAvgPool(x);
          backward(y, toGpu(dyh, "dy"));
          return y;
        }));
      assert.deepEqual([...y.shape], yh.shape);
      const [yg, dx] = await readAll([y, x.grad!]);
      assertClose(yg, yh.data, `forward ${shape}`);
      assertClose(dx, ref.globalAvgPoolBackward(shape, dyh).data, `backward ${shape}`);
      x.dispose();
      y.dispose();
    }
  });
}

gpuTest("globalAvgPool: non-4-D and non-f32 inputs are rejected", () => {
  assert.throws(() => globalAvgPool(fromArray([2, 3], new Float32Array(6))), /\[N,C,H,W\]/);
  assert.throws(() => globalAvgPool(fromArray([1, 1, 2, 2], new Int32Array(4))), /dtype i32/);
});
