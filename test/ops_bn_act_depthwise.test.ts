/**
 * depthwiseConv2d(act(batchNorm2d(x))) as one op (the normalised tensor never
 * written) against the CPU reference of the three ops in turn: forward, running
 * statistics, and dx, dγ, dβ, dw, in training and eval, both kernel families, with
 * shapes that take vec4 and scalar loads, whole-row and 4×8 blocks, stride 1 and 2.
 */
import { gpuTest } from "./_helpers.ts";
import { assertBnActConv, bnHostInputs } from "./_bn_harness.ts";
import * as ref from "../src/reference/mod.ts";
import { bnActDepthwiseConv2d } from "../src/ops/bn_act_depthwise.ts";
import { Rng } from "../src/util/rng.ts";

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
        // γ up to ±4 and β up to ±3: z crosses both kinks of ReLU6.
        const h = bnHostInputs(shape, rng, { gammaScale: 4, betaScale: 3 });
        const wh = ref.randomHost([c, 1, k, k], rng);
        const eps = 1e-5;
        const momentum = 0.2;
        await assertBnActConv(variant, {
          h,
          weights: wh,
          conv: { stride, groups: c },
          training,
          momentum,
          eps,
          what: `${training ? "training" : "eval"} ${shape} k${k} s${stride}`,
          rng,
        }, (t, w) =>
          bnActDepthwiseConv2d(t.x, t.gamma, t.beta, t.runMean, t.runVar, w, {
            training,
            momentum,
            eps,
            act: "relu6",
            stride,
          }));
      }
    }
  });
}
