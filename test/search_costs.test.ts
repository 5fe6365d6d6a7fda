import assert from "node:assert/strict";
import { ArchAdam } from "../src/supernet/arch_optimizer.ts";
import { updateAlphaFromGates } from "../src/supernet/alpha_update.ts";
import { softmax } from "../src/supernet/gates.ts";
import { Eq6Term } from "../src/search/cost_term.ts";
import { relativeEntropy } from "../src/search/architecture_logits.ts";
import { deriveFromLogits, UNDECIDED_ENTROPY } from "../src/search/derive_argmax.ts";
import { expectedCost, pathCost } from "../src/search/expected_cost.ts";
import { fullChoices, spaceCosts } from "../src/search/space_costs.ts";
import { baselineSpace } from "../src/space/baseline_space.ts";
import { builtinBackbone } from "../src/space/backbone.ts";
import { countNetwork } from "../src/space/counting.ts";
import { networkFromChoices } from "../src/space/search_space_spec.ts";
import { Rng } from "../src/util/rng.ts";

const space = baselineSpace(builtinBackbone("compact-28")!);
const costs = spaceCosts(space);

Deno.test("space costs: a path's MAdds and weights from the tables equal the counted network's", () => {
  assert.equal(costs.searchable.length, 7, "compact-28: 7 searchable layers");
  assert.deepEqual(costs.choices, [6, 7, 6, 7, 6, 7, 6], "k3/5/7 × e3/6, + zero where allowed");
  const rng = new Rng(3);
  for (let trial = 0; trial < 20; trial++) {
    const path: number[] = costs.choices.map((k) => rng.int(k));
    const counted: { madds: number; weights: number } =
      countNetwork(networkFromChoices(space, fullChoices(space, costs, path))).total;
    assert.equal(pathCost(costs.madds, path), counted.madds);
    assert.equal(pathCost(costs.params, path), counted.weights);
  }
});

Deno.test("Eq. 6 term: λ per million MAdds, a target's adapted λ, and their costs", () => {
  const none = new Eq6Term({ kind: "none" }, 1, 1e6);
  assert.equal(none.costScale(5e6), 0);
  assert.equal(none.lambda, null);
  const fixed = new Eq6Term({ kind: "fixed", lambda: 0.02 }, 1, 1e6);
  assert.ok(Math.abs(fixed.costScale(5e6) - 0.02e-6) < 1e-18);
  assert.ok(Math.abs(fixed.costLoss(5e6) - 0.1) < 1e-12);
  const target = new Eq6Term({ kind: "target", target: 4e6, initialLambda: 0.5 }, 1, 1e6);
  assert.ok(Math.abs(target.costScale(5e6) - 0.5 / 4e6) < 1e-18);
  assert.ok(Math.abs(target.costLoss(5e6) - 0.5 * 0.25) < 1e-12, "λ·(E − T)/T");
  target.update(6e6); // 50% over the target: λ grows
  assert.ok(target.lambda! > 0.5);
  const saved = target.getState();
  const copy = new Eq6Term({ kind: "target", target: 4e6, initialLambda: 0.5 }, 1, 1e6);
  copy.setState(saved);
  assert.equal(copy.lambda, target.lambda);
});

Deno.test("gradient step with Eq. 6's cost term lowers the expected MAdds; the cap holds", () => {
  let alphas = costs.choices.map((k) => new Array(k).fill(0));
  const optimizers = costs.choices.map((k) =>
    new ArchAdam(k, { lr: 0.05, beta1: 0, beta2: 0.999, eps: 1e-8 })
  );
  const eq6 = new Eq6Term({ kind: "fixed", lambda: 1 }, 1, 1e6);
  const rng = new Rng(5);
  const start = expectedCost(costs.madds, alphas).value;
  for (let step = 0; step < 20; step++) {
    const cost = expectedCost(costs.madds, alphas);
    const scale = eq6.costScale(cost.value);
    alphas = alphas.map((alpha, l) => {
      const active = [rng.int(alpha.length)];
      const other = (active[0] + 1 + rng.int(alpha.length - 1)) % alpha.length;
      active.push(other);
      return updateAlphaFromGates({
        alpha,
        active,
        gateGrads: [0, 0], // no accuracy signal: only the cost term acts
        optimizer: optimizers[l],
        extraGrad: cost.gradient[l].map((g) => scale * g),
      });
    });
  }
  const end = expectedCost(costs.madds, alphas).value;
  assert.ok(end < 0.97 * start, `E[MAdds] ${start} → ${end}`);
  // Every layer's cheapest candidate gained probability and its dearest lost it (Adam
  // moves every candidate below the layer's mean cost up at the same rate, so the
  // cheapest need not lead yet).
  alphas.forEach((alpha, l) => {
    const p = softmax(alpha);
    const c = costs.madds.perLayer[l];
    assert.ok(p[c.indexOf(Math.min(...c))] > 1 / c.length, `layer ${l}: cheapest ${p}`);
    assert.ok(p[c.indexOf(Math.max(...c))] < 1 / c.length, `layer ${l}: dearest ${p}`);
  });
  // Derivation: the argmax when it fits, repaired under a cap below it, never over.
  const free = deriveFromLogits(alphas, costs.madds, Infinity);
  assert.deepEqual(free.repairedLayers, []);
  const reversed = alphas.map((a) => a.map((v) => -v)); // prefers the expensive candidates
  const cheapest = costs.madds.fixed +
    costs.madds.perLayer.reduce((s, c) => s + Math.min(...c), 0);
  for (const cap of [cheapest, cheapest * 1.3, cheapest * 2]) {
    const fitted = deriveFromLogits(reversed, costs.madds, cap);
    assert.ok(pathCost(costs.madds, fitted.path) <= cap, `cap ${cap}`);
    fitted.probabilities.forEach((p, l) => assert.equal(p, softmax(reversed[l])[fitted.path[l]]));
  }
});

Deno.test("relative entropy of p, and a found network's note when p has not decided", () => {
  const close = (a: number | null, b: number) => a !== null && Math.abs(a - b) < 1e-12;
  assert.ok(close(relativeEntropy([[0.25, 0.25, 0.25, 0.25], [1 / 3, 1 / 3, 1 / 3]]), 1));
  assert.equal(relativeEntropy([[1, 0, 0], [0, 1]]), 0);
  // A single-candidate layer has no choice to make and is left out of the mean.
  assert.ok(close(relativeEntropy([[0.5, 0.5], [1]]), 1));
  assert.equal(relativeEntropy([[1]]), null);
  const costs = { fixed: 0, perLayer: [[1, 2, 3], [1, 2, 3]] };
  const undecided = (alphas: number[][]) =>
    deriveFromLogits(alphas, costs, Infinity).notes.some((n) => /close to uniform/.test(n));
  assert.ok(undecided([[0, 0.1, 0], [0.05, 0, 0]]));
  assert.ok(!undecided([[0, 4, 0], [3, 0, 0]]));
  // The threshold: a layer pair just above and just below it.
  const peak = (a: number) => [[a, 0, 0], [a, 0, 0]];
  const at = (a: number) => relativeEntropy(peak(a).map((l) => softmax(l)))!;
  assert.ok(at(0.5) > UNDECIDED_ENTROPY && undecided(peak(0.5)));
  assert.ok(at(2) < UNDECIDED_ENTROPY && !undecided(peak(2)));
});
