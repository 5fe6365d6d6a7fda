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

gpuTest("SGD and Adam update small tensors in groups, skipping stale ones", async () => {
  // Mixed sizes, large (one dispatch each: vec4 and scalar) and small (grouped), in
  // two weight-decay groups.
  const sizes = [
    5,
    300,
    1,
    64,
    5000,
    17,
    2,
    129,
    8,
    33,
    1000,
    3,
    12,
    7,
    90,
    4,
    41,
    6,
    256,
    9,
    4103,
  ];
  for (const kind of ["sgd", "adam"] as const) {
    const ps = sizes.map((n) => randomArray(n));
    const ts = ps.map((p) => paramWithGrad(p, randomArray(p.length)));
    const half = Math.floor(ts.length / 2);
    const groups = [
      { params: ts.slice(0, half), weightDecay: 1e-2 },
      { params: ts.slice(half), weightDecay: 0 },
    ];
    const sgdOpts = { lr: 0.05, momentum: 0.9, nesterov: true };
    const adamOpts = { lr: 1e-2, beta1: 0.9, beta2: 0.999, eps: 1e-8 };
    const opt = kind === "sgd" ? new Sgd(groups, sgdOpts) : new Adam(groups, adamOpts);
    const state = ps.map((p) => [new Float64Array(p.length), new Float64Array(p.length)]);
    for (let step = 1; step <= 3; step++) {
      opt.zeroGrad();
      ts.forEach((t, i) => {
        if ((i + step) % 4 === 0) return; // no gradient reached it this step
        const g = randomArray(t.size);
        upload(t.grad!, Float32Array.from(g));
        t.gradIsStale = false;
        const weightDecay = i < half ? 1e-2 : 0;
        if (kind === "sgd") ref.sgdStep(ps[i], g, state[i][0], { ...sgdOpts, weightDecay });
        // Bias corrections count the optimizer's steps, not this parameter's.
        else ref.adamStep(ps[i], g, state[i][0], state[i][1], step, { ...adamOpts, weightDecay });
      });
      opt.step();
    }
    const got = await readAll(ts);
    got.forEach((g, i) => assertClose(g, ps[i], `${kind} parameter ${i} (${sizes[i]} values)`));
    opt.dispose();
    for (const t of ts) t.dispose();
  }
});

gpuTest(
  "SGD pools small tensors of groups with the same weight decay into shared dispatches",
  async (gpu) => {
    // As a weight bank adds them: one group per module, weight decays alternating.
    const sizes = [5, 300, 1, 64, 17, 2, 129, 8, 33, 3, 12, 7, 90, 4, 41, 6, 256, 9, 5000, 20];
    const decayOf = (i: number) => (i % 3 === 0 ? 0 : 1e-2);
    const sgdOpts = { lr: 0.05, momentum: 0.9, nesterov: true };
    const dispatches: number[] = [];
    for (const perModule of [false, true]) {
      const ps = sizes.map((n) => randomArray(n));
      const ts = ps.map((p) => paramWithGrad(p, randomArray(p.length)));
      const byDecay = [0, 1e-2].map((wd) => ({
        params: ts.filter((_, i) => decayOf(i) === wd),
        weightDecay: wd,
      }));
      const groups = perModule
        ? ts.map((t, i) => ({ params: [t], weightDecay: decayOf(i) }))
        : byDecay;
      const opt = new Sgd(groups, sgdOpts);
      const momentum = ps.map((p) => new Float64Array(p.length));
      const before = gpu.dispatchCount;
      for (let step = 1; step <= 2; step++) {
        opt.zeroGrad();
        ts.forEach((t, i) => {
          if ((i + step) % 5 === 0) return; // no gradient reached it this step
          const g = randomArray(t.size);
          upload(t.grad!, Float32Array.from(g));
          t.gradIsStale = false;
          ref.sgdStep(ps[i], g, momentum[i], { ...sgdOpts, weightDecay: decayOf(i) });
        });
        opt.step();
      }
      dispatches.push(gpu.dispatchCount - before);
      const got = await readAll(ts);
      got.forEach((g, i) => assertClose(g, ps[i], `parameter ${i} (${sizes[i]} values)`));
      opt.dispose();
      for (const t of ts) t.dispose();
    }
    const [twoGroups, perModule] = dispatches;
    if (perModule !== twoGroups) {
      throw new Error(`one group per tensor: ${perModule} dispatches, two groups: ${twoGroups}`);
    }
  },
);
