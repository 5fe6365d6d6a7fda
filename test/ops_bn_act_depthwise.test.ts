/**
 * depthwiseConv2d(act(batchNorm2d(x))) as one op (the normalised tensor never
 * written) against the CPU reference of the three ops in turn: forward, running
 * statistics, and dx, dγ, dβ, dw, in training and eval, both kernel families, with
 * shapes that take vec4 and scalar loads, whole-row and 4×8 blocks, stride 1 and 2.
 */
import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { bnActDepthwiseConv2d } from "../src/ops/bn_act_depthwise.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";
import { InvertedResidual } from "../src/networks/inverted_residual.ts";
import { add } from "../src/ops/elementwise.ts";

const rng = new Rng(23);

// [shape, k, stride]: 28 wide (whole-row blocks, vec4), 7 wide (scalar), 12 (4×8 blocks).
const cases: [number[], number, 1 | 2][] = [
  [[2, 3, 28, 28], 3, 1],
  [[2, 4, 7, 7], 3, 1],
  [[2, 3, 12, 12], 5, 2],
  [[3, 2, 8, 8], 3, 2],
];

for (const variant of ["register", "tiled"] as const) {
  gpuTest(`bnActDepthwiseConv2d (${variant}): matches BN → ReLU6 → depthwise`, async () => {
    for (const training of [true, false]) {
      for (const [shape, k, stride] of cases) {
        const c = shape[1];
        const xh = ref.randomHost(shape, rng, 2);
        const gh = ref.randomHost([c], rng, 4); // z crosses both kinks of ReLU6
        const bh = ref.randomHost([c], rng, 3);
        const rmh = ref.randomHost([c], rng);
        const rvh = ref.hostTensor([c], Array.from({ length: c }, () => rng.uniform(0.5, 2)));
        const wh = ref.randomHost([c, 1, k, k], rng);
        const eps = 1e-5;
        const momentum = 0.2;
        // The reference: z = bn(x), a = relu6(z), y = depthwise(a).
        const trained = training ? ref.batchNorm2dTrain(xh, gh, bh, eps) : null;
        const z = trained?.y ?? ref.batchNorm2dEval(xh, gh, bh, rmh, rvh, eps);
        const a = ref.ACTIVATIONS.relu6.forward(z);
        const yRef = ref.conv2d(a, wh, { stride, groups: c });
        const dyh = ref.randomHost(yRef.shape, rng);
        const convGrads = ref.conv2dBackward(a, wh, dyh, { stride, groups: c });
        const dz = ref.ACTIVATIONS.relu6.backward(z, convGrads.dx);

        const x = requireGrad(toGpu(xh, "x"));
        const gamma = requireGrad(toGpu(gh, "gamma"));
        const beta = requireGrad(toGpu(bh, "beta"));
        const w = requireGrad(toGpu(wh, "w"));
        const rm = toGpu(rmh, "rm");
        const rv = toGpu(rvh, "rv");
        const y = withKernelVariant(variant, () =>
          tidy(() => {
            const y = bnActDepthwiseConv2d(x, gamma, beta, rm, rv, w, {
              training,
              momentum,
              eps,
              act: "relu6",
              stride,
            });
            backward(y, toGpu(dyh, "dy"));
            return y;
          }));
        const [yg, rmg, rvg, dx, dgamma, dbeta, dw] = await readAll([
          y,
          rm,
          rv,
          x.grad!,
          gamma.grad!,
          beta.grad!,
          w.grad!,
        ]);
        const what = `${training ? "training" : "eval"} ${shape} k${k} s${stride}`;
        assertClose(yg, yRef.data, `y ${what}`);
        assertClose(dw, convGrads.dw.data, `dw ${what}`);
        if (trained) {
          const g = ref.batchNorm2dBackward(xh, gh, trained.mean, trained.invStd, dz);
          ref.updateRunningStats(rmh, rvh, trained.mean, trained.varUnbiased, momentum);
          assertClose(rmg, rmh.data, `running mean ${what}`);
          assertClose(rvg, rvh.data, `running var ${what}`);
          assertClose(dx, g.dx.data, `dx ${what}`);
          assertClose(dgamma, g.dgamma.data, `dgamma ${what}`);
          assertClose(dbeta, g.dbeta.data, `dbeta ${what}`);
        } else {
          // Constant statistics: dx = γ/σ·dz, dγ = Σ dz·(x − μ)/σ, dβ = Σ dz.
          const f32 = (d: ArrayLike<number>) => [...Float32Array.from(d)];
          assert.deepEqual([...rmg], f32(rmh.data), "eval leaves the running mean alone");
          assert.deepEqual([...rvg], f32(rvh.data), "eval leaves the running variance alone");
          const hw = shape[2] * shape[3];
          const ex = ref.hostTensor(shape);
          const eg = new Float64Array(c);
          const eb = new Float64Array(c);
          for (let i = 0; i < ex.data.length; i++) {
            const ch = Math.floor(i / hw) % c;
            const inv = 1 / Math.sqrt(rvh.data[ch] + eps);
            ex.data[i] = gh.data[ch] * inv * dz.data[i];
            eg[ch] += dz.data[i] * (xh.data[i] - rmh.data[ch]) * inv;
            eb[ch] += dz.data[i];
          }
          assertClose(dx, ex.data, `dx ${what}`);
          assertClose(dgamma, eg, `dgamma ${what}`);
          assertClose(dbeta, eb, `dbeta ${what}`);
        }
        for (const t of [x, gamma, beta, w, rm, rv]) t.dispose();
      }
    }
  });
}

gpuTest("InvertedResidual: the fused expand path equals its modules in turn", async () => {
  const spec = {
    type: "inverted_residual" as const,
    cin: 4,
    cout: 4,
    stride: 1,
    kernel: 3,
    expansion: 3,
    se: false,
  };
  const block = new InvertedResidual(spec, new Rng(5));
  const xh = ref.randomHost([2, 4, 8, 8], rng, 2);
  const dyh = ref.randomHost([2, 4, 8, 8], rng);
  const run = (fused: boolean) => {
    const x = requireGrad(toGpu(xh, "x"));
    const y = tidy(() => {
      const e = block.expand!;
      const y = fused
        ? block.forward(x)
        : add(block.project.forward(block.depthwise.forward(e.forward(x))), x);
      backward(y, toGpu(dyh, "dy"));
      return y;
    });
    return { y, dx: x.grad! };
  };
  const a = run(true);
  const b = run(false);
  const [ya, dxa, yb, dxb] = await readAll([a.y, a.dx, b.y, b.dx]);
  assertClose(ya, yb, "block output");
  assertClose(dxa, dxb, "block input gradient");
  block.dispose();
});
