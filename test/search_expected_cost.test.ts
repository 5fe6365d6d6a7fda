import assert from "node:assert/strict";
import { adamStep, finiteDifferenceGrad, softmax } from "../src/reference/mod.ts";
import {
  type CostModel,
  derivedPath,
  expectedCost,
  pathCost,
  validateCostModel,
} from "../src/search/expected_cost.ts";
import {
  cheapestPath,
  CostCapError,
  fitUnderCap,
  requireReachableCap,
} from "../src/search/cost_cap.ts";
import { type CostPenalty, penalize, TargetLambda } from "../src/search/cost_penalty.ts";
import { Rng } from "../src/util/rng.ts";

function randomModel(rng: Rng, layers: number, maxChoices: number): CostModel {
  const perLayer = Array.from(
    { length: layers },
    () => Array.from({ length: 1 + rng.int(maxChoices) }, () => rng.uniform(0, 5e6)),
  );
  return { perLayer, fixed: rng.uniform(0, 1e6) };
}

function randomLogits(rng: Rng, model: CostModel, scale = 2): number[][] {
  return model.perLayer.map((c) => c.map(() => rng.uniform(-scale, scale)));
}

/** Flattens α into one vector and back, for the finite-difference helper. */
function flatten(alphas: number[][]): Float64Array {
  return Float64Array.from(alphas.flat());
}
function unflatten(x: Float64Array, like: number[][]): number[][] {
  let k = 0;
  return like.map((row) => row.map(() => x[k++]));
}

Deno.test("expected cost: ∂E/∂α matches central finite differences on random tables", () => {
  const rng = new Rng(11);
  for (let trial = 0; trial < 20; trial++) {
    const model = randomModel(rng, 1 + rng.int(6), 7);
    const alphas = randomLogits(rng, model);
    const { gradient } = expectedCost(model, alphas);
    const numeric = finiteDifferenceGrad(
      (x) => expectedCost(model, unflatten(x, alphas)).value,
      flatten(alphas),
    );
    const analytic = gradient.flat();
    const scale = Math.max(...analytic.map(Math.abs), 1);
    analytic.forEach((g, i) => {
      assert.ok(
        Math.abs(g - numeric[i]) <= 1e-6 * scale,
        `trial ${trial} entry ${i}: analytic ${g}, numeric ${numeric[i]}`,
      );
    });
  }
});

Deno.test("expected cost: equals Σ over every path of p(path)·cost(path)", () => {
  const rng = new Rng(3);
  const model = randomModel(rng, 4, 4);
  const alphas = randomLogits(rng, model);
  const p = alphas.map((a) => softmax(a));
  let exact = 0;
  const visit = (l: number, path: number[], prob: number) => {
    if (l === model.perLayer.length) {
      exact += prob * pathCost(model, path);
      return;
    }
    for (let i = 0; i < p[l].length; i++) visit(l + 1, [...path, i], prob * p[l][i]);
  };
  visit(0, [], 1);
  const { value } = expectedCost(model, alphas);
  assert.ok(Math.abs(value - exact) <= 1e-9 * exact, `${value} vs ${exact}`);
});

Deno.test("expected cost: shapes and values are validated", () => {
  const model: CostModel = { perLayer: [[1, 2], [3]], fixed: 0 };
  validateCostModel(model);
  assert.throws(() => validateCostModel({ perLayer: [[1, -1]], fixed: 0 }), /candidate 1/);
  assert.throws(() => validateCostModel({ perLayer: [[]], fixed: 0 }), /no candidates/);
  assert.throws(() => expectedCost(model, [[0, 0]]), /1 layers of logits/);
  assert.throws(() => pathCost(model, [2, 0]), /layer 0 chooses 2/);
  assert.deepEqual(derivedPath([[0, 3, 3], [-1]]), [1, 0]);
});

Deno.test("cost cap: the cheapest path, and a cap below it is one clear error", () => {
  const model: CostModel = { perLayer: [[5, 2, 9], [4, 4], [1, 7]], fixed: 10 };
  assert.deepEqual(cheapestPath(model), { path: [1, 0, 0], cost: 17 });
  assert.deepEqual(requireReachableCap(model, 17).path, [1, 0, 0]);
  assert.throws(
    () => requireReachableCap(model, 16.5, (c) => `${c} MAdds`),
    (e: unknown) =>
      e instanceof CostCapError && e.cheapest === 17 && !e.message.includes("\n") &&
      e.message.includes("16.5 MAdds") && e.message.includes("at least 17 MAdds"),
  );
});

