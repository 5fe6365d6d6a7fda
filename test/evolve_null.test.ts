import assert from "node:assert/strict";
import {
  DEFAULT_EVOLVE_CONFIG,
  evolveConfigFromJson,
  evolveConfigToJson,
  maddsCapFor,
} from "../src/evolve/config.ts";
import type { RegenerationRecord } from "../src/evolve/history.ts";
import { alphaStepsOf, nullEvolution } from "../src/evolve/null_evolution.ts";
import { nearReference, searchableLayerShapes } from "../src/evolve/population.ts";
import { pairwiseOverlap } from "../src/space/pairwise_overlap.ts";
import {
  builtinBackbone,
  cellMAdds,
  makeSearchSpaceFile,
  REFERENCE_CELL,
} from "../src/space/mod.ts";
import { runScript, throwsLine } from "./_helpers.ts";

const BACKBONE = builtinBackbone("compact-28")!;
const LAYERS = searchableLayerShapes(BACKBONE).map((l) => l.layer);
const CFG = DEFAULT_EVOLVE_CONFIG;

/**
 * A history of `lines` regenerations whose every supernet moved its one sampled cell
 * ("c") by the next value of `deltas` (Eq. 5 with the config's ε), in every layer.
 */
function syntheticHistory(
  lines: number,
  deltas: readonly number[],
  useReference: (line: number) => boolean = () => true,
): RegenerationRecord[] {
  const eps = CFG.epsilon;
  const history: RegenerationRecord[] = [];
  let alpha = 0;
  for (let i = 0; i < lines; i++) {
    const next = eps * (alpha + deltas[i % deltas.length]) + (1 - eps) * alpha;
    history.push({
      regeneration: i + 2,
      step: 300 + 30 * i,
      epoch: 1,
      trainLoss: 1,
      trainTop1: 0.5,
      valLoss: 1,
      valTop1: 0.5,
      lr: 0.05,
      useReference: useReference(i),
      seconds: 1,
      layers: LAYERS.map((layer) => ({
        layer,
        sampled: [{ id: "c", alpha }],
        population: 2,
        children: 0,
        evicted: 0,
        members: i === 0 ? [["c", alpha, 0, 1]] : [["c", alpha, 30, i]],
      })),
    });
    // A second sampled cell that no later line holds: it was evicted.
    history[i].layers.forEach((l) => l.sampled.push({ id: `gone${i}`, alpha: 0 }));
    alpha = next;
  }
  // Each line's members carry the α folded from the previous line's supernet.
  for (let i = 1; i < lines; i++) {
    for (const l of history[i].layers) l.members[0][1] = l.sampled[0].alpha;
  }
  return history;
}

Deno.test("alphaStepsOf inverts Eq. 5 and skips evicted cells", () => {
  const deltas = [0.5, -0.25, 1, 0.125];
  const steps = alphaStepsOf(syntheticHistory(5, deltas), CFG.epsilon);
  assert.deepEqual([...steps.keys()], LAYERS);
  for (const layer of LAYERS) {
    const got = steps.get(layer)!;
    assert.equal(got.length, 4, "one step a supernet; the evicted cells give none");
    got.forEach((d, i) => assert.ok(Math.abs(d - deltas[i]) < 1e-12, `step ${i}: ${d}`));
  }
  throwsLine(() => alphaStepsOf([], 0), /epsilon must be in \(0, 1\]/);
});

Deno.test("nullEvolution: K distinct cells a layer under the cap, same seed same space", () => {
  const history = syntheticHistory(12, [0.5, -0.5, 0.2]);
  const a = nullEvolution({ cfg: CFG, backbone: BACKBONE, history, seed: 3 });
  const b = nullEvolution({ cfg: CFG, backbone: BACKBONE, history, seed: 3 });
  const c = nullEvolution({ cfg: CFG, backbone: BACKBONE, history, seed: 4 });
  assert.deepEqual(a, b);
  assert.notDeepEqual(a.layers, c.layers);
  assert.equal(a.regenerations, 13);
  // What it started from: each layer's whole initial population, unscored.
  assert.deepEqual(a.initial.map((l) => l.layer), LAYERS);
  for (const l of a.initial) {
    assert.equal(l.cells.length, CFG.populationSize);
    for (const c of l.cells) assert.equal(c.fitness, CFG.initFitness);
  }
  const shapes = searchableLayerShapes(BACKBONE);
  a.layers.forEach((l, i) => {
    const { shape } = shapes[i];
    assert.equal(l.cells.length, CFG.k);
    const cap = maddsCapFor(CFG.maddsMax, shape);
    for (const { cell } of l.cells) {
      assert.ok(
        cellMAdds(cell, shape.cin, shape.cout, shape.stride, shape.inputSize, shape.inputSize) <=
          cap,
      );
    }
  });
});

