/**
 * The weight-step path choices (src/supernet/path_sampling.ts): fair groups train each
 * candidate exactly once, uniform sampling passes a χ² test, proportional sampling is
 * the caller's draw, and the update phases (zero, accumulate, apply, flush) are right.
 */
import assert from "node:assert/strict";
import {
  parsePathSampling,
  WeightPathSampler,
  type WeightStepPlan,
} from "../src/supernet/path_sampling.ts";
import { Rng } from "../src/util/rng.ts";

function counts(plans: readonly WeightStepPlan[], layer: number, k: number): number[] {
  const c = new Array(k).fill(0);
  for (const p of plans) c[p.path[layer]]++;
  return c;
}

Deno.test("fair sampling trains every candidate exactly once per group of m steps", () => {
  const choices = [5, 4, 5, 2];
  const sampler = new WeightPathSampler("fair", choices);
  assert.equal(sampler.groupSize, 5);
  const rng = new Rng(7);
  for (let group = 0; group < 20; group++) {
    const plans = Array.from({ length: 5 }, () => sampler.next(rng));
    // The update phases: zero on the first step, apply on the last, accumulate between.
    assert.deepEqual(plans.map((p) => p.zeroGrad), [true, false, false, false, false]);
    assert.deepEqual(plans.map((p) => p.apply), [false, false, false, false, true]);
    // Layers with m candidates: each exactly once.
    assert.deepEqual(counts(plans, 0, 5), [1, 1, 1, 1, 1]);
    assert.deepEqual(counts(plans, 2, 5), [1, 1, 1, 1, 1]);
    // Fewer candidates wrap around: each once, then a new permutation (counts differ ≤ 1).
    const four = counts(plans, 1, 4);
    assert.equal(four.reduce((a, b) => a + b), 5);
    assert.ok(four.every((c) => c === 1 || c === 2), `layer of 4: ${four}`);
    assert.deepEqual(new Set(plans.slice(0, 4).map((p) => p.path[1])).size, 4);
    const two = counts(plans, 3, 2);
    assert.ok(two.every((c) => c === 2 || c === 3), `layer of 2: ${two}`);
  }
});

Deno.test("fair sampling: equal counts over a run, and the order is not fixed", () => {
  const sampler = new WeightPathSampler("fair", [4]);
  const rng = new Rng(1);
  const plans = Array.from({ length: 400 }, () => sampler.next(rng));
  assert.deepEqual(counts(plans, 0, 4), [100, 100, 100, 100]);
  const firsts = new Set(plans.filter((_, i) => i % 4 === 0).map((p) => p.path[0]));
  assert.equal(firsts.size, 4, "every candidate leads some group");
});

Deno.test("balanced sampling: fair's order, an update every step", () => {
  const sampler = new WeightPathSampler("balanced", [4, 3]);
  assert.equal(sampler.groupSize, 1);
  assert.equal(sampler.orderLength, 4);
  const rng = new Rng(3);
  for (let group = 0; group < 25; group++) {
    const plans = Array.from({ length: 4 }, () => sampler.next(rng));
    assert.ok(plans.every((p) => p.zeroGrad && p.apply), "one update a step");
    assert.deepEqual(counts(plans, 0, 4), [1, 1, 1, 1]);
    assert.ok(counts(plans, 1, 3).every((c) => c === 1 || c === 2));
    assert.equal(sampler.pending, false);
  }
  sampler.next(rng);
  assert.equal(sampler.flush(), false, "nothing is ever pending");
  // After a flush a new order starts: the next 4 steps again hold every candidate once.
  const plans = Array.from({ length: 4 }, () => sampler.next(rng));
  assert.deepEqual(counts(plans, 0, 4), [1, 1, 1, 1]);
});

Deno.test("flush ends a group early and says whether an update is pending", () => {
  const sampler = new WeightPathSampler("fair", [3, 3]);
  const rng = new Rng(2);
  assert.equal(sampler.flush(), false, "nothing pending before the first step");
  sampler.next(rng);
  sampler.next(rng);
  assert.equal(sampler.pending, true);
  assert.equal(sampler.flush(), true);
  assert.equal(sampler.pending, false);
  const next = sampler.next(rng);
  assert.equal(next.zeroGrad, true, "a new group starts after a flush");
  assert.equal(next.apply, false);
  // One-path modes never leave anything pending.
  const uniform = new WeightPathSampler("uniform", [3]);
  const plan = uniform.next(rng);
  assert.ok(plan.zeroGrad && plan.apply);
  assert.equal(uniform.flush(), false);
});

Deno.test("uniform sampling passes a χ² bound in every layer", () => {
  const choices = [7, 4];
  const sampler = new WeightPathSampler("uniform", choices);
  const rng = new Rng(11);
  const n = 7_000;
  const plans = Array.from({ length: n }, () => sampler.next(rng));
  // χ² critical values at p = 0.001: 6 dof 22.46, 3 dof 16.27.
  const critical = [22.46, 16.27];
  choices.forEach((k, l) => {
    const expected = n / k;
    const chi2 = counts(plans, l, k).reduce((s, c) => s + (c - expected) ** 2 / expected, 0);
    assert.ok(chi2 < critical[l], `layer ${l}: χ² ${chi2.toFixed(2)}`);
  });
  // And it is not the degenerate draw: both layers vary.
  assert.ok(new Set(plans.map((p) => p.path.join())).size > 20);
});

Deno.test("proportional sampling is the caller's ∝ p draw", () => {
  let calls = 0;
  const sampler = new WeightPathSampler("draw", [3, 2], () => {
    calls++;
    return [2, 1];
  });
  const plan = sampler.next(new Rng(0));
  assert.deepEqual(plan.path, [2, 1]);
  assert.equal(calls, 1);
  assert.ok(plan.zeroGrad && plan.apply);
  assert.throws(() => new WeightPathSampler("draw", [3]).next(new Rng(0)), /draw/);
});

Deno.test("--path-sampling values are checked in one line", () => {
  assert.equal(parsePathSampling("fair"), "fair");
  assert.throws(() => parsePathSampling("fairest"), /one of proportional, uniform, fair/);
});

Deno.test("a sampler restored mid-order continues the order an uninterrupted one walks", () => {
  for (const mode of ["balanced", "fair"] as const) {
    const rng = new Rng(5);
    const whole = new WeightPathSampler(mode, [6, 3, 2]);
    const uninterrupted = Array.from({ length: 14 }, () => whole.next(rng).path.join());
    // Cut after step 4 (mid-order): the state and the Rng go into a checkpoint.
    const rng2 = new Rng(5);
    const first = new WeightPathSampler(mode, [6, 3, 2]);
    const before = Array.from({ length: 4 }, () => first.next(rng2).path.join());
    const saved = JSON.parse(JSON.stringify({ order: first.state(), rng: rng2.getState() }));
    const resumed = new WeightPathSampler(mode, [6, 3, 2]);
    resumed.restore(saved.order);
    const rng3 = new Rng(99);
    rng3.setState(saved.rng);
    const after = Array.from({ length: 10 }, () => resumed.next(rng3).path.join());
    assert.deepEqual([...before, ...after], uninterrupted, mode);
  }
});
