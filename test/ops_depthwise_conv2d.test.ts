import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import {
  depthwiseConv2d,
  depthwiseConv2dBackwardInput,
  depthwiseConv2dBackwardWeight,
  depthwiseConv2dForward,
  depthwiseGeometry,
  fitTile,
} from "../src/ops/depthwise_conv2d.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(11);

/** [N, C, H, W, k, stride]: odd sizes, batch 1, channels not multiples of 4, vec4 and scalar rows. */
const cases: [number, number, number, number, number, 1 | 2][] = [
  [2, 3, 8, 8, 3, 1],
  [1, 5, 7, 9, 3, 2],
  [2, 6, 12, 16, 5, 1],
  [1, 4, 16, 12, 7, 2],
  [3, 7, 5, 4, 1, 2],
  [2, 5, 9, 8, 5, 2],
  [1, 3, 6, 20, 7, 1],
  [2, 10, 4, 4, 3, 2],
  // llvmpipe's whole-row blocks: one 7×7 block, 2×14 (scalar rows), 1×28 (vec4 rows;
  // 2×28 for dw), and 2-row input-gradient blocks of a stride-2 conv on a 28-wide plane.
  [2, 3, 7, 7, 3, 1],
  [1, 4, 14, 14, 3, 1],
  [1, 2, 28, 28, 3, 1],
  [1, 2, 28, 28, 3, 2],
  // Whole-plane blocks, whose padding is dropped at generation time: 4×4 (vec4 rows),
  // 7×7 stride 2 (an odd input-gradient block), 8×8 k5, and 14×14 stride 2 (7×7 out).
  [2, 6, 4, 4, 3, 1],
  [2, 3, 7, 7, 3, 2],
  [1, 3, 8, 8, 5, 1],
  [2, 3, 14, 14, 3, 2],
  // Enough blocks a channel that llvmpipe's dw splits each channel into parts.
  [4, 3, 28, 28, 3, 1],
  [40, 2, 4, 4, 3, 1],
  // Enough planes that llvmpipe's forward and input gradient take 4 images a lane.
  [16, 512, 4, 4, 3, 1],
];

function referenceCase(n: number, c: number, h: number, w: number, k: number, s: number) {
  const x = ref.randomHost([n, c, h, w], rng);
  const wt = ref.randomHost([c, 1, k, k], rng);
  const y = ref.conv2d(x, wt, { stride: s, groups: c });
  const dy = ref.randomHost(y.shape, rng);
  const { dx, dw } = ref.conv2dBackward(x, wt, dy, { stride: s, groups: c });
  return { x, wt, y, dy, dx, dw };
}

for (const variant of ["register", "tiled"] as const) {
  gpuTest(
    `depthwiseConv2d (${variant}): forward, dx and dw through autograd match the reference`,
    async () => {
      for (const [n, c, h, w, k, s] of cases) {
        const r = referenceCase(n, c, h, w, k, s);
        const x = requireGrad(toGpu(r.x, "x"));
        const wt = requireGrad(toGpu(r.wt, "w"));
        const y = withKernelVariant(variant, () =>
          tidy(() => {
            const y = depthwiseConv2d(x, wt, { stride: s });
            backward(y, toGpu(r.dy, "dy"));
            return y;
          }));
        assert.deepEqual([...y.shape], r.y.shape);
        const [yg, dxg, dwg] = await readAll([y, x.grad!, wt.grad!]);
        const what = `${[n, c, h, w]} k${k} s${s}`;
        assertClose(yg, r.y.data, `forward ${what}`);
        assertClose(dxg, r.dx.data, `dx ${what}`);
        assertClose(dwg, r.dw.data, `dw ${what}`);
        for (const t of [x, wt, y]) t.dispose();
      }
    },
    { slowOnGl: variant === "tiled" }, // over 6 minutes on GL llvmpipe
  );
}

gpuTest("depthwiseConv2d: every register block shape gives the same result", async () => {
  // Blocks that overhang the plane, odd blocks (scalar rows) and 1×1 blocks.
  const [n, c, h, w, k] = [2, 3, 9, 12, 3];
  for (const s of [1, 2] as const) {
    const r = referenceCase(n, c, h, w, k, s);
    const g = depthwiseGeometry(r.x.shape, r.wt.shape, { stride: s });
    const x = toGpu(r.x), wt = toGpu(r.wt), dy = toGpu(r.dy);
    // ... and blocks spanning the plane's width, height or both (their padding is
    // dropped at generation time; any size is then a valid input-gradient block).
    for (const [th, tw] of [[1, 1], [2, 2], [3, 5], [6, 8], [3, 12], [9, 4], [9, 12]]) {
      const whole = (b: number, dst: number) => b % s === 0 || b >= dst;
      const outs = tidy(() => [
        depthwiseConv2dForward(x, wt, { stride: s }, fitTile(g, "forward", th, tw)),
        depthwiseConv2dBackwardWeight(
          x,
          dy,
          r.wt.shape,
          { stride: s },
          fitTile(g, "weightGrad", th, tw),
        ),
        ...(whole(th, h) && whole(tw, w)
          ? [
            depthwiseConv2dBackwardInput(
              dy,
              wt,
              r.x.shape,
              { stride: s },
              fitTile(g, "inputGrad", th, tw),
            ),
          ]
          : []),
      ]);
      const got = await readAll(outs);
      const what = `s${s} block ${th}×${tw}`;
      assertClose(got[0], r.y.data, `forward ${what}`);
      assertClose(got[1], r.dw.data, `dw ${what}`);
      if (got[2]) assertClose(got[2], r.dx.data, `dx ${what}`);
      for (const t of outs) t.dispose();
    }
    for (const t of [x, wt, dy]) t.dispose();
  }
});

gpuTest("depthwiseConv2d: bad shapes, kernel sizes, strides and dtypes are rejected", () => {
  const x = fromArray([1, 4, 6, 6], new Float32Array(144));
  const w3 = fromArray([4, 1, 3, 3], new Float32Array(36));
  assert.throws(() => depthwiseConv2d(x, fromArray([3, 1, 3, 3], new Float32Array(27))), /C = 4/);
  assert.throws(
    () => depthwiseConv2d(x, fromArray([4, 1, 4, 4], new Float32Array(64))),
    /kernel size 4/,
  );
  assert.throws(() => depthwiseConv2d(x, w3, { stride: 3 as 1 }), /stride 3/);
  assert.throws(
    () => depthwiseConv2d(fromArray([4, 6, 6], new Float32Array(144)), w3),
    /\[N,C,H,W\]/,
  );
  assert.throws(
    () => depthwiseConv2d(fromArray([1, 4, 6, 6], new Int32Array(144)), w3),
    /dtype i32/,
  );
  assert.throws(
    () => depthwiseConv2dBackwardInput(fromArray([1, 4, 5, 6], new Float32Array(120)), w3, x.shape),
    /dy is \[1,4,5,6\], expected \[1,4,6,6\]/,
  );
  for (const t of [x, w3]) t.dispose();
});
