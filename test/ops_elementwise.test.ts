import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { add, hardSigmoid, mul, relu, relu6, sigmoid, silu } from "../src/ops/elementwise.ts";
import { reshape, subsample2x } from "../src/ops/shape.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { tidy } from "../src/tensor/engine.ts";
import { readAll, type Tensor } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";
import { sum } from "../src/ops/reduce.ts";

const rng = new Rng(7);

/** L = Σ r ⊙ f(...): backward with a random upstream gradient r. */
function seedFor(y: Tensor, r: ref.HostTensor): Tensor {
  return fromArray(y.shape, Float32Array.from(r.data));
}

const activations = [
  ["relu", relu, ref.reluForward, ref.reluBackward],
  ["relu6", relu6, ref.relu6Forward, ref.relu6Backward],
  ["sigmoid", sigmoid, ref.sigmoidForward, ref.sigmoidBackward],
  ["silu", silu, ref.siluForward, ref.siluBackward],
  ["hsigmoid", hardSigmoid, ref.hardSigmoidForward, ref.hardSigmoidBackward],
] as const;

for (const [name, op, fwd, bwd] of activations) {
  gpuTest(`${name}: forward and backward match the reference`, async () => {
    for (const shape of [[1, 3, 5, 7], [2, 5, 4, 4], [300]]) {
      const xh = ref.randomHost(shape, rng, 8); // spans both kinks of relu6
      const rh = ref.randomHost(shape, rng);
      const x = toGpu(xh);
      requireGrad(x);
      const y = tidy(() => {
        const y = op(x);
        backward(y, seedFor(y, rh));
        return y;
      });
      const [yg, dxg] = await readAll([y, x.grad!]);
      assertClose(yg, fwd(xh).data, `${name} forward ${shape}`);
      assertClose(dxg, bwd(xh, rh).data, `${name} backward ${shape}`);
      x.dispose();
      y.dispose();
    }
  });
}

const broadcastCases: [number[], number[]][] = [
  [[2, 3, 5, 5], [2, 3, 5, 5]],
  [[2, 3, 4, 4], [2, 3, 4, 4]], // whole vec4 groups
  [[2, 3, 5, 5], [2, 3, 1, 1]], // squeeze-and-excitation scale
  [[3, 6, 2, 3], [6, 1, 1]], // per-channel bias-like
  [[1, 7, 3, 3], [1]],
  [[5, 1, 1], [4, 5, 1, 6]], // both sides broadcast
];

for (const opName of ["add", "mul"] as const) {
  gpuTest(`${opName}: broadcasting forward and backward match the reference`, async () => {
    for (const [sa, sb] of broadcastCases) {
      const ah = ref.randomHost(sa, rng);
      const bh = ref.randomHost(sb, rng);
      const a = requireGrad(toGpu(ah, "a"));
      const b = requireGrad(toGpu(bh, "b"));
      const expected = opName === "add" ? ref.add(ah, bh) : ref.mul(ah, bh);
      const rh = ref.randomHost(expected.shape, rng);
      const y = tidy(() => {
        const y = opName === "add" ? add(a, b) : mul(a, b);
        backward(y, seedFor(y, rh));
        return y;
      });
      assert.deepEqual([...y.shape], expected.shape);
      const [yg, da, db] = await readAll([y, a.grad!, b.grad!]);
      const g = opName === "add" ? ref.addBackward(sa, sb, rh) : ref.mulBackward(ah, bh, rh);
      assertClose(yg, expected.data, `${opName} forward ${sa} ${sb}`);
      assertClose(da, g.da.data, `${opName} da ${sa} ${sb}`);
      assertClose(db, g.db.data, `${opName} db ${sa} ${sb}`);
      for (const t of [a, b, y]) t.dispose();
    }
  });
}

gpuTest("add: shapes that do not broadcast are rejected", () => {
  tidy(() => {
    const a = fromArray([2, 3], new Float32Array(6));
    const b = fromArray([4], new Float32Array(4));
    assert.throws(() => add(a, b), /add: shapes \[2,3\] and \[4\] do not broadcast/);
  });
});

gpuTest("autograd: a tensor used twice gets the sum of both gradients", async () => {
  // L = Σ (x·x + x) → dL/dx = 2x + 1; sizes in whole vec4 groups and not.
  for (const shape of [[3, 4], [3, 5]]) {
    const xh = ref.randomHost(shape, rng);
    const x = requireGrad(toGpu(xh));
    tidy(() => backward(sum(add(mul(x, x), x))));
    const [g] = await readAll([x.grad!]);
    assertClose(g, xh.data.map((v) => 2 * v + 1), `d(x² + x)/dx ${shape}`);
    x.dispose();
  }
});

gpuTest("subsample2x keeps pixel (2y, 2x) and scatters the gradient back", async () => {
  for (const [n, c, h, w] of [[2, 3, 5, 6], [1, 1, 4, 4], [1, 2, 1, 3]]) {
    const xh = ref.randomHost([n, c, h, w], rng);
    const ho = Math.floor((h - 1) / 2) + 1;
    const wo = Math.floor((w - 1) / 2) + 1;
    const expected = new Float64Array(n * c * ho * wo);
    const rh = ref.randomHost([n, c, ho, wo], rng);
    const dxExpected = new Float64Array(n * c * h * w);
    for (let p = 0; p < n * c; p++) {
      for (let y = 0; y < ho; y++) {
        for (let x = 0; x < wo; x++) {
          const o = (p * ho + y) * wo + x;
          const i = (p * h + 2 * y) * w + 2 * x;
          expected[o] = xh.data[i];
          dxExpected[i] = rh.data[o];
        }
      }
    }
    const xt = requireGrad(toGpu(xh));
    const y = tidy(() => {
      const y = subsample2x(xt);
      backward(y, seedFor(y, rh));
      return y;
    });
    assert.deepEqual([...y.shape], [n, c, ho, wo]);
    const [yg, dx] = await readAll([y, xt.grad!]);
    assertClose(yg, expected, "subsample forward", 1e-7);
    assertClose(dx, dxExpected, "subsample backward", 1e-7);
    xt.dispose();
    y.dispose();
  }
});

gpuTest("reshape copies values and passes the gradient through", async () => {
  const xh = ref.randomHost([2, 6], rng);
  const x = requireGrad(toGpu(xh));
  const rh = ref.randomHost([2, 6, 1, 1], rng);
  const y = tidy(() => {
    const y = reshape(x, [2, 6, 1, 1]);
    backward(y, seedFor(y, rh));
    return y;
  });
  const [yg, dx] = await readAll([y, x.grad!]);
  assertClose(yg, xh.data, "reshape forward", 1e-7);
  assertClose(dx, rh.data, "reshape backward", 1e-7);
  assert.throws(() => reshape(x, [5]), /reshape: .* has 12 elements, \[5\] needs 5/);
  x.dispose();
  y.dispose();
});
