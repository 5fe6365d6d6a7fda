import { assertClose, gpuTest } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { Adam, Sgd } from "../src/nn/optimizers.ts";
import { fromArray, upload } from "../src/tensor/creation.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(11);

function randomArray(n: number): Float64Array {
  return Float64Array.from({ length: n }, () => rng.uniform(-1, 1));
}

/** A persistent parameter with a persistent, hand-set gradient. */
function paramWithGrad(p: Float64Array, g: Float64Array) {
  const t = fromArray([p.length], Float32Array.from(p), { persistent: true, name: "p" });
  t.requiresGrad = true;
  t.grad = fromArray([g.length], Float32Array.from(g), { persistent: true, name: "g" });
  return t;
}

const sgdCases = [
  { lr: 0.1, momentum: 0, nesterov: false, weightDecay: 0 },
  { lr: 0.05, momentum: 0.9, nesterov: false, weightDecay: 1e-2 },
  { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 4e-5 },
];

for (const opts of sgdCases) {
  gpuTest(`SGD ${JSON.stringify(opts)}: 4 steps match the reference`, async () => {
    const n = 37;
    const p = randomArray(n);
    const t = paramWithGrad(p, randomArray(n));
    const opt = new Sgd([{ params: [t], weightDecay: opts.weightDecay }], opts);
    const buf = new Float64Array(n);
    for (let step = 0; step < 4; step++) {
      const g = randomArray(n);
      upload(t.grad!, Float32Array.from(g));
      opt.step();
      ref.sgdStep(p, g, opts.momentum ? buf : null, opts);
    }
    const [got] = await readAll([t]);
    assertClose(got, p, "SGD parameters");
    opt.dispose();
    t.dispose();
  });
}

const adamCases = [
  { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  { lr: 6e-4, beta1: 0, beta2: 0.999, eps: 1e-8, weightDecay: 1e-3 }, // β1 = 0
];

for (const opts of adamCases) {
  gpuTest(`Adam ${JSON.stringify(opts)}: 5 steps match the reference`, async () => {
    const n = 29;
    const p = randomArray(n);
    const t = paramWithGrad(p, randomArray(n));
    const opt = new Adam([t], opts);
    const m = new Float64Array(n);
    const v = new Float64Array(n);
    for (let step = 1; step <= 5; step++) {
      const g = randomArray(n);
      upload(t.grad!, Float32Array.from(g));
      opt.step();
      ref.adamStep(p, g, m, v, step, opts);
    }
    const [got] = await readAll([t]);
    assertClose(got, p, "Adam parameters");
    opt.dispose();
    t.dispose();
  });
}

gpuTest("optimizers skip parameters whose gradient is stale after zeroGrad", async () => {
  const p = randomArray(8);
  const t = paramWithGrad(p, randomArray(8));
  const opt = new Sgd([t], { lr: 1 });
  opt.zeroGrad();
  opt.step();
  const [got] = await readAll([t]);
  assertClose(got, p, "untouched parameters", 1e-7); // f32 rounding only
  opt.dispose();
  t.dispose();
});
