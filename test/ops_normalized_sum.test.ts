/**
 * normalizedSum (src/ops/normalized_sum.ts) against the CPU reference of batch norm,
 * activation and addition done one after another: the sum, the running statistics, and
 * the gradients of every x, γ and β. Cases mix plain and normalised terms (two and
 * three), ReLU6 and no activation, vec4 planes (14×14) and scalar ones (7×7), training
 * and eval mode, and one tensor that is two of the terms.
 */
import assert from "node:assert/strict";
import { assertClose, gpuTest, throwsLine, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { bnChannelRecords } from "../src/ops/batch_norm.ts";
import { normalizedSum, type SumTerm } from "../src/ops/normalized_sum.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll, type Tensor } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(47);
const EPS = 1e-5;
const MOMENTUM = 0.2;

type TermCase = "plain" | "relu6" | "none";

interface HostTerm {
  kind: TermCase;
  x: ref.HostTensor;
  gamma: ref.HostTensor;
  beta: ref.HostTensor;
  runMean: ref.HostTensor;
  runVar: ref.HostTensor;
}

function hostTerm(kind: TermCase, shape: number[]): HostTerm {
  const c = shape[1];
  return {
    kind,
    x: ref.randomHost(shape, rng, 2),
    gamma: ref.randomHost([c], rng, 2),
    beta: ref.randomHost([c], rng, 1),
    runMean: ref.randomHost([c], rng, 0.5),
    runVar: ref.hostTensor([c], Array.from({ length: c }, () => rng.uniform(0.5, 2))),
  };
}

/** The reference: each term's act(bn(x)) (or x), summed; its gradients from dout. */
function reference(terms: HostTerm[], training: boolean, dout: ref.HostTensor) {
  const sum = new Float64Array(dout.data.length);
  const grads = terms.map((t) => {
    if (t.kind === "plain") {
      t.x.data.forEach((v, i) => sum[i] += v);
      return { dx: dout.data, dgamma: null, dbeta: null };
    }
    const act = t.kind === "relu6" ? ref.ACTIVATIONS.relu6 : null;
    if (training) {
      const bn = ref.batchNorm2dTrain(t.x, t.gamma, t.beta, EPS);
      const y = act ? act.forward(bn.y) : bn.y;
      y.data.forEach((v, i) => sum[i] += v);
      const dz = act ? act.backward(bn.y, dout) : dout;
      const g = ref.batchNorm2dBackward(t.x, t.gamma, bn.mean, bn.invStd, dz);
      ref.updateRunningStats(t.runMean, t.runVar, bn.mean, bn.varUnbiased, MOMENTUM);
      return { dx: g.dx.data, dgamma: g.dgamma.data, dbeta: g.dbeta.data };
    }
    // Eval: constant statistics, so dx = dz·γ/σ, dγ = Σ dz·x̂, dβ = Σ dz.
    const bn = ref.batchNorm2dEval(t.x, t.gamma, t.beta, t.runMean, t.runVar, EPS);
    const y = act ? act.forward(bn) : bn;
    y.data.forEach((v, i) => sum[i] += v);
    const dz = act ? act.backward(bn, dout) : dout;
    const [, c, h, w] = t.x.shape;
    const dx = new Float64Array(dz.data.length);
    const dgamma = new Float64Array(c);
    const dbeta = new Float64Array(c);
    for (let i = 0; i < dz.data.length; i++) {
      const ch = Math.floor(i / (h * w)) % c;
      const inv = 1 / Math.sqrt(t.runVar.data[ch] + EPS);
      dx[i] = dz.data[i] * t.gamma.data[ch] * inv;
      dgamma[ch] += dz.data[i] * (t.x.data[i] - t.runMean.data[ch]) * inv;
      dbeta[ch] += dz.data[i];
    }
    return { dx, dgamma, dbeta };
  });
  return { sum, grads };
}

async function check(kinds: TermCase[], shape: number[], training: boolean, shared = false) {
  const host = kinds.map((k) => hostTerm(k, shape));
  if (shared) host[1].x = host[0].x; // one tensor, two terms
  const dout = ref.randomHost(shape, rng);
  const gpu = host.map((h) => ({
    x: requireGrad(toGpu(h.x, "x")),
    gamma: requireGrad(toGpu(h.gamma, "gamma")),
    beta: requireGrad(toGpu(h.beta, "beta")),
    runMean: toGpu(h.runMean, "rm"),
    runVar: toGpu(h.runVar, "rv"),
  }));
  if (shared) gpu[1].x = gpu[0].x;
  const y = tidy(() => {
    const terms = host.map((h, k): SumTerm => {
      const g = gpu[k];
      if (h.kind === "plain") return { x: g.x };
      const opts = { training, momentum: MOMENTUM, eps: EPS, act: h.kind };
      const records = bnChannelRecords(g.x, g.gamma, g.beta, g.runMean, g.runVar, opts);
      return { x: g.x, norm: { gamma: g.gamma, beta: g.beta, records, act: h.kind } };
    });
    const sum = normalizedSum(terms);
    backward(sum, toGpu(dout, "dout"));
    return sum;
  });
  const expected = reference(host, training, dout);
  const what = `${kinds.join("+")} ${shape} ${training ? "training" : "eval"}${
    shared ? " shared" : ""
  }`;
  const [got] = await readAll([y]);
  assertClose(got, expected.sum, `sum ${what}`);
  // A shared x receives both terms' gradients.
  const dxWant = (k: number) =>
    shared && k < 2
      ? expected.grads[0].dx.map((v, i) => v + expected.grads[1].dx[i])
      : expected.grads[k].dx;
  for (const [k, h] of host.entries()) {
    const [dx] = await readAll([gpu[k].x.grad!]);
    assertClose(dx, dxWant(k), `dx of term ${k}, ${what}`);
    if (h.kind === "plain") continue;
    const [dgamma, dbeta, rm, rv] = await readAll([
      gpu[k].gamma.grad!,
      gpu[k].beta.grad!,
      gpu[k].runMean,
      gpu[k].runVar,
    ]);
    assertClose(dgamma, expected.grads[k].dgamma!, `dgamma of term ${k}, ${what}`);
    assertClose(dbeta, expected.grads[k].dbeta!, `dbeta of term ${k}, ${what}`);
    assertClose(rm, h.runMean.data, `running mean of term ${k}, ${what}`);
    assertClose(rv, h.runVar.data, `running var of term ${k}, ${what}`);
  }
  y.dispose();
  for (const g of gpu) for (const t of Object.values(g) as Tensor[]) if (!t.isDisposed) t.dispose();
}

gpuTest("normalizedSum: relu6 term plus a plain one (a residual), 14×14 planes", async () => {
  await check(["relu6", "plain"], [4, 8, 14, 14], true);
});

gpuTest("normalizedSum: three terms, 7×7 planes (scalar walk)", async () => {
  await check(["relu6", "none", "plain"], [3, 4, 7, 7], true);
});

gpuTest("normalizedSum: two normalised terms in eval mode", async () => {
  await check(["relu6", "relu6"], [2, 8, 4, 4], false);
});

gpuTest("normalizedSum: one tensor in two terms gets both gradients", async () => {
  await check(["relu6", "plain"], [2, 4, 8, 8], true, true);
});

gpuTest("normalizedSum: bad terms are one line", () => {
  const a = toGpu(ref.randomHost([1, 4, 4, 4], rng));
  const b = toGpu(ref.randomHost([1, 4, 4, 2], rng));
  throwsLine(() => normalizedSum([{ x: a }]), /needs 2 or more terms/);
  throwsLine(() => normalizedSum([{ x: a }, { x: b }]), /different shapes/);
  a.dispose();
  b.dispose();
  assert.ok(true);
});