Deno.test("cost cap: a repaired path fits, and no single more-preferred switch would fit", () => {
  const rng = new Rng(21);
  for (let trial = 0; trial < 200; trial++) {
    const model = randomModel(rng, 1 + rng.int(8), 6);
    const alphas = randomLogits(rng, model);
    const argmax = derivedPath(alphas);
    const lo = cheapestPath(model).cost;
    const hi = pathCost(model, argmax);
    const cap = lo + rng.next() * Math.max(hi - lo, 1);
    const { path, cost, changedLayers } = fitUnderCap(model, argmax, cap, alphas);
    assert.ok(cost <= cap, `trial ${trial}: ${cost} > cap ${cap}`);
    assert.equal(cost, pathCost(model, path));
    if (hi <= cap) assert.deepEqual(path, argmax);
    assert.deepEqual(changedLayers, path.flatMap((i, l) => (i === argmax[l] ? [] : [l])));
    path.forEach((i, l) => {
      for (let j = 0; j < alphas[l].length; j++) {
        if (alphas[l][j] <= alphas[l][i]) continue;
        const moved = path.map((k, m) => (m === l ? j : k));
        assert.ok(pathCost(model, moved) > cap, `trial ${trial}: layer ${l} could take ${j}`);
      }
    });
  }
  const tight: CostModel = { perLayer: [[3, 1]], fixed: 0 };
  assert.throws(() => fitUnderCap(tight, [0], 0.5, [[1, 0]]), CostCapError);
});

Deno.test("cost penalty: loss factors are ∂L/∂CE and ∂L/∂E of each form", () => {
  const penalties: CostPenalty[] = [
    { kind: "linear", lambda: 3e-7 },
    { kind: "add#linear", lambda: 0.1, target: 4e6 },
    { kind: "mul#log", alpha: 0.2, beta: 0.3, target: 4e6 },
  ];
  for (const penalty of penalties) {
    for (const [ce, e] of [[2.3, 3e6], [0.4, 9e6]]) {
      const got = penalize(penalty, ce, e);
      const h = 1e-6;
      const dCe = (penalize(penalty, ce + h, e).loss - penalize(penalty, ce - h, e).loss) / (2 * h);
      const he = e * 1e-6;
      const dE = (penalize(penalty, ce, e + he).loss - penalize(penalty, ce, e - he).loss) /
        (2 * he);
      assert.ok(Math.abs(got.ceScale - dCe) <= 1e-6 * Math.abs(dCe), `${penalty.kind} ∂L/∂CE`);
      assert.ok(Math.abs(got.costScale - dE) <= 1e-5 * Math.abs(dE), `${penalty.kind} ∂L/∂E`);
    }
  }
  const atTarget = penalize({ kind: "mul#log", alpha: 0.2, beta: 0.3, target: 4e6 }, 2, 4e6);
  assert.ok(Math.abs(atTarget.loss - 0.4) < 1e-12, "at E = T mul#log is a·CE");
});

Deno.test("target λ: Adam on α with CE + λ·(E − T)/T settles the expected cost at T", () => {
  // A toy search: each layer's candidates trade cost for "accuracy" q, and the
  // surrogate CE = −Σ p·q prefers the expensive ones, so only λ holds the cost down.
  for (const [seed, fraction] of [[8, 0.4], [9, 0.2], [10, 0.7]]) {
    const rng = new Rng(seed);
    const model = randomModel(rng, 6, 5);
    const q = model.perLayer.map((c) => c.map((ci) => Math.sqrt(ci / 5e6) + 0.05 * rng.next()));
    const lo = cheapestPath(model).cost;
    const hi = pathCost(model, model.perLayer.map((c) => c.indexOf(Math.max(...c))));
    const target = lo + fraction * (hi - lo);
    const control = new TargetLambda({ target });
    const alpha = new Float64Array(model.perLayer.flat().length);
    const m = new Float64Array(alpha.length);
    const v = new Float64Array(alpha.length);
    const shape = model.perLayer.map((c) => c.map(() => 0));
    const steps = 1000;
    let secondHalfMean = 0;
    for (let step = 1; step <= steps; step++) {
      const alphas = unflatten(alpha, shape);
      const cost = expectedCost(model, alphas);
      if (step > steps / 2) secondHalfMean += cost.value / (steps / 2);
      // ∂CE/∂α_li = −p_li(q_li − Σ_j p_lj q_lj), the same Jacobian as the cost's.
      const ceGrad = alphas.flatMap((a, l) => {
        const p = softmax(a);
        const mean = p.reduce((s, pi, i) => s + pi * q[l][i], 0);
        return Array.from(p, (pi, i) => -pi * (q[l][i] - mean));
      });
      const { ceScale, costScale } = penalize(control.penalty(), 0, cost.value);
      const costGrad = cost.gradient.flat();
      const grad = Float64Array.from(ceGrad, (g, i) => ceScale * g + costScale * costGrad[i]);
      adamStep(alpha, grad, m, v, step, { lr: 0.01, beta1: 0 });
      control.update(cost.value);
    }
    const relative = secondHalfMean / target - 1;
    assert.ok(Math.abs(relative) < 0.03, `seed ${seed}: mean E/T − 1 = ${relative.toFixed(4)}`);
  }
  const fixed = new TargetLambda({ target: 10, initial: 0.05 });
  assert.equal(fixed.update(5), 0, "λ stops at 0 while the cost is under the target");
  assert.ok(Math.abs(fixed.update(15) - 0.5) < 1e-12, "λ grows by η·(E/T − 1)");
});
