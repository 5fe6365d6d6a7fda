/**
 * The paired search's evidence (src/search/paired_evidence.ts): a planted difference is
 * found and pure noise is not, the window holds exactly the last quarter's comparisons
 * however the blocks merged, and a checkpoint's state resumes to the same figures.
 */
import assert from "node:assert/strict";
import {
  medianWindowNeeded,
  MIN_COMPARISONS,
  PairedEvidence,
} from "../src/search/paired_evidence.ts";
import { asVariations } from "../src/supernet/variation_paths.ts";
import { Rng } from "../src/util/rng.ts";

/**
 * Steps `from`..`to` of a two-layer search: layer 0 (3 candidates) where candidate 0's
 * loss is `effect` lower than the others', layer 1 (2 candidates) where both are alike.
 * Every step compares both layers: context (0, 0) and alternatives drawn uniformly.
 */
function simulate(evidence: PairedEvidence, rng: Rng, from: number, to: number, effect: number) {
  const alphas = [[1, 0, 0], [0.5, 0]];
  const log: { step: number; layer: number; other: number; d: number }[] = [];
  for (let step = from; step < to; step++) {
    const context = [0, 0];
    const alternatives = [1 + Math.floor(rng.next() * 2), 1];
    const base = 2 + 0.1 * rng.normal();
    const losses = [base, base + effect + 0.05 * rng.normal(), base + 0.05 * rng.normal()];
    evidence.record(step, alphas, context, asVariations(alternatives), losses);
    log.push({ step, layer: 0, other: alternatives[0], d: losses[0] - losses[1] });
    log.push({ step, layer: 1, other: 1, d: losses[0] - losses[2] });
  }
  return log;
}

Deno.test("paired evidence: a planted better candidate is informed, a coin flip is not", () => {
  const evidence = new PairedEvidence([3, 2]);
  simulate(evidence, new Rng(3), 0, 400, 0.05);
  const s = evidence.summary(400)!;
  assert.equal(s.archSteps, 400);
  const [planted, noise] = s.layers;
  assert.equal(planted.leader, 0);
  assert.ok(planted.informed, JSON.stringify(planted));
  for (const r of planted.rivals) {
    assert.ok(r.high < 0, `the leader's loss is lower than candidate ${r.candidate}'s`);
    assert.ok(r.low < -0.05 && -0.05 < r.high, "the interval covers the planted effect");
  }
  assert.equal(noise.leader, 0);
  // Each quarter on its own 100 steps: the planted layer informed in all four.
  assert.deepEqual(s.informedByQuarter, [1, 1, 1, 1]);
  // Quarters end at block edges (blocks of 8 steps here): they tile the run.
  const windows = evidence.quarters(400).map((q) => q!.windowSteps);
  assert.equal(windows.reduce((a, b) => a + b, 0), 400);
  for (const w of windows) assert.ok(Math.abs(w - 100) < 8, `${windows}`);
});

Deno.test("paired evidence: on noise alone a layer is informed about 5% of the time", () => {
  let informed = 0;
  const runs = 400;
  for (let seed = 0; seed < runs; seed++) {
    const evidence = new PairedEvidence([3, 2]);
    simulate(evidence, new Rng(1_000 + seed), 0, 200, 0);
    if (evidence.summary(200)!.layers[1].informed) informed++;
  }
  // Binomial(400, 0.05): mean 20, sd 4.4.
  assert.ok(informed >= 6 && informed <= 36, `${informed} of ${runs} noise layers informed`);
});

Deno.test("paired evidence: the window holds exactly the last quarter's comparisons", () => {
  for (const steps of [37, 400, 1_000, 5_003]) {
    const evidence = new PairedEvidence([3, 2]);
    const log = simulate(evidence, new Rng(steps), 0, steps, 0.02);
    const s = evidence.summary(steps)!;
    assert.ok(s.windowSteps <= Math.ceil(0.25 * steps), `${steps}: ${s.windowSteps}`);
    assert.ok(s.windowSteps >= 0.25 * steps - steps / 32, `${steps}: ${s.windowSteps}`);
    const from = steps - s.windowSteps;
    for (const [layer, other] of [[0, 1], [0, 2], [1, 1]]) {
      const ds = log.filter((e) => e.step >= from && e.layer === layer && e.other === other);
      const rival = s.layers[layer].rivals.find((r) => r.candidate === other)!;
      assert.equal(rival.n, ds.length, `${steps}, layer ${layer}, candidate ${other}`);
      const mean = ds.reduce((a, e) => a + e.d, 0) / ds.length;
      assert.ok(Math.abs(rival.mean - mean) < 1e-12, `${rival.mean} vs ${mean}`);
    }
    const state = evidence.getState();
    assert.ok(state.blocks.length <= 64, `${steps} steps: ${state.blocks.length} blocks`);
  }
});

