import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { batchNormAct, type BnActivation } from "../src/ops/batch_norm.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(11);

/** act(z) and dz = act'(z)·dy on the host ("none": identity). */
function hostAct(act: BnActivation, z: ref.HostTensor, dy: ref.HostTensor) {
  if (act === "none") return { y: z, dz: dy };
  const f = ref.ACTIVATIONS[act];
  return { y: f.forward(z), dz: f.backward(z, dy) };
}

// H·W % 4 = 0 (vec4 passes) and not; direct (≤ 256 values a channel) and split.
const shapes = [[2, 3, 4, 4], [3, 4, 7, 7], [4, 5, 12, 12]];
const acts: BnActivation[] = ["relu6", "relu", "none", "silu"];

for (const variant of ["register", "tiled"] as const) {
  gpuTest(
    `batchNormAct (${variant}): act(batchNorm2d(x)) and its gradients match the reference`,
    async () => {
      for (const act of acts) {
        for (const training of [true, false]) {
          for (const shape of shapes) {
            const c = shape[1];
            const xh = ref.randomHost(shape, rng, 2);
            for (let i = 0; i < xh.data.length; i++) xh.data[i] = Math.fround(xh.data[i] + 1);
            // gamma up to ±4 and beta up to ±3 so that z crosses both kinks of relu6.
            const gh = ref.randomHost([c], rng, 4);
            const bh = ref.randomHost([c], rng, 3);
            const rmh = ref.randomHost([c], rng);
            const rvh = ref.hostTensor([c], Array.from({ length: c }, () => rng.uniform(0.5, 2)));
            const dyh = ref.randomHost(shape, rng);
            const x = requireGrad(toGpu(xh, "x"));
            const gamma = requireGrad(toGpu(gh, "gamma"));
            const beta = requireGrad(toGpu(bh, "beta"));
            const rm = toGpu(rmh, "rm");
            const rv = toGpu(rvh, "rv");
            const momentum = 0.2;
            const eps = 1e-5;
            const y = withKernelVariant(variant, () =>
              tidy(() => {
                const y = batchNormAct(x, gamma, beta, rm, rv, { training, momentum, eps, act });
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
            const what = `${act} ${training ? "training" : "eval"} ${shape}`;
            if (training) {
              const r = ref.batchNorm2dTrain(xh, gh, bh, eps);
              const h = hostAct(act, r.y, dyh);
              const g = ref.batchNorm2dBackward(xh, gh, r.mean, r.invStd, h.dz);
              ref.updateRunningStats(rmh, rvh, r.mean, r.varUnbiased, momentum);
              assertClose(yg, h.y.data, `y ${what}`);
              assertClose(dx, g.dx.data, `dx ${what}`);
              assertClose(dgamma, g.dgamma.data, `dgamma ${what}`);
              assertClose(dbeta, g.dbeta.data, `dbeta ${what}`);
            } else {
              // Constant statistics: z = scale·x + shift, dx = scale·dz.
              const z = ref.batchNorm2dEval(xh, gh, bh, rmh, rvh, eps);
              const h = hostAct(act, z, dyh);
              const hw = shape[2] * shape[3];
              const ex = ref.hostTensor(shape);
              const eg = ref.hostTensor([c]);
              const eb = ref.hostTensor([c]);
              for (let i = 0; i < ex.data.length; i++) {
                const ch = Math.floor(i / hw) % c;
                const inv = 1 / Math.sqrt(rvh.data[ch] + eps);
                ex.data[i] = h.dz.data[i] * gh.data[ch] * inv;
                eg.data[ch] += h.dz.data[i] * (xh.data[i] - rmh.data[ch]) * inv;
                eb.data[ch] += h.dz.data[i];
              }
              assertClose(yg, h.y.data, `y ${what}`);
              assertClose(dx, ex.data, `dx ${what}`);
              assertClose(dgamma, eg.data, `dgamma ${what}`);
              assertClose(dbeta, eb.data, `dbeta ${what}`);
            }
            assertClose(rmg, rmh.data, `running mean ${what}`);
            assertClose(rvg, rvh.data, `running var ${what}`);
            for (const t of [x, gamma, beta, rm, rv, y]) t.dispose();
          }
        }
      }
    },
  );
}
