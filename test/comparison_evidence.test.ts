import assert from "node:assert/strict";
import {
  blockEvidence,
  type CandidateComparison,
  comparisonEvidence,
  fQuantileUpper,
  fUpperTail,
} from "../src/supernet/comparison_evidence.ts";
import { binomialUpperTail } from "../src/evolve/fitness_evidence.ts";
import { studentTCdf } from "../src/util/paired_statistics.ts";
import { Rng } from "../src/util/rng.ts";

Deno.test("F distribution: F(1, d) is t², F(2, ∞) has an exponential tail", () => {
  for (const [t, d] of [[1.5, 7], [2.2, 30], [0.4, 3]]) {
    const twoSided = 2 * (1 - studentTCdf(t, d));
    assert.ok(Math.abs(fUpperTail(t * t, 1, d) - twoSided) < 1e-10, `t ${t}, df ${d}`);
  }
  assert.ok(Math.abs(fUpperTail(3, 2, 1e7) - Math.exp(-3)) < 1e-5);
  const q = fQuantileUpper(0.05, 4, 60);
  assert.ok(Math.abs(fUpperTail(q, 4, 60) - 0.05) < 1e-9);
  assert.ok(Math.abs(q - 2.525) < 1e-3, `F(4, 60) 95%: ${q}`); // tables: 2.53
});

/** `steps` steps, each comparing two distinct cells of `effects` drawn at random. */
function comparisons(
  effects: readonly number[],
  steps: number,
  noise: number,
  seed: number,
  offset = 0,
): CandidateComparison[] {
  const rng = new Rng(seed);
  return Array.from({ length: steps }, () => {
    const a = rng.int(effects.length);
    const b = (a + 1 + rng.int(effects.length - 1)) % effects.length;
    return { a, b, d: offset + effects[a] - effects[b] + noise * rng.normal() };
  });
}

Deno.test("fitness evidence: planted effects pass, noise passes at its level, a shared shift is not an effect", () => {
  const planted = comparisonEvidence(comparisons([0, 0.1, 0.2, 0.3], 200, 0.05, 1), 200)!;
  assert.equal(planted.cells, 4);
  assert.equal(planted.df1, 3);
  assert.equal(planted.df2, 200 - 4);
  assert.equal(planted.p, 1 / 1000); // no relabelling comes near: the least p there is
  assert.ok(planted.stepsNeeded! < 20, `needed ${planted.stepsNeeded}`);
  // Pure noise, with and without a shift every comparison shares: p uniform, so about 5%
  // of replicates below 0.05.
  for (const offset of [0, -0.1]) {
    let below = 0;
    for (let seed = 0; seed < 300; seed++) {
      const e = comparisonEvidence(comparisons([0, 0, 0, 0, 0], 80, 0.05, 100 + seed, offset), 80)!;
      if (e.p < 0.05) below++;
    }
    assert.ok(below >= 5 && below <= 30, `offset ${offset}: ${below} of 300 below 0.05`);
  }
  // A small effect (about 270 comparisons needed): one interval's projection is noisy
  // (null where it measured no effect), its median over intervals asks for more steps.
  const needed = Array.from({ length: 11 }, (_, i) => {
    const e = comparisonEvidence(comparisons([0, 0.004, 0.008, 0.012], 100, 0.05, 7 + i), 100)!;
    return e.stepsNeeded ?? Infinity;
  }).sort((x, y) => x - y);
  assert.ok(needed[5] > 100, `median ${needed[5]} of ${needed}`);
  // Two comparisons of each: too few for a test; and one cell pair's shift is the intercept.
  assert.equal(comparisonEvidence([], 0), null);
  assert.equal(comparisonEvidence([{ a: 0, b: 1, d: 0.1 }, { a: 0, b: 1, d: 0.2 }], 2), null);
});

Deno.test("fitness evidence: steps needed scale with the steps the comparisons came from", () => {
  const cs = comparisons([0, 0.02, 0.04], 300, 0.1, 3);
  const perStep = comparisonEvidence(cs, 300)!;
  const sixPerStep = comparisonEvidence(cs, 50)!; // the same comparisons, six a step
  assert.equal(perStep.p, sixPerStep.p);
  assert.ok(perStep.stepsNeeded !== null);
  assert.ok(Math.abs(sixPerStep.stepsNeeded! - perStep.stepsNeeded! / 6) <= 1);
});

Deno.test("evolve report's binomial tail: P(X ≥ k) for the layers passing at 5%", () => {
  assert.equal(binomialUpperTail(0, 10, 0.05), 1);
  assert.ok(Math.abs(binomialUpperTail(1, 10, 0.05) - (1 - 0.95 ** 10)) < 1e-12);
  assert.ok(Math.abs(binomialUpperTail(3, 20, 0.05) - 0.07548) < 1e-4);
  assert.equal(binomialUpperTail(21, 20, 0.05), 0);
  // Small tails keep their digits: P(X ≥ 20) of 20 is q^20.
  assert.ok(Math.abs(binomialUpperTail(20, 20, 0.05) / 0.05 ** 20 - 1) < 1e-9);
  assert.ok(binomialUpperTail(255, 413, 0.05) < binomialUpperTail(89, 413, 0.05));
});

Deno.test("comparison evidence: heavy-tailed noise passes at its level, by relabelling", () => {
  // Gate gradients have heavy tails: noise as a ratio of normals (Cauchy), no effect, ten
  // comparisons of four candidates, 1,000 trials (docs/pipeline.md quotes these rates).
  let relabelled = 0;
  let table = 0;
  for (let seed = 0; seed < 1000; seed++) {
    const rng = new Rng(500 + seed);
    const cs = Array.from({ length: 10 }, () => {
      const a = rng.int(4);
      const b = (a + 1 + rng.int(3)) % 4;
      return { a, b, d: -0.1 + 0.05 * rng.normal() / Math.abs(rng.normal()) };
    });
    const e = comparisonEvidence(cs, 10)!;
    if (e.p < 0.05) relabelled++;
    if (fUpperTail(e.f, e.df1, e.df2) < 0.05) table++;
  }
  assert.equal(relabelled, 51);
  assert.equal(table, 37);
});

Deno.test("block evidence: a crippled candidate stands out of per-step shifts; noise does not", () => {
  const table = (seed: number, effects: number[], steps: number) => {
    const rng = new Rng(seed);
    return Array.from({ length: steps }, () => {
      const shift = 2 * rng.normal(); // the step's batch: large, shared by its candidates
      return effects.map((e) => shift + e + 0.05 * rng.normal());
    });
  };
  const crippled = blockEvidence(table(1, [0, 0, 0.3, 0], 10))!;
  assert.deepEqual([crippled.steps, crippled.cells, crippled.comparisons], [10, 4, 30]);
  assert.deepEqual([crippled.df1, crippled.df2], [3, 27]);
  assert.equal(crippled.p, 1 / 1000);
  assert.ok(crippled.stepsNeeded! <= 3, `${crippled.stepsNeeded}`);
  let below = 0;
  for (let seed = 0; seed < 200; seed++) {
    if (blockEvidence(table(100 + seed, [0, 0, 0, 0], 10))!.p < 0.05) below++;
  }
  assert.ok(below >= 3 && below <= 20, `${below} of 200 below 0.05`);
  assert.equal(blockEvidence([[1, 2, 3]]), null); // one step: no residual
  assert.equal(blockEvidence([[1, 2], [1]]), null); // not complete blocks
});