Deno.test("paired evidence: a resumed state gives the uninterrupted figures", () => {
  const whole = new PairedEvidence([3, 2]);
  simulate(whole, new Rng(9), 0, 900, 0.01);
  const first = new PairedEvidence([3, 2]);
  const rng = new Rng(9);
  simulate(first, rng, 0, 500, 0.01);
  const resumed = new PairedEvidence([3, 2]);
  resumed.setState(JSON.parse(JSON.stringify(first.getState())));
  simulate(resumed, rng, 500, 900, 0.01);
  assert.deepEqual(resumed.summary(900), whole.summary(900));
});

Deno.test("paired evidence: comparisons given directly test as the losses they difference", () => {
  // The same steps, once as losses of variations and once as (a, b, loss_a − loss_b).
  const fromLosses = new PairedEvidence([3, 2]);
  const log = simulate(fromLosses, new Rng(21), 0, 300, 0.03);
  const fromDifferences = new PairedEvidence([3, 2], "gate gradients");
  const alphas = [[1, 0, 0], [0.5, 0]];
  for (let step = 0; step < 300; step++) {
    const [l0, l1] = log.filter((e) => e.step === step);
    // Half of them with the pair the other way round and the sign turned.
    const first = step % 2 ? { a: 0, b: l0.other, d: l0.d } : { a: l0.other, b: 0, d: -l0.d };
    fromDifferences.recordComparisons(step, alphas, [[first], [{ a: 0, b: 1, d: l1.d }]]);
  }
  const [a, b] = [fromLosses.summary(300)!, fromDifferences.summary(300)!];
  assert.equal(a.basis, "loss");
  assert.equal(b.basis, "gate gradients");
  const close = (x: number, y: number) => Math.abs(x - y) <= 1e-12 * Math.max(1, Math.abs(x));
  a.layers.forEach((la, l) => {
    const lb = b.layers[l];
    assert.equal(lb.leader, la.leader);
    assert.equal(lb.informed, la.informed);
    assert.equal(lb.windowStepsNeeded, la.windowStepsNeeded);
    la.rivals.forEach((r, i) => {
      assert.equal(lb.rivals[i].n, r.n);
      assert.ok(close(lb.rivals[i].mean, r.mean) && close(lb.rivals[i].p, r.p), `layer ${l}`);
    });
  });
  assert.equal(a.layers[0].informed, true, "the planted layer");
  assert.throws(() => fromDifferences.recordComparisons(300, alphas, [[]]), /for 1 layers, not 2/);
  assert.throws(
    () => fromDifferences.recordComparisons(300, alphas, [[{ a: 1, b: 1, d: 0 }], []]),
    /layer 0 comparison 1 vs 1/,
  );
  assert.throws(
    () => fromDifferences.recordComparisons(300, alphas, [[{ a: 0, b: 1, d: NaN }], []]),
    /comparison 0 vs 1 of NaN/,
  );
});

Deno.test("paired evidence: too few comparisons test nothing; the window needed grows as t falls", () => {
  const evidence = new PairedEvidence([2]);
  for (let step = 0; step < 12; step++) {
    const compared = step >= 9;
    evidence.record(step, [[1, 0]], [0], [compared ? [1] : []], compared ? [1, 2] : [1]);
  }
  const few = evidence.summary(12)!.layers[0];
  assert.equal(few.weakest!.n, 3);
  assert.ok(few.weakest!.n < MIN_COMPARISONS && few.weakest!.p === 1 && !few.informed);
  assert.equal(few.windowStepsNeeded, null);

  // Differences of exactly −effect ± 0.05 over the 26 comparisons of a 104-step search's
  // window: se = 0.05·√(26/25)/√26 = 0.01, t = effect/0.01, window needed 26·(z·0.01/effect)².
  const needed = (effect: number) => {
    const e = new PairedEvidence([2]);
    for (let step = 0; step < 104; step++) {
      e.record(step, [[1, 0]], [0], [[1]], [1, 1 + effect + (step % 2 ? 0.05 : -0.05)]);
    }
    return e.summary(104)!.layers[0].windowStepsNeeded!;
  };
  const z = 1.6448536269514722;
  for (const effect of [0.0025, 0.005]) {
    const expected = 26 * (z * 0.01 / effect) ** 2;
    assert.ok(Math.abs(needed(effect) - expected) <= 1, `${needed(effect)} vs ${expected}`);
  }
  assert.equal(needed(0.05), 26, "an effect already resolved needs no more than the window");
  assert.equal(new PairedEvidence([2]).summary(10), null, "nothing recorded");
});

Deno.test("paired evidence: the median window needed leaves out layers without a figure", () => {
  const layer = (windowStepsNeeded: number | null) => ({
    leader: 0,
    rivals: [],
    informed: false,
    weakest: null,
    windowStepsNeeded,
  });
  assert.equal(medianWindowNeeded([layer(300), layer(null), layer(100), layer(5_000)]), 300);
  assert.equal(medianWindowNeeded([layer(100), layer(301)]), 201);
  assert.equal(medianWindowNeeded([layer(null)]), null);
});
