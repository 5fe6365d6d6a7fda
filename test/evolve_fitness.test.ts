import assert from "node:assert/strict";
import { Rng } from "../src/util/rng.ts";
import { cellMAdds, REFERENCE_CELL } from "../src/space/mod.ts";
import { LayerPopulation } from "../src/evolve/population.ts";
import { blendFitness, childFitness, updateFitness } from "../src/evolve/fitness.ts";
import { compensationFactor, compensationFactors } from "../src/evolve/compensation.ts";
import {
  binaryGate,
  eq4Gradient,
  rescaleActiveAlphas,
  sampleActivePaths,
  softmax,
} from "../src/supernet/gates.ts";

const SHAPE = { cin: 24, cout: 24, stride: 1, inputSize: 14 };

function smallPopulation(): LayerPopulation {
  return LayerPopulation.initial(new Rng(0), 5, 2, SHAPE, {
    maddsCap: 2 * cellMAdds(REFERENCE_CELL, 24, 24, 1, 14, 14),
    reference: REFERENCE_CELL,
    tau: 0.5,
    initFitness: 1,
  });
}

Deno.test("Eq. 5: alpha <- eps * alpha* + (1 - eps) * alpha_old on the sampled cells only", () => {
  assert.equal(blendFitness(1, 3, 0.25), 1.5);
  assert.equal(blendFitness(-2, 4, 1), 4);
  assert.equal(blendFitness(-2, 4, 0), -2);
  const pop = smallPopulation();
  const ids = pop.entries().map((e) => e.id);
  updateFitness(pop, [ids[2], ids[0]], [3, -1], 0.25);
  assert.equal(pop.require(ids[2]).fitness, 0.25 * 3 + 0.75 * 1);
  assert.equal(pop.require(ids[0]).fitness, 0.25 * -1 + 0.75 * 1);
  assert.equal(pop.require(ids[1]).fitness, 1);
  assert.throws(() => updateFitness(pop, [ids[0]], [1, 2], 0.5), /1 cell ids but 2/);
  assert.throws(() => updateFitness(pop, [ids[0]], [1], 1.5), /epsilon/);
  assert.throws(() => updateFitness(pop, [ids[0]], [NaN], 0.5), /NaN/);
  assert.throws(() => updateFitness(pop, ["missing"], [1], 0.5), /no cell with id "missing"/);
  assert.equal(childFitness("parent", 0.7, 0), 0.7);
  assert.equal(childFitness("init", 0.7, -0.1), -0.1);
});

Deno.test("softmax is stable for large logits and shift-invariant", () => {
  const p = softmax([1000, 1001, 999]);
  assert.ok(p.every(Number.isFinite));
  assert.ok(Math.abs(p.reduce((s, x) => s + x, 0) - 1) < 1e-12);
  const q = softmax([0, 1, -1]);
  p.forEach((x, i) => assert.ok(Math.abs(x - q[i]) < 1e-12));
  assert.ok(q[1] > q[0] && q[0] > q[2]);
  assert.ok(Math.abs(q[1] - Math.E / (1 + Math.E + 1 / Math.E)) < 1e-12);
});

Deno.test("Eq. 4 matches a finite-difference gradient of L(alpha) = sum softmax(alpha)_k c_k", () => {
  const alpha = [0.3, -1.2, 0.8, 0.05];
  const c = [2.0, -0.5, 1.3, 0.7]; // dL/dg_k = c_k
  const loss = (a: number[]) => softmax(a).reduce((s, p, k) => s + p * c[k], 0);
  const grad = eq4Gradient(c, softmax(alpha), [1, 1, 1, 1]);
  const h = 1e-6;
  alpha.forEach((_, i) => {
    const up = [...alpha];
    const down = [...alpha];
    up[i] += h;
    down[i] -= h;
    const numeric = (loss(up) - loss(down)) / (2 * h);
    assert.ok(Math.abs(grad[i] - numeric) < 1e-8, `i=${i}: ${grad[i]} vs ${numeric}`);
  });
  // Equal factors: the gradient sums to zero (scores stay centred).
  assert.ok(Math.abs(grad.reduce((s, g) => s + g, 0)) < 1e-12);
  // Factors scale each component.
  const scaled = eq4Gradient(c, softmax(alpha), [3, 1, 1, 0.5]);
  assert.ok(Math.abs(scaled[0] - 3 * grad[0]) < 1e-12);
  assert.ok(Math.abs(scaled[3] - 0.5 * grad[3]) < 1e-12);
  assert.throws(() => eq4Gradient([1], [0.5, 0.5], [1, 1]), /lengths differ/);
});