Deno.test("nullEvolution: folds the drawn steps and honours the τ phases", () => {
  // Every step +1: scores only grow, so the best cell's α is well above the start.
  const rising = nullEvolution({
    cfg: CFG,
    backbone: BACKBONE,
    history: syntheticHistory(8, [1]),
    seed: 0,
  });
  for (const l of rising.layers) assert.ok(l.cells[0].fitness > 1, `${l.cells[0].fitness}`);
  // Steps of 0: nothing moves, every score stays at the initial α.
  const flat = nullEvolution({
    cfg: CFG,
    backbone: BACKBONE,
    history: syntheticHistory(8, [0]),
    seed: 0,
  });
  for (const l of flat.layers) for (const c of l.cells) assert.equal(c.fitness, CFG.initFitness);
  // Under the reference phase throughout, every kept cell is within τ of the reference.
  for (const l of flat.layers) {
    for (const { cell } of l.cells) assert.ok(nearReference(cell, REFERENCE_CELL, CFG.tau));
  }
  // Without it (after the first regeneration), mutations leave the reference's cloud.
  const free = nullEvolution({
    cfg: CFG,
    backbone: BACKBONE,
    history: syntheticHistory(40, [1, -1, 0.5], (i) => i === 0),
    seed: 0,
  });
  const outside = free.layers.flatMap((l) => l.cells)
    .filter(({ cell }) => !nearReference(cell, REFERENCE_CELL, CFG.tau));
  assert.ok(outside.length > 0);
});

Deno.test("evolveConfigFromJson reads back evolveConfigToJson; bad fields throw one line", () => {
  assert.deepEqual(evolveConfigFromJson(evolveConfigToJson(CFG)), CFG);
  const custom = { ...CFG, k: 3, maddsMax: { kind: "absolute" as const, madds: 5e6 } };
  assert.deepEqual(evolveConfigFromJson(evolveConfigToJson(custom)), custom);
  throwsLine(() => evolveConfigFromJson({ maddsMax: "lots" }), /--madds-max/);
  throwsLine(() => evolveConfigFromJson({ k: 20 }), /--population 16 must be >= K/);
});

Deno.test("pairwiseOverlap: every pair, identical spaces overlap fully", () => {
  const space = (id: number) =>
    makeSearchSpaceFile(
      BACKBONE,
      nullEvolution({
        cfg: CFG,
        backbone: BACKBONE,
        history: syntheticHistory(6, [0.3, -0.2]),
        seed: id,
      }).layers,
    );
  const same = pairwiseOverlap([space(1), space(1)]);
  assert.equal(same.pairs, 1);
  assert.equal(same.spread.sharedFraction.mean, 1);
  assert.equal(same.spread.opDistance.max, 0);
  const three = pairwiseOverlap([space(1), space(2), space(3)]);
  assert.equal(three.pairs, 3);
  for (const s of Object.values(three.spread)) assert.ok(s.min <= s.mean && s.mean <= s.max);
  assert.ok(three.spread.sharedFraction.mean < 1);
});

Deno.test("null-evolve: a folder without a learned space is one line and exit 1", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const run = await runScript("null_evolve.ts", dir, "--out", `${dir}/null`);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /^null-evolve: cannot read the run's space .*search_space\.json/);
    assert.equal(run.stderr.split("\n").length, 1);
    const missingOut = await runScript("null_evolve.ts", dir);
    assert.match(missingOut.stderr, /--out DIR is required/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
