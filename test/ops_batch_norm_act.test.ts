import { assertClose, gpuTest } from "./_helpers.ts";
import { bnEvalGrads, bnHostInputs, runBnOp } from "./_bn_harness.ts";
import * as ref from "../src/reference/mod.ts";
import { batchNormAct, type BnActivation } from "../src/ops/batch_norm.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(11);

/** act(z) and dz = act'(z)·dy on the host ("none": identity). */
function hostAct(act: BnActivation, z: ref.HostTensor, dy: ref.HostTensor) {
  if (act === "none") return { y: z, dz: dy };
  const f = ref.ACTIVATIONS[act];
  return { y: f.forward(z), dz: f.backward(z, dy) };
}

// H·W % 4 = 0 (vec4 passes) and not; direct (≤ 256 values a channel) and split. Planes
// of 7×7 and 5×5: the dx pass's vec4 groups that straddle two planes (register runs
// of 8 groups, tiled runs of 4; a partial last run and whole runs), and the scalar
// pass where the size is not a multiple of 4 or a run could span three planes.
const shapes = [
  [2, 3, 4, 4],
  [3, 4, 7, 7],
  [4, 5, 12, 12],
  [16, 2, 7, 7],
  [3, 5, 7, 7],
  [4, 3, 5, 5],
];
const acts: BnActivation[] = ["relu6", "relu", "none", "silu"];

for (const variant of ["register", "tiled"] as const) {
  gpuTest(
    `batchNormAct (${variant}): act(batchNorm2d(x)) and its gradients match the reference`,
    async () => {
      for (const act of acts) {
        for (const training of [true, false]) {
          for (const shape of shapes) {
            // gamma up to ±4 and beta up to ±3 so that z crosses both kinks of relu6.
            const h = bnHostInputs(shape, rng, { offset: 1, gammaScale: 4, betaScale: 3 });
            const dyh = ref.randomHost(shape, rng);
            const momentum = 0.2;
            const eps = 1e-5;
            const g = await runBnOp(
              variant,
              h,
              dyh,
              (t) =>
                batchNormAct(t.x, t.gamma, t.beta, t.runMean, t.runVar, {
                  training,
                  momentum,
                  eps,
                  act,
                }),
            );
            const what = `${act} ${training ? "training" : "eval"} ${shape}`;
            if (training) {
              const r = ref.batchNorm2dTrain(h.x, h.gamma, h.beta, eps);
              const a = hostAct(act, r.y, dyh);
              const e = ref.batchNorm2dBackward(h.x, h.gamma, r.mean, r.invStd, a.dz);
              ref.updateRunningStats(h.runMean, h.runVar, r.mean, r.varUnbiased, momentum);
              assertClose(g.y, a.y.data, `y ${what}`);
              assertClose(g.dx, e.dx.data, `dx ${what}`);
              assertClose(g.dgamma, e.dgamma.data, `dgamma ${what}`);
              assertClose(g.dbeta, e.dbeta.data, `dbeta ${what}`);
            } else {
              const z = ref.batchNorm2dEval(h.x, h.gamma, h.beta, h.runMean, h.runVar, eps);
              const a = hostAct(act, z, dyh);
              const e = bnEvalGrads(h, a.dz, eps);
              assertClose(g.y, a.y.data, `y ${what}`);
              assertClose(g.dx, e.dx, `dx ${what}`);
              assertClose(g.dgamma, e.dgamma, `dgamma ${what}`);
              assertClose(g.dbeta, e.dbeta, `dbeta ${what}`);
            }
            assertClose(g.runMean, h.runMean.data, `running mean ${what}`);
            assertClose(g.runVar, h.runVar.data, `running var ${what}`);
          }
        }
      }
    },
  );
}
