import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import { bnEvalGrads, bnHostInputs, runBnOp } from "./_bn_harness.ts";
import * as ref from "../src/reference/mod.ts";
import { batchNorm2d } from "../src/ops/batch_norm.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { noGrad, tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(5);

// Direct (≤ 256 values a channel; ≥ 64 channels: narrower workgroups on llvmpipe),
// split with one and with several chunks; the last case sits on a large offset,
// where E[x²] − E[x]² would lose the variance.
const cases: { shape: number[]; offset: number }[] = [
  { shape: [2, 3, 4, 5], offset: 0 },
  { shape: [2, 70, 9, 9], offset: 0.5 },
  { shape: [1, 5, 3, 3], offset: 0.5 },
  { shape: [3, 5, 12, 12], offset: 0 },
  { shape: [8, 3, 32, 32], offset: -1 },
  { shape: [2, 6, 10, 10], offset: 300 },
  { shape: [16, 6, 4, 4], offset: 0.5 }, // direct sums over 16 short segments, unrolled
];

const hostInputs = (shape: number[], offset: number) => bnHostInputs(shape, rng, { offset });

for (const variant of ["register", "tiled"] as const) {
  gpuTest(
    `batchNorm2d (${variant}): training forward, running stats and backward match the reference`,
    async () => {
      for (const { shape, offset } of cases) {
        const h = hostInputs(shape, offset);
        const momentum = 0.25;
        const eps = 1e-5;
        const dyh = ref.randomHost(shape, rng);
        const g = await runBnOp(
          variant,
          h,
          dyh,
          (t) =>
            batchNorm2d(t.x, t.gamma, t.beta, t.runMean, t.runVar, {
              training: true,
              momentum,
              eps,
            }),
        );
        const r = ref.batchNorm2dTrain(h.x, h.gamma, h.beta, eps);
        ref.updateRunningStats(h.runMean, h.runVar, r.mean, r.varUnbiased, momentum);
        const e = ref.batchNorm2dBackward(h.x, h.gamma, r.mean, r.invStd, dyh);
        const what = `${shape} offset ${offset}`;
        assertClose(g.y, r.y.data, `y ${what}`);
        assertClose(g.runMean, h.runMean.data, `running mean ${what}`);
        assertClose(g.runVar, h.runVar.data, `running var ${what}`);
        assertClose(g.dx, e.dx.data, `dx ${what}`);
        assertClose(g.dgamma, e.dgamma.data, `dgamma ${what}`);
        assertClose(g.dbeta, e.dbeta.data, `dbeta ${what}`);
      }
    },
  );

  gpuTest(
    `batchNorm2d (${variant}): eval uses the running statistics and leaves them alone`,
    async () => {
      for (const { shape } of cases.slice(0, 4)) {
        const h = hostInputs(shape, 0);
        const eps = 1e-3;
        const dyh = ref.randomHost(shape, rng);
        const g = await runBnOp(
          variant,
          h,
          dyh,
          (t) => batchNorm2d(t.x, t.gamma, t.beta, t.runMean, t.runVar, { training: false, eps }),
        );
        const what = `${shape}`;
        assertClose(
          g.y,
          ref.batchNorm2dEval(h.x, h.gamma, h.beta, h.runMean, h.runVar, eps).data,
          `y ${what}`,
        );
        assert.deepEqual(g.runMean, Float32Array.from(h.runMean.data), `running mean ${what}`);
        assert.deepEqual(g.runVar, Float32Array.from(h.runVar.data), `running var ${what}`);
        const e = bnEvalGrads(h, dyh, eps);
        assertClose(g.dx, e.dx, `eval dx ${what}`);
        assertClose(g.dgamma, e.dgamma, `eval dgamma ${what}`);
        assertClose(g.dbeta, e.dbeta, `eval dbeta ${what}`);
      }
    },
  );
}

gpuTest(
  "batchNorm2d: repeated training steps keep folding batch statistics into the running ones",
  async () => {
    const h = hostInputs([4, 3, 5, 5], 1);
    const x = toGpu(h.x), gamma = toGpu(h.gamma), beta = toGpu(h.beta);
    const rm = toGpu(h.runMean), rv = toGpu(h.runVar);
    noGrad(() =>
      tidy(() => {
        for (let i = 0; i < 3; i++) batchNorm2d(x, gamma, beta, rm, rv, { training: true });
      })
    );
    const r = ref.batchNorm2dTrain(h.x, h.gamma, h.beta, 1e-5);
    for (let i = 0; i < 3; i++) {
      ref.updateRunningStats(
        h.runMean,
        h.runVar,
        r.mean,
        r.varUnbiased,
        0.1,
      );
    }
    const [rmg, rvg] = await readAll([rm, rv]);
    assertClose(rmg, h.runMean.data, "running mean after 3 steps");
    assertClose(rvg, h.runVar.data, "running var after 3 steps");
    for (const t of [x, gamma, beta, rm, rv]) t.dispose();
  },
);

gpuTest("batchNorm2d: bad shapes, dtypes and single-value batches are rejected", () => {
  const c3 = () => fromArray([3], new Float32Array(3));
  const x = fromArray([2, 3, 2, 2], new Float32Array(24));
  assert.throws(
    () => batchNorm2d(x, fromArray([4], new Float32Array(4)), c3(), c3(), c3(), { training: true }),
    /gamma is \[4\], expected \[3\]/,
  );
  assert.throws(
    () =>
      batchNorm2d(fromArray([3, 2, 2], new Float32Array(12)), c3(), c3(), c3(), c3(), {
        training: true,
      }),
    /\[N,C,H,W\]/,
  );
  assert.throws(
    () =>
      batchNorm2d(fromArray([1, 3, 1, 1], new Float32Array(3)), c3(), c3(), c3(), c3(), {
        training: true,
      }),
    /more than 1 value per channel/,
  );
  assert.throws(
    () => batchNorm2d(x, c3(), c3(), fromArray([3], new Int32Array(3)), c3(), { training: false }),
    /runningMean has dtype i32/,
  );
  assert.throws(
    () => batchNorm2d(x, c3(), c3(), c3(), c3(), { training: true, momentum: 2 }),
    /momentum/,
  );
  x.dispose();
});
