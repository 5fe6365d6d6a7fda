/**
 * The supernet-path section in a tiny configuration: it runs end to end, emits every
 * field, and its counts say that a path of either supernet records the same work as the
 * path's plain network.
 */
import assert from "node:assert/strict";
import { periodRate } from "../src/bench/evolve_regenerations.ts";
import { countsPerStep, type GpuCounts } from "../src/bench/gpu_counts.ts";
import { benchSupernetPath } from "../src/bench/supernet_path.ts";
import { supernetPathText } from "../src/bench/supernet_path_report.ts";
import { builtinBackbone } from "../src/space/backbone.ts";
import { makeCell } from "../src/space/cell.ts";
import { spaceFromBackbone } from "../src/space/search_space_spec.ts";
import { gpuTest } from "./_helpers.ts";

/** compact-28 with two small cells per searchable layer (few pipelines to compile). */
function tinySpace() {
  const cells = [
    makeCell({ ratio: 1, edges: { "0-1": "dwconv3x3", "1-2": "identity", "2-3": "identity" } }),
    makeCell({ ratio: 1, edges: { "0-1": "identity", "1-3": "conv1x1" } }),
  ];
  return spaceFromBackbone(
    builtinBackbone("compact-28")!,
    (shape) => cells.map((cell) => ({ type: "cell" as const, ...shapeOf(shape), cell })),
  );
}

function shapeOf(s: { cin: number; cout: number; stride: number }) {
  return { cin: s.cin, cout: s.cout, stride: s.stride };
}

gpuTest("bench supernet-path: a tiny run emits every field", async (gpu) => {
  const result = await benchSupernetPath(gpu, {
    space: tinySpace(),
    source: "tiny",
    batch: 2,
    reps: 1,
    stepsPerRep: 1,
    pairs: 1,
    regenerations: 1,
    seed: 3,
    evolve: { k: 2, populationSize: 4, maxPopulation: 6, tournamentSize: 2 },
  }, () => {});
  assert.deepEqual(result.samePath.map((r) => r.form), ["plain", "search", "evolve"]);
  const [plain, search, evolve] = result.samePath;
  for (const row of result.samePath) {
    assert.ok(row.msMedian > 0 && Number.isFinite(row.ratio), row.form);
    assert.equal(row.madds, result.madds);
  }
  // One candidate per layer with gate 1: the supernets record the plain network's work.
  assert.equal(search.counts.workgroups, plain.counts.workgroups);
  assert.equal(evolve.counts.workgroups, plain.counts.workgroups);
  assert.equal(search.counts.dispatches, plain.counts.dispatches);
  assert.equal(plain.counts.reads, 0, "a weight step never reads back");
  assert.ok(result.firstUse.pipelines > 0);
  assert.equal(result.pathChange.pairs, 1);
  assert.ok(Number.isFinite(result.pathChange.ratio));
  assert.equal(result.evolve?.rows.length, 2);
  for (const row of result.evolve!.rows) {
    assert.ok(Number.isFinite(row.paths.ratio) && row.regenerateMs >= 0);
    assert.equal(row.fitness.counts.reads, 1, "a fitness step reads its gate gradients once");
  }
  assert.equal(result.evolve!.rows[0].checkpointMs, null);
  assert.ok(result.evolve!.rows[1].checkpointMs! >= 0);
  assert.match(supernetPathText(result), /^ratio, supernet weight step ÷ plain step/m);
});

Deno.test("bench supernet-path: counts per step and a regeneration period's images/s", () => {
  const c = (v: number): GpuCounts => ({
    dispatches: v,
    workgroups: 10 * v,
    pipelines: 0,
    bindGroups: v / 2,
    buffers: 0,
    submits: 1,
    reads: 0,
    submitMs: v,
    compileMs: 0,
  });
  assert.deepEqual(countsPerStep(c(100), c(500), 4), {
    dispatches: 100,
    workgroups: 1000,
    pipelines: 0,
    bindGroups: 50,
    buffers: 0,
    submits: 0,
    reads: 0,
    submitMs: 100,
    compileMs: 0,
  });
  // 30 weight steps of 500 ms, 10 fitness steps of 700 ms, 300 ms once: 1,920 images in 22.3 s.
  const rate = periodRate(
    { regenerateEvery: 30, archUpdateEvery: 3, batchSize: 64 },
    { weightMs: 500, fitnessMs: 700, onceMs: 300 },
  );
  assert.ok(Math.abs(rate - 1920 / 22.3) < 1e-9, `${rate}`);
});
