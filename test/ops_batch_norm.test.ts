import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { batchNorm2d } from "../src/ops/batch_norm.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
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
];

function hostInputs(shape: number[], offset: number) {
  const c = shape[1];
  const x = ref.randomHost(shape, rng, 2);
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.fround(x.data[i] + offset);
  return {
    x,
    gamma: ref.randomHost([c], rng),
    beta: ref.randomHost([c], rng),
    runMean: ref.randomHost([c], rng),
    runVar: ref.hostTensor([c], Array.from({ length: c }, () => rng.uniform(0.5, 2))),
  };
}

for (const variant of ["register", "tiled"] as const) {
  gpuTest(
    `batchNorm2d (${variant}): training forward, running stats and backward match the reference`,
    async () => {
      for (const { shape, offset } of cases) {
        const h = hostInputs(shape, offset);
        const momentum = 0.25;
        const eps = 1e-5;
        const x = requireGrad(toGpu(h.x, "x"));
        const gamma = requireGrad(toGpu(h.gamma, "gamma"));
        const beta = requireGrad(toGpu(h.beta, "beta"));
        const rm = toGpu(h.runMean, "rm");
        const rv = toGpu(h.runVar, "rv");
        const dyh = ref.randomHost(shape, rng);
        const y = withKernelVariant(variant, () =>
          tidy(() => {
            const y = batchNorm2d(x, gamma, beta, rm, rv, { training: true, momentum, eps });
            backward(y, toGpu(dyh, "dy"));
            return y;
          }));
        const [yg, rmg, rvg, dx, dgamma, dbeta] = await readAll([
          y,
          rm,
          rv,
          x.grad!,
          gamma.grad!,
          beta.grad!,
        ]);
        const r = ref.batchNorm2dTrain(h.x, h.gamma, h.beta, eps);
        ref.updateRunningStats(h.runMean, h.runVar, r.mean, r.varUnbiased, momentum);
        const g = ref.batchNorm2dBackward(h.x, h.gamma, r.mean, r.invStd, dyh);
        const what = `${shape} offset ${offset}`;
        assertClose(yg, r.y.data, `y ${what}`);
        assertClose(rmg, h.runMean.data, `running mean ${what}`);
        assertClose(rvg, h.runVar.data, `running var ${what}`);
        assertClose(dx, g.dx.data, `dx ${what}`);
        assertClose(dgamma, g.dgamma.data, `dgamma ${what}`);
        assertClose(dbeta, g.dbeta.data, `dbeta ${what}`);
        for (const t of [x, gamma, beta, rm, rv, y]) t.dispose();
      }
    },
  );

  gpuTest(
    `batchNorm2d (${variant}): eval uses the running statistics and leaves them alone`,
    async () => {
      for (const { shape } of cases.slice(0, 4)) {
        const h = hostInputs(shape, 0);
        const eps = 1e-3;
        const x = requireGrad(toGpu(h.x, "x"));
        const gamma = requireGrad(toGpu(h.gamma, "gamma"));
        const beta = requireGrad(toGpu(h.beta, "beta"));
        const rm = toGpu(h.runMean, "rm");
        const rv = toGpu(h.runVar, "rv");
        const dyh = ref.randomHost(shape, rng);
        const y = withKernelVariant(variant, () =>
          tidy(() => {
            const y = batchNorm2d(x, gamma, beta, rm, rv, { training: false, eps });
            backward(y, toGpu(dyh, "dy"));
            return y;
          }));
        const [yg, rmg, rvg, dx, dgamma, dbeta] = await readAll([
          y,
          rm,
          rv,
          x.grad!,
          gamma.grad!,
          beta.grad!,
        ]);
        const what = `${shape}`;
        assertClose(
          yg,
          ref.batchNorm2dEval(h.x, h.gamma, h.beta, h.runMean, h.runVar, eps).data,
          `y ${what}`,
        );
        assert.deepEqual(rmg, Float32Array.from(h.runMean.data), `running mean unchanged ${what}`);
        assert.deepEqual(rvg, Float32Array.from(h.runVar.data), `running var unchanged ${what}`);
        // Eval-mode gradients: constants mean/var, so dx = dy·gamma·invStd.
        const [n, c, hh, ww] = shape;
        const hw = hh * ww;
        const ex = new Float64Array(h.x.data.length);
        const eg = new Float64Array(c);
        const eb = new Float64Array(c);
        for (let i = 0; i < ex.length; i++) {
          const ch = Math.floor(i / hw) % c;
          const inv = 1 / Math.sqrt(h.runVar.data[ch] + eps);
          ex[i] = dyh.data[i] * h.gamma.data[ch] * inv;
          eg[ch] += dyh.data[i] * (h.x.data[i] - h.runMean.data[ch]) * inv;
          eb[ch] += dyh.data[i];
        }
        assert.equal(n * c * hw, ex.length);
        assertClose(dx, ex, `eval dx ${what}`);
        assertClose(dgamma, eg, `eval dgamma ${what}`);
        assertClose(dbeta, eb, `eval dbeta ${what}`);
        for (const t of [x, gamma, beta, rm, rv, y]) t.dispose();
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