Deno.test("compensation factor n/n' is capped, 1 before training, read from the population", () => {
  assert.equal(compensationFactor(100, 20), 5);
  assert.equal(compensationFactor(100, 0), 10);
  assert.equal(compensationFactor(100, 0, 50), 50);
  assert.equal(compensationFactor(0, 0), 1);
  assert.equal(compensationFactor(100, 100), 1);
  assert.throws(() => compensationFactor(-1, 0), /must be >= 0/);
  assert.throws(() => compensationFactor(10, 1, 0.5), /cap/);
  const pop = smallPopulation();
  const ids = pop.entries().map((e) => e.id);
  pop.recordTraining([ids[0]], 40);
  pop.recordTraining([ids[1]], 400);
  assert.deepEqual(compensationFactors(pop, [ids[0], ids[1], ids[2]], 400, 10), [10, 1, 10]);
});

Deno.test("active paths are drawn in proportion to p, without replacement", () => {
  const p = [0.5, 0.3, 0.15, 0.05];
  const rng = new Rng(123);
  const draws = 20000;
  const single = [0, 0, 0, 0];
  const pairs = [0, 0, 0, 0];
  for (let t = 0; t < draws; t++) {
    single[sampleActivePaths(p, 1, rng)[0]]++;
    const pair = sampleActivePaths(p, 2, rng);
    assert.equal(pair.length, 2);
    assert.notEqual(pair[0], pair[1]);
    for (const i of pair) pairs[i]++;
  }
  single.forEach((n, i) => assert.ok(Math.abs(n / draws - p[i]) < 0.02, `single ${i}: ${n}`));
  // P(i in pair) = p_i + sum_{j != i} p_j p_i / (1 - p_j).
  p.forEach((pi, i) => {
    let inclusion = pi;
    p.forEach((pj, j) => (inclusion += j === i ? 0 : pj * pi / (1 - pj)));
    assert.ok(Math.abs(pairs[i] / draws - inclusion) < 0.02, `pair ${i}: ${pairs[i]}`);
  });
  // Zero probability paths are never drawn while others have mass.
  for (let t = 0; t < 200; t++) assert.notEqual(sampleActivePaths([0.5, 0, 0.5], 1, rng)[0], 1);
  assert.throws(() => sampleActivePaths(p, 5, rng), /count/);
  assert.throws(() => sampleActivePaths([0.5, -0.1], 1, rng), />= 0/);
});

Deno.test("binary gate: one-hot on an active path, chosen by p renormalised over the active set", () => {
  const p = [0.5, 0.3, 0.15, 0.05];
  const rng = new Rng(7);
  const counts = [0, 0, 0, 0];
  const draws = 20000;
  for (let t = 0; t < draws; t++) {
    const { gates, chosen } = binaryGate(p, [0, 2], rng);
    assert.equal(gates.reduce((s, g) => s + g, 0), 1);
    assert.equal(gates[chosen], 1);
    counts[chosen]++;
  }
  assert.equal(counts[1] + counts[3], 0);
  assert.ok(Math.abs(counts[0] / draws - 0.5 / 0.65) < 0.02, `${counts[0]}`);
  assert.throws(() => binaryGate(p, [], rng), /no active paths/);
  assert.throws(() => binaryGate(p, [4], rng), /not in \[0, 4\)/);
});

Deno.test("two-path rescaling keeps the inactive paths' probabilities", () => {
  const before = [0.2, -0.4, 1.0, 0.3];
  const after = [0.2, -0.1, 0.6, 0.3]; // an update that moved the active pair (1, 2)
  const rescaled = rescaleActiveAlphas(before, after, [1, 2]);
  const p0 = softmax(before);
  const p1 = softmax(rescaled);
  assert.ok(Math.abs(p1[0] - p0[0]) < 1e-12 && Math.abs(p1[3] - p0[3]) < 1e-12);
  assert.ok(p1[1] > p0[1] && p1[2] < p0[2]);
  // The pair's relative odds are those of the update.
  assert.ok(Math.abs((rescaled[1] - rescaled[2]) - (after[1] - after[2])) < 1e-12);
});
