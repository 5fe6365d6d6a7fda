/**
 * conv2d(act(batchNorm2d(x))) as one op (the normalised tensor never written) against
 * the CPU reference of the three ops in turn: forward, running statistics, and dx, dγ,
 * dβ, dw, in training and eval, both kernel families, with 1×1 stride-1 shapes that take
 * vec4 and scalar loads, partial channel blocks, and the wide 16-pixel strips and the
 * large GEMM block. The block it serves: inverted_residual_fused.test.ts.
 */
import { gpuTest } from "./_helpers.ts";
import { assertBnActConv, bnHostInputs } from "./_bn_harness.ts";
import * as ref from "../src/reference/mod.ts";
import { bnActConv2d } from "../src/ops/bn_act_conv2d.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(29);

// [x shape, output channels]: 8×8 (vec4 loads), 7×7 (scalar), 5 → 3 channels (partial
// blocks), 32×32 × 64 → 256 (wide strips, 2^25 MACs: the large GEMM block).
const cases: [number[], number][] = [
  [[2, 12, 8, 8], 16],
  [[2, 8, 7, 7], 4],
  [[3, 5, 4, 4], 3],
  [[2, 64, 32, 32], 256],
];

for (const variant of ["register", "tiled"] as const) {
  gpuTest(`bnActConv2d (${variant}): matches BN → ReLU6 → 1×1 conv`, async () => {
    for (const training of [true, false]) {
      for (const [shape, co] of cases) {
        const c = shape[1];
        // γ up to ±4 and β up to ±3: z crosses both kinks of ReLU6.
        const h = bnHostInputs(shape, rng, { gammaScale: 4, betaScale: 3 });
        const wh = ref.randomHost([co, c, 1, 1], rng);
        const eps = 1e-5;
        const momentum = 0.2;
        await assertBnActConv(variant, {
          h,
          weights: wh,
          conv: { stride: 1, groups: 1 },
          training,
          momentum,
          eps,
          what: `${training ? "training" : "eval"} ${shape} → ${co}`,
          rng,
        }, (t, w) =>
          bnActConv2d(t.x, t.gamma, t.beta, t.runMean, t.runVar, w, {
            training,
            momentum,
            eps,
            act: "relu6",
            stride: 1,
          }));
      }
    }
  });
}
