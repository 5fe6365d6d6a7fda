/**
 * The harness the batch-norm op tests share: random host inputs, one GPU run of a
 * BN op and its backward on a kernel family, and the gradients of eval mode, where
 * the statistics are constants.
 */
import assert from "node:assert/strict";
import { assertClose, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll, type Tensor } from "../src/tensor/tensor.ts";
import type { Rng } from "../src/util/rng.ts";

/** A BN layer's input and parameters on the host. */
export interface BnHost {
  x: ref.HostTensor;
  gamma: ref.HostTensor;
  beta: ref.HostTensor;
  runMean: ref.HostTensor;
  runVar: ref.HostTensor;
}

/**
 * x uniform in ±2 plus `offset` (rounded to f32, as the GPU sees it), γ in
 * ±`gammaScale`, β in ±`betaScale`, a running mean in ±1 and a running variance in
 * [0.5, 2]; drawn from `rng` in that order.
 */
export function bnHostInputs(
  shape: readonly number[],
  rng: Rng,
  { offset = 0, gammaScale = 1, betaScale = 1 } = {},
): BnHost {
  const c = shape[1];
  const x = ref.randomHost(shape, rng, 2);
  for (let i = 0; i < x.data.length; i++) x.data[i] = Math.fround(x.data[i] + offset);
  return {
    x,
    gamma: ref.randomHost([c], rng, gammaScale),
    beta: ref.randomHost([c], rng, betaScale),
    runMean: ref.randomHost([c], rng),
    runVar: ref.hostTensor([c], Array.from({ length: c }, () => rng.uniform(0.5, 2))),
  };
}

/** The GPU tensors a BN op reads: x, γ and β need gradients, the running statistics not. */
export interface BnTensors {
  x: Tensor;
  gamma: Tensor;
  beta: Tensor;
  runMean: Tensor;
  runVar: Tensor;
}

/** What one run read back: the output, the running statistics after it, the gradients. */
export interface BnRun {
  y: Float32Array;
  runMean: Float32Array;
  runVar: Float32Array;
  dx: Float32Array;
  dgamma: Float32Array;
  dbeta: Float32Array;
  /** The gradients of `params`, in order. */
  dparams: Float32Array[];
}

/**
 * Uploads `h` (and `params`, which need gradients too: a conv's weights), runs `op`
 * and its backward from `dy` on the `variant` kernels, reads everything back with
 * one sync and frees the tensors.
 */
export async function runBnOp(
  variant: "register" | "tiled",
  h: BnHost,
  dy: ref.HostTensor,
  op: (t: BnTensors, params: Tensor[]) => Tensor,
  params: ref.HostTensor[] = [],
): Promise<BnRun> {
  const t: BnTensors = {
    x: requireGrad(toGpu(h.x, "x")),
    gamma: requireGrad(toGpu(h.gamma, "gamma")),
    beta: requireGrad(toGpu(h.beta, "beta")),
    runMean: toGpu(h.runMean, "rm"),
    runVar: toGpu(h.runVar, "rv"),
  };
  const p = params.map((host, i) => requireGrad(toGpu(host, `param${i}`)));
  try {
    const y = withKernelVariant(variant, () =>
      tidy(() => {
        const y = op(t, p);
        backward(y, toGpu(dy, "dy"));
        return y;
      }));
    const [yg, rm, rv, dx, dgamma, dbeta, ...dparams] = await readAll([
      y,
      t.runMean,
      t.runVar,
      t.x.grad!,
      t.gamma.grad!,
      t.beta.grad!,
      ...p.map((q) => q.grad!),
    ]);
    y.dispose();
    return { y: yg, runMean: rm, runVar: rv, dx, dgamma, dbeta, dparams };
  } finally {
    for (const tensor of [...Object.values(t), ...p]) tensor.dispose();
  }
}

/**
 * Eval-mode BN gradients from ∂L/∂z (z = the BN output): with constant statistics
 * dx = γ/σ·dz, dγ = Σ dz·(x − μ)/σ, dβ = Σ dz, σ = √(running var + eps).
 */
