/**
 * The paired REINFORCE estimator: unbiased for ∂E_p[R]/∂α (exactly, by enumeration over
 * the two draws of a layer), the paths it scores, and on a planted problem — one
 * candidate per layer better, rewards noisy and shared noise per step — a decision for the
 * planted candidates that the batch estimator does not reach on the same rewards.
 */
import assert from "node:assert/strict";
import {
  drawAlternatives,
  everyCandidateLossGradient,
  pairedLossGradient,
} from "../src/search/paired_reinforce.ts";
import { asVariations, everyAlternative, variationPaths } from "../src/supernet/variation_paths.ts";
import { PairedEvidence } from "../src/search/paired_evidence.ts";
import { samplePath } from "../src/search/reinforce.ts";
import { ArchitectureLogits } from "../src/search/architecture_logits.ts";
import { softmax } from "../src/supernet/gates.ts";
import { Rng } from "../src/util/rng.ts";
import { throwsLine } from "./_helpers.ts";

Deno.test("paired estimator: its expectation over both draws is ∂E[R]/∂α", () => {
  const alpha = [0.3, -0.2, 0.9, 0];
  const p = softmax(alpha);
  const reward = [0.61, 0.55, 0.7, 0.4]; // R_k of each candidate, the context fixed
  const expected = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    for (let j = 0; j < 4; j++) {
      const alt = i === j ? null : j;
      const r = alt === null ? [reward[i]] : [reward[i], reward[j]];
      const g = pairedLossGradient([alpha], [i], [alt], r)[0];
      g.forEach((v, k) => expected[k] += p[i] * p[j] * v);
    }
  }
  const mean = reward.reduce((s, r, k) => s + p[k] * r, 0);
  reward.forEach((r, k) => {
    const exact = -p[k] * (r - mean); // ∂(−E[R])/∂α_k
    assert.ok(Math.abs(expected[k] - exact) < 1e-12, `candidate ${k}: ${expected[k]} vs ${exact}`);
  });
});

Deno.test("paired-all: every candidate scored gives ∂E[R]/∂α exactly, whatever the context", () => {
  const alphas = [[0.3, -0.2, 0.9, 0], [1, -1]];
  const reward = [[0.61, 0.55, 0.7, 0.4], [0.2, 0.9]]; // each layer's R_k, the rest fixed
  for (const context of [[0, 1], [2, 0], [3, 1]]) {
    const variations = everyAlternative([4, 2], context);
    assert.deepEqual(variations[0], [0, 1, 2, 3].filter((k) => k !== context[0]));
    const paths = variationPaths(context, variations);
    assert.equal(paths.length, 1 + 3 + 1);
    // A path's reward is that of its one switched layer (the context's for the first).
    const r = paths.map((path, k) => {
      if (k === 0) return 0.5;
      const l = path.findIndex((c, m) => c !== context[m]);
      return reward[l][path[l]] - reward[l][context[l]] + 0.5;
    });
    const g = everyCandidateLossGradient(alphas, context, r);
    alphas.forEach((alpha, l) => {
      const p = softmax(alpha);
      const rl = reward[l].map((x) => x - reward[l][context[l]] + 0.5);
      const mean = rl.reduce((sum, x, k) => sum + p[k] * x, 0);
      rl.forEach((x, k) => {
        const exact = -p[k] * (x - mean);
        assert.ok(Math.abs(g[l][k] - exact) < 1e-12, `layer ${l}, candidate ${k}`);
      });
    });
  }
  throwsLine(() => everyCandidateLossGradient(alphas, [0, 0], [1, 2]), /2 rewards for 5 paths/);
});

Deno.test("paired-all: every pair of a layer's candidates is one comparison a step", () => {
  const evidence = new PairedEvidence([3]);
  for (let step = 0; step < 40; step++) {
    const context = [step % 3];
    const variations = everyAlternative([3], context);
    // Candidate 0 is better than 1 by 0.1 and than 2 by 0.2, with noise shared by the step.
    const noise = (step % 5) * 0.01;
    const losses = variationPaths(context, variations).map((path) => 1 + 0.1 * path[0] + noise);
    evidence.record(step, [[1, 0, 0]], context, variations, losses);
  }
  const [layer] = evidence.summary(40)!.layers;
  assert.equal(layer.leader, 0);
  assert.deepEqual(layer.rivals.map((r) => r.n), [10, 10], "the window's 10 steps, each pair");
  assert.deepEqual(layer.rivals.map((r) => Number(r.mean.toFixed(12))), [-0.1, -0.2]);
  throwsLine(
    () => evidence.record(40, [[1, 0, 0]], [0], [[1, 2]], [1, 1]),
    /2 losses for 3 paths/,
  );
});

Deno.test("paired estimator: the context first, one variation per differing layer", () => {
  assert.deepEqual(variationPaths([0, 2, 1], asVariations([null, 0, 3])), [
    [0, 2, 1],
    [0, 0, 1],
    [0, 2, 3],
  ]);
  const g = pairedLossGradient([[0, 0], [0, 0, 0], [0, 0, 0, 0]], [0, 2, 1], [null, 0, 3], [
    0.5,
    0.3,
    0.9,
  ]);
  assert.deepEqual(g, [[0, 0], [0.1, 0, -0.1], [0, 0.2, 0, -0.2]]);
  throwsLine(() => pairedLossGradient([[0, 0]], [0], [1], [0.5]), /1 rewards for 1 context and 1/);
  const rng = new Rng(4);
  const alphas = [[0, 0, 0], [5, -5]];
  let same = 0;
  for (let t = 0; t < 400; t++) {
    const alt = drawAlternatives(alphas, [0, 0], rng);
    if (alt[1] === null) same++;
    assert.ok(alt[0] !== 0, "never the context's own candidate");
  }
  assert.ok(same > 380, `a layer that is all but decided rarely varies (${same}/400 the same)`);
});

/**
 * Seven layers of six candidates; candidate 2 of each is better by `margin`; every reward
 * carries the step's shared noise (the batch's difficulty) and its own.
 */
function plantedRewards(rng: Rng, margin: number) {
  const shared = 0.3 * (rng.next() - 0.5);
  return (path: readonly number[]) =>
    shared + path.reduce((s, c) => s + (c === 2 ? margin : 0), 0) + 0.1 * (rng.next() - 0.5);
}

function plantedRun(margin: number, seed: number) {
  const layers = Array.from({ length: 7 }, () => 6);
  const logits = new ArchitectureLogits(layers, { lr: 0.01, beta1: 0, beta2: 0.999, eps: 1e-8 });
  const rng = new Rng(seed);
  for (let step = 0; step < 600; step++) {
    const reward = plantedRewards(rng, margin);
    const context = samplePath(logits.alphas, rng);
    const alternatives = drawAlternatives(logits.alphas, context, rng);
    const r = variationPaths(context, asVariations(alternatives)).map(reward);
    const grad = pairedLossGradient(logits.alphas, context, alternatives, r);
    logits.alphas = logits.alphas.map((a, l) => logits.optimizers[l].step(a, grad[l]));
    logits.recordStep();
  }
  return logits.decisions();
}

Deno.test("paired estimator: decides for planted candidates, and wanders without a margin", () => {
  for (const seed of [1, 2]) {
    const found = plantedRun(0.02, seed);
    assert.ok(found.every((d) => d.argmax === 2 && d.decided), JSON.stringify(found));
  }
  const leaders = new Set(plantedRun(0, 3).map((d) => d.argmax));
  assert.ok(leaders.size > 1, `no signal, yet every layer chose candidate ${[...leaders]}`);
});
