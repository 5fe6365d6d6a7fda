import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { linear } from "../src/ops/linear.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(13);

// [N, I, O]: batch 1, sizes off the 4×4 block, a batch long enough for a split db.
const shapes = [[1, 5, 3], [7, 13, 10], [4, 64, 9], [300, 6, 5]];

for (const variant of ["register", "tiled"] as const) {
  gpuTest(`linear (${variant}): forward and dx, dw, db match the reference`, async () => {
    for (const [n, inF, outF] of shapes) {
      for (const withBias of [true, false]) {
        const xh = ref.randomHost([n, inF], rng);
        const wh = ref.randomHost([outF, inF], rng);
        const bh = ref.randomHost([outF], rng);
        const x = requireGrad(toGpu(xh, "x"));
        const w = requireGrad(toGpu(wh, "w"));
        const b = withBias ? requireGrad(toGpu(bh, "b")) : null;
        const yh = ref.linear(xh, wh, withBias ? bh : undefined);
        const dyh = ref.randomHost(yh.shape, rng);
        const y = withKernelVariant(variant, () =>
          tidy(() => {
            const y = linear(x, w, b);
            backward(y, toGpu(dyh, "dy"));
            return y;
          }));
        assert.deepEqual([...y.shape], [n, outF]);
        const got = await readAll([y, x.grad!, w.grad!, ...(b ? [b.grad!] : [])]);
        const g = ref.linearBackward(xh, wh, dyh);
        const what = `${[n, inF, outF]} bias ${withBias}`;
        assertClose(got[0], yh.data, `forward ${what}`);
        assertClose(got[1], g.dx.data, `dx ${what}`);
        assertClose(got[2], g.dw.data, `dw ${what}`);
        if (b) assertClose(got[3], g.db.data, `db ${what}`);
        for (const t of [x, w, b, y]) t?.dispose();
      }
    }
  });
}

gpuTest("linear: mismatched shapes and dtypes are rejected", () => {
  const x = fromArray([2, 3], new Float32Array(6));
  assert.throws(() => linear(x, fromArray([4, 5], new Float32Array(20)), null), /same I/);
  assert.throws(
    () => linear(x, fromArray([4, 3], new Float32Array(12)), fromArray([3], new Float32Array(3))),
    /b must be \[O\] = \[4\]/,
  );
  assert.throws(
    () =>
      linear(fromArray([2, 3], new Int32Array(6)), fromArray([4, 3], new Float32Array(12)), null),
    /dtype i32/,
  );
  x.dispose();
});