export function bnEvalGrads(
  h: BnHost,
  dz: ref.HostTensor,
  eps: number,
): { dx: Float64Array; dgamma: Float64Array; dbeta: Float64Array } {
  const [, c, hh, ww] = h.x.shape;
  const hw = hh * ww;
  const dx = new Float64Array(h.x.data.length);
  const dgamma = new Float64Array(c);
  const dbeta = new Float64Array(c);
  for (let i = 0; i < dx.length; i++) {
    const ch = Math.floor(i / hw) % c;
    const inv = 1 / Math.sqrt(h.runVar.data[ch] + eps);
    dx[i] = dz.data[i] * h.gamma.data[ch] * inv;
    dgamma[ch] += dz.data[i] * (h.x.data[i] - h.runMean.data[ch]) * inv;
    dbeta[ch] += dz.data[i];
  }
  return { dx, dgamma, dbeta };
}

/** One case of a BN → ReLU6 → conv op: the conv's weights and grouping, BN's settings. */
export interface BnActConvCase {
  h: BnHost;
  weights: ref.HostTensor;
  conv: { stride: number; groups: number };
  training: boolean;
  momentum: number;
  eps: number;
  /** Names the case in assertion messages. */
  what: string;
  /** Draws the upstream gradient. */
  rng: Rng;
}

/**
 * Runs `op` (conv(relu6(bn(x))) as one op, built from the tensors and the weights) on the
 * `variant` kernels and checks it against the CPU reference of the three ops in turn:
 * the output, dw, the running statistics (updated in training, kept in eval) and dx, dγ, dβ.
 */
export async function assertBnActConv(
  variant: "register" | "tiled",
  c: BnActConvCase,
  op: (t: BnTensors, weights: Tensor) => Tensor,
): Promise<void> {
  const { h, eps, what } = c;
  const trained = c.training ? ref.batchNorm2dTrain(h.x, h.gamma, h.beta, eps) : null;
  const z = trained?.y ?? ref.batchNorm2dEval(h.x, h.gamma, h.beta, h.runMean, h.runVar, eps);
  const a = ref.ACTIVATIONS.relu6.forward(z);
  const yRef = ref.conv2d(a, c.weights, c.conv);
  const dy = ref.randomHost(yRef.shape, c.rng);
  const convGrads = ref.conv2dBackward(a, c.weights, dy, c.conv);
  const dz = ref.ACTIVATIONS.relu6.backward(z, convGrads.dx);

  const g = await runBnOp(variant, h, dy, (t, [w]) => op(t, w), [c.weights]);
  assertClose(g.y, yRef.data, `y ${what}`);
  assertClose(g.dparams[0], convGrads.dw.data, `dw ${what}`);
  if (trained) {
    const e = ref.batchNorm2dBackward(h.x, h.gamma, trained.mean, trained.invStd, dz);
    ref.updateRunningStats(h.runMean, h.runVar, trained.mean, trained.varUnbiased, c.momentum);
    assertClose(g.runMean, h.runMean.data, `running mean ${what}`);
    assertClose(g.runVar, h.runVar.data, `running var ${what}`);
    assertClose(g.dx, e.dx.data, `dx ${what}`);
    assertClose(g.dgamma, e.dgamma.data, `dgamma ${what}`);
    assertClose(g.dbeta, e.dbeta.data, `dbeta ${what}`);
  } else {
    const f32 = (d: ArrayLike<number>) => [...Float32Array.from(d)];
    assert.deepEqual([...g.runMean], f32(h.runMean.data), `eval keeps the running mean ${what}`);
    assert.deepEqual([...g.runVar], f32(h.runVar.data), `eval keeps the running var ${what}`);
    const e = bnEvalGrads(h, dz, eps);
    assertClose(g.dx, e.dx, `dx ${what}`);
    assertClose(g.dgamma, e.dgamma, `dgamma ${what}`);
    assertClose(g.dbeta, e.dbeta, `dbeta ${what}`);
  }
}
