import assert from "node:assert/strict";
import { adamStep, maxRelError, sgdStep } from "../src/reference/mod.ts";

function close(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, tol = 1e-14) {
  const err = maxRelError(actual, expected);
  assert.ok(
    err <= tol,
    `${what}: error ${err}; got [${Array.from(actual)}], want [${Array.from(expected)}]`,
  );
}

Deno.test("sgdStep with momentum and weight decay, two steps by hand", () => {
  const p = new Float64Array([1, -2]);
  const g = new Float64Array([0.5, 0.25]);
  const buf = new Float64Array(2);
  const opts = { lr: 0.1, momentum: 0.9, weightDecay: 0.01 };
  // Step 1: g' = g + 0.01·p = [0.51, 0.23] = buf; p = [0.949, −2.023].
  sgdStep(p, g, buf, opts);
  close(buf, [0.51, 0.23], "buf 1");
  close(p, [0.949, -2.023], "p 1");
  // Step 2: g' = [0.50949, 0.22977]; buf = 0.9·buf + g' = [0.96849, 0.43677].
  sgdStep(p, g, buf, opts);
  close(buf, [0.96849, 0.43677], "buf 2");
  close(p, [0.852151, -2.066677], "p 2");
  assert.deepEqual([...g], [0.5, 0.25], "grad is not modified");
});

Deno.test("sgdStep nesterov, dampening and plain SGD", () => {
  // Nesterov, momentum 0.9, lr 0.1, grad 1: step 1 buf 1, g = 1.9, p = 0.81;
  // step 2 buf 1.9, g = 1 + 0.9·1.9 = 2.71, p = 0.539.
  const p = new Float64Array([1]);
  const buf = new Float64Array(1);
  const one = new Float64Array([1]);
  sgdStep(p, one, buf, { lr: 0.1, momentum: 0.9, nesterov: true });
  close(p, [0.81], "nesterov 1");
  sgdStep(p, one, buf, { lr: 0.1, momentum: 0.9, nesterov: true });
  close(p, [0.539], "nesterov 2");

  // Dampening 0.5: PyTorch's first step sets buf = g (firstStep), later steps damp.
  const q = new Float64Array([0]);
  const qb = new Float64Array(1);
  const two = new Float64Array([2]);
  sgdStep(q, two, qb, { lr: 1, momentum: 0.9, dampening: 0.5, firstStep: true });
  close(q, [-2], "dampening, first step");
  sgdStep(q, two, qb, { lr: 1, momentum: 0.9, dampening: 0.5 });
  close(qb, [2.8], "dampening buf");
  close(q, [-4.8], "dampening, second step");
  // Without firstStep the zero-initialised buffer damps the first step too.
  const z = new Float64Array([0]);
  sgdStep(z, two, new Float64Array(1), { lr: 1, momentum: 0.9, dampening: 0.5 });
  close(z, [-1], "zero buffer with dampening");

  // No momentum: p ← p − lr·(g + wd·p); the buffer may be null.
  const s = new Float64Array([2, -1]);
  sgdStep(s, new Float64Array([1, 1]), null, { lr: 0.5, weightDecay: 0.1 });
  close(s, [2 - 0.5 * 1.2, -1 - 0.5 * 0.9], "plain SGD");

  assert.throws(() => sgdStep(s, one, null, { lr: 0.1 }), /grad has 1 entries/);
  assert.throws(() => sgdStep(p, one, null, { lr: 0.1, momentum: 0.9 }), /momentum buffer/);
  assert.throws(
    () => sgdStep(p, one, buf, { lr: 0.1, momentum: 0.9, dampening: 0.1, nesterov: true }),
    /nesterov/,
  );
});

Deno.test("adamStep, two steps by hand (PyTorch defaults)", () => {
  const p = new Float64Array([1]);
  const m = new Float64Array(1);
  const v = new Float64Array(1);
  // t = 1, g = 0.5: m = 0.05, v = 2.5e-4; m̂ = 0.5, v̂ = 0.25;
  // p = 1 − 0.1·0.05/0.1 / (sqrt(2.5e-4)/sqrt(1e-3) + 1e-8) = 1 − 0.05/(0.5 + 1e-8).
  adamStep(p, new Float64Array([0.5]), m, v, 1, { lr: 0.1 });
  close(m, [0.05], "m 1");
  close(v, [0.00025], "v 1");
  close(p, [1 - 0.05 / (0.5 + 1e-8)], "p 1");
  // t = 2, g = −0.25: m = 0.02, v = 3.1225e-4, bias corrections 0.19 and 0.001999.
  adamStep(p, new Float64Array([-0.25]), m, v, 2, { lr: 0.1 });
  close(m, [0.02], "m 2");
  close(v, [0.00031225], "v 2");
  close(p, [0.8733662987078462], "p 2", 1e-13);
});

Deno.test("adamStep with beta1 = 0 and L2 weight decay", () => {
  // β1 = 0: m = g, bias correction 1. g' = 0 + 0.5·2 = 1, v = 1e-3, v̂ = 1.
  const p = new Float64Array([2]);
  const m = new Float64Array(1);
  const v = new Float64Array(1);
  adamStep(p, new Float64Array([0]), m, v, 1, { lr: 0.01, beta1: 0, weightDecay: 0.5 });
  close(m, [1], "m equals the decayed gradient");
  close(p, [2 - 0.01 / (1 + 1e-8)], "p");
  // Second step, g' = 0.5·p: m = g' exactly (no momentum).
  const p1 = p[0];
  adamStep(p, new Float64Array([0]), m, v, 2, { lr: 0.01, beta1: 0, weightDecay: 0.5 });
  close(m, [0.5 * p1], "m step 2");
  assert.throws(() => adamStep(p, new Float64Array([0]), m, v, 0, { lr: 0.1 }), /1-based/);
  assert.throws(() => adamStep(p, new Float64Array(2), m, v, 1, { lr: 0.1 }), /must match/);
});

Deno.test("sgdStep and adamStep descend a quadratic", () => {
  // f(p) = ½‖p‖², ∇f = p: both optimizers must shrink ‖p‖ substantially.
  for (const kind of ["sgd", "adam"]) {
    const p = new Float64Array([3, -4, 0.5]);
    const a = new Float64Array(3);
    const b = new Float64Array(3);
    for (let t = 1; t <= 200; t++) {
      const g = p.slice();
      if (kind === "sgd") sgdStep(p, g, a, { lr: 0.05, momentum: 0.9 });
      else adamStep(p, g, a, b, t, { lr: 0.05 });
    }
    const norm = Math.hypot(...p);
    assert.ok(norm < 0.05, `${kind}: ‖p‖ = ${norm}`);
  }
});
