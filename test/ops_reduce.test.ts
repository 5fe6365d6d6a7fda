import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { mean, sum, withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { empty, fromArray } from "../src/tensor/creation.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(17);

// One element, a direct pass, one chunk, and many chunks (pass 2 over many partials).
const shapes = [[1], [3, 5, 7], [2, 3, 33, 31], [4, 8, 64, 65]];

for (const variant of ["register", "tiled"] as const) {
  gpuTest(`sum and mean (${variant}): forward and backward match the reference`, async () => {
    for (const shape of shapes) {
      // Positive entries: Σ does not cancel, so a normwise bound on it is meaningful.
      const xh = ref.randomHost(shape, rng);
      for (let i = 0; i < xh.data.length; i++) xh.data[i] = Math.fround(xh.data[i] + 1.5);
      for (
        const [name, op, fwd, bwd] of [
          ["sum", sum, ref.sum, ref.sumBackward],
          ["mean", mean, ref.mean, ref.meanBackward],
        ] as const
      ) {
        const x = requireGrad(toGpu(xh, "x"));
        const g = 0.75;
        const y = withKernelVariant(variant, () =>
          tidy(() => {
            const y = op(x);
            backward(y, fromArray([1], [g]));
            return y;
          }));
        assert.deepEqual([...y.shape], [1]);
        const [yg, dx] = await readAll([y, x.grad!]);
        assertClose(yg, [fwd(xh)], `${name} ${shape}`);
        assertClose(dx, bwd(shape, g).data, `${name} backward ${shape}`);
        x.dispose();
        y.dispose();
      }
    }
  });
}

gpuTest("sum: results are bit-identical from run to run", async () => {
  const xh = ref.randomHost([1, 3, 100, 333], rng);
  const x = toGpu(xh);
  const [a, b] = await readAll([sum(x), sum(x)]);
  assert.equal(a[0], b[0]);
  x.dispose();
});

gpuTest("sum and mean: empty and i32 inputs are rejected", () => {
  assert.throws(() => sum(empty([0])), /empty/);
  assert.throws(() => mean(fromArray([3], new Int32Array(3))), /dtype i32/);
});
