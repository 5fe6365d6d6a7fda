/**
 * The latency table and its cache without a GPU: a fake measurer stands in for the
 * device and counts what it is asked to measure.
 */
import assert from "node:assert/strict";
import { LatencyCache, type LatencyEntry } from "../src/latency/cache.ts";
import type { LatencyDevice } from "../src/latency/device_key.ts";
import type { LatencyMeasurers } from "../src/latency/measure_gpu.ts";
import { type LatencyPart, spaceParts } from "../src/latency/parts.ts";
import {
  checkLatencyPrediction,
  errorStats,
  sampleChoices,
} from "../src/latency/prediction_check.ts";
import { latencyTable, predictLatency, tableOnLayers } from "../src/latency/table.ts";
import { pooledEntry } from "../src/latency/rounds.ts";
import { builtinBackbone } from "../src/space/backbone.ts";
import { baselineSpace } from "../src/space/baseline_space.ts";
import { REFERENCE_CELL, ZERO_CELL } from "../src/space/cell.ts";
import { countNetwork } from "../src/space/counting.ts";
import type { NetworkSpec } from "../src/space/network_spec.ts";
import { networkFromChoices, type SearchSpaceSpec } from "../src/space/search_space_spec.ts";
import { Rng } from "../src/util/rng.ts";
import { ranks, spearman } from "../src/util/rank_correlation.ts";
import {
  type CostModel,
  expectedCost,
  pathCost,
  validateCostModel,
} from "../src/search/expected_cost.ts";
import { fullChoices, spaceCosts } from "../src/search/space_costs.ts";

const DEVICE: LatencyDevice = { adapter: "test adapter", variant: "register", timer: "timestamp" };
/** One measurement per part, tables of medians (the defaults are 3 rounds, medians). */
const ONE_PASS = { device: DEVICE, rounds: 1, statistic: "median" as const };

/** A deterministic fake time per part key; median and min differ so both are exercised. */
function fakeMs(key: string): number {
  let h = 7;
  for (const c of key) h = (h * 31 + c.charCodeAt(0)) % 1000;
  return 0.5 + h / 100;
}

function fakeEntry(ms: number): LatencyEntry {
  return {
    ms,
    minMs: 0.9 * ms,
    samplesMs: [ms],
    callsPerRep: 1,
    dispatches: 1,
    measuredAt: "2024-01-01T00:00:00.000Z",
  };
}

/** A measurer that records the keys it measured. */
function countingMeasurer() {
  const keys: string[] = [];
  const parts: LatencyPart[] = [];
  return {
    keys,
    parts,
    measure: (part: LatencyPart) => {
      keys.push(part.key);
      parts.push(part);
      return Promise.resolve(fakeEntry(fakeMs(part.key)));
    },
  };
}

function compact28(): SearchSpaceSpec {
  return baselineSpace(builtinBackbone("compact-28")!);
}

// compact-28: stem, a fixed IRB, 7 searchable layers of 6 IRBs (+ zero where the layer
// keeps its width at stride 1), head. Every IRB sits at a different shape.
const COMPACT28_PARTS = 1 + 1 + 7 * 6 + 1;

Deno.test("latency table: shape follows the space; zero blocks cost 0 and are never measured", async () => {
  const space = compact28();
  const m = countingMeasurer();
  const table = await latencyTable(space, {
    batch: 64,
    cache: LatencyCache.inMemory(),
    ...ONE_PASS,
    measure: m.measure,
  });
  assert.deepEqual(
    table.perLayer.map((row) => row.length),
    space.layers.map((l) => l.candidates.length),
  );
  assert.equal(table.measured, COMPACT28_PARTS);
  assert.equal(m.keys.length, COMPACT28_PARTS);
  assert.equal(new Set(m.keys).size, COMPACT28_PARTS);
  assert.ok(m.parts.every((p) => p.batch === 64 && p.key.includes("@ b64")));
  assert.ok(m.parts.every((p) => p.kind !== "block" || p.block.type !== "zero"));
  space.layers.forEach((layer, l) =>
    layer.candidates.forEach((block, i) => {
      if (block.type === "zero") assert.equal(table.perLayer[l][i], 0);
      else assert.ok(table.perLayer[l][i] > 0);
    })
  );
  // The first searchable layer (16 → 24, stride 1) sees the 14×14 map after the stem.
  const parts = spaceParts(space, 64);
  assert.match(parts.layers[1][0]!.key, /^irb 16->24 s1 k3 e3 @ b64 14x14$/);
  assert.match(parts.stem.key, /^stem 1->16 k3 s2 @ b64 28x28$/);
  assert.match(parts.head.key, /^head 96 mix256 pool fc10 @ b64 4x4$/);
  assert.equal(table.fixed, fakeMs(parts.stem.key) + fakeMs(parts.head.key));
});

Deno.test("latency table: prediction is fixed + Σ chosen entries", async () => {
  const space = compact28();
  const table = await latencyTable(space, {
    batch: 1,
    cache: LatencyCache.inMemory(),
    ...ONE_PASS,
    measure: countingMeasurer().measure,
  });
  const parts = spaceParts(space, 1);
  const rng = new Rng(3);
  for (const choices of sampleChoices(space, 5, rng)) {
    let expected = fakeMs(parts.stem.key) + fakeMs(parts.head.key);
    choices.forEach((c, l) => {
      const part = parts.layers[l][c];
      expected += part ? fakeMs(part.key) : 0;
    });
    assert.ok(Math.abs(predictLatency(table, choices) - expected) < 1e-9);
  }
  assert.equal(predictLatency({ fixed: 2, perLayer: [[1, 5], [0.5]] }, [1, 0]), 7.5);
  // On the searchable layers only: fixed layers fold into `fixed`, the sum is unchanged.
  const searchable = space.layers.flatMap((l, i) => (l.candidates.length > 1 ? [i] : []));
  const onLayers = tableOnLayers(table, searchable);
  assert.equal(onLayers.perLayer.length, 7);
  assert.ok(Math.abs(onLayers.fixed - (table.fixed + table.perLayer[0][0])) < 1e-12);
  const choices = [0, 3, 1, 4, 0, 2, 5, 1];
  const path = searchable.map((l) => choices[l]);
  const onPath = path.reduce((s, c, l) => s + onLayers.perLayer[l][c], onLayers.fixed);
  assert.ok(Math.abs(onPath - predictLatency(table, choices)) < 1e-9);
  assert.throws(() => tableOnLayers(table, [1, 2]), /layer 3 has 6 candidates/);
  assert.throws(() => predictLatency(table, [0]), /1 choices for 8 layers/);
  assert.throws(() => predictLatency(table, [0, 9, 0, 0, 0, 0, 0, 0]), /layer 1 has 6 candidates/);
  // The min statistic reads the entries' minima.
  const mins = await latencyTable(space, {
    batch: 1,
    cache: LatencyCache.inMemory(),
    ...ONE_PASS,
    measure: countingMeasurer().measure,
    statistic: "min" as const,
  });
  assert.ok(Math.abs(mins.fixed - 0.9 * table.fixed) < 1e-9);
});

Deno.test("latency cache: same device and shape hit; another adapter, kernel family, timer or batch miss", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/sub/latency.json`;
  try {
    const space = compact28();
    const build = async (device: LatencyDevice, batch = 64) => {
      const m = countingMeasurer();
      const cache = await LatencyCache.open(path);
      const table = await latencyTable(space, {
        ...ONE_PASS,
        batch,
        cache,
        device,
        measure: m.measure,
      });
      return { table, measured: m.keys.length };
    };
    const first = await build(DEVICE);
    assert.equal(first.measured, COMPACT28_PARTS);
    const again = await build(DEVICE); // reopened from the file
    assert.equal(again.measured, 0);
    assert.equal(again.table.reused, COMPACT28_PARTS);
    assert.deepEqual(again.table.perLayer, first.table.perLayer);
    assert.equal(
      (await build({ ...DEVICE, adapter: "another adapter" })).measured,
      COMPACT28_PARTS,
    );
    assert.equal((await build({ ...DEVICE, variant: "tiled" })).measured, COMPACT28_PARTS);
    assert.equal((await build({ ...DEVICE, timer: "wallclock" })).measured, COMPACT28_PARTS);
    assert.equal((await build(DEVICE, 1)).measured, COMPACT28_PARTS);
    assert.equal((await build(DEVICE, 1)).measured, 0);
    const json = JSON.parse(await Deno.readTextFile(path));
    assert.equal(json.format, "autospace.latency-cache/v1");
    assert.equal(Object.keys(json.devices).length, 4);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("latency cache: only missing entries are measured; refresh measures all", async () => {
  const space = compact28();
  const cache = LatencyCache.inMemory();
  await latencyTable(space, {
    batch: 64,
    cache,
    ...ONE_PASS,
    measure: countingMeasurer().measure,
  });
  // One more candidate in layer 2 (24 → 24 at 14×14): the only new part.
  const extra = {
    type: "inverted_residual" as const,
    cin: 24,
    cout: 24,
    stride: 1,
    kernel: 3,
    expansion: 2,
    se: false,
  };
  const wider: SearchSpaceSpec = {
    ...space,
    layers: space.layers.map((l, i) =>
      i === 2 ? { ...l, candidates: [...l.candidates, extra] } : l
    ),
  };
  const m = countingMeasurer();
  const table = await latencyTable(wider, { batch: 64, cache, ...ONE_PASS, measure: m.measure });
  assert.deepEqual(m.keys, ["irb 24->24 s1 k3 e2 @ b64 14x14"]);
  assert.equal(table.perLayer[2].length, space.layers[2].candidates.length + 1);
  // Rounds: each missing part measured that many times, the samples pooled.
  const twice = countingMeasurer();
  const cache2 = LatencyCache.inMemory();
  await latencyTable(space, {
    batch: 1,
    cache: cache2,
    ...ONE_PASS,
    measure: twice.measure,
    rounds: 2,
  });
  assert.equal(twice.keys.length, 2 * COMPACT28_PARTS);
  assert.deepEqual(twice.keys.slice(0, COMPACT28_PARTS), twice.keys.slice(COMPACT28_PARTS));
  const pooled = cache2.get(DEVICE, twice.keys[0])!;
  assert.equal(pooled.rounds, 2);
  assert.equal(pooled.samplesMs.length, 2);
  // Defaults: 3 rounds, tables of medians.
  const thrice = countingMeasurer();
  const defaults = await latencyTable(space, {
    batch: 2,
    cache: LatencyCache.inMemory(),
    device: DEVICE,
    measure: thrice.measure,
  });
  assert.equal(thrice.keys.length, 3 * COMPACT28_PARTS);
  assert.equal(defaults.statistic, "median");
  const stem = spaceParts(space, 2).stem.key;
  assert.ok(Math.abs(defaults.stemMs - fakeMs(stem)) < 1e-9);
  const refreshed = countingMeasurer();
  await latencyTable(wider, {
    batch: 64,
    cache,
    ...ONE_PASS,
    measure: refreshed.measure,
    refresh: true,
  });
  assert.equal(refreshed.keys.length, COMPACT28_PARTS + 1);
});

Deno.test("latency cache: saves merge with entries another process wrote; a bad file is one clear error", async () => {
  const dir = await Deno.makeTempDir();
  const path = `${dir}/latency.json`;
  try {
    const a = await LatencyCache.open(path);
    const b = await LatencyCache.open(path);
    a.set(DEVICE, "part a", fakeEntry(1));
    b.set(DEVICE, "part b", fakeEntry(2));
    await a.save();
    await b.save();
    const merged = await LatencyCache.open(path);
    assert.equal(merged.get(DEVICE, "part a")?.ms, 1);
    assert.equal(merged.get(DEVICE, "part b")?.ms, 2);
    assert.equal(merged.size(DEVICE), 2);
    await Deno.writeTextFile(path, "{ not json");
    await assert.rejects(LatencyCache.open(path), /latency\.json: not JSON.*delete the file/);
    await Deno.writeTextFile(path, JSON.stringify({ format: "other" }));
    await assert.rejects(LatencyCache.open(path), /not a latency cache/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("latency parts: identity cells have no part; cells key by their exact structure", () => {
  const block = (cell: typeof ZERO_CELL) => ({
    type: "cell" as const,
    cin: 8,
    cout: 8,
    stride: 1,
    cell,
  });
  const space: SearchSpaceSpec = {
    name: "cells",
    input: { channels: 1, size: 8 },
    stem: { cout: 8, kernel: 3, stride: 1 },
    layers: [{ cin: 8, cout: 8, stride: 1, candidates: [block(REFERENCE_CELL), block(ZERO_CELL)] }],
    head: { featureMix: null, dropout: 0 },
    classes: 3,
  };
  const parts = spaceParts(space, 2);
  assert.equal(parts.layers[0][0]!.key, "cell 8->8 s1 r6:dw3,-,id,-,-,id:++ @ b2 8x8");
  assert.equal(parts.layers[0][1], null);
  assert.equal(parts.head.key, "head 8 pool fc3 @ b2 8x8");
  assert.throws(() => spaceParts(space, 0), /batch must be an integer ≥ 1/);
});

Deno.test("latency check: errors against networks measured by a fake device", async () => {
  const space = compact28();
  const samples = sampleChoices(space, 12, new Rng(5));
  assert.equal(samples.length, 12);
  assert.equal(new Set(samples.map((c) => c.join())).size, 12);
  // A space of 2 networks yields 2 however many are asked for.
  const tiny: SearchSpaceSpec = {
    ...space,
    layers: space.layers.map((l, i) => ({
      ...l,
      candidates: l.candidates.slice(0, i === 1 ? 2 : 1),
    })),
  };
  assert.equal(sampleChoices(tiny, 12, new Rng(5)).length, 2);

  // The fake network is 10% slower than the sum of its parts.
  const partTime = (p: LatencyPart | null) => (p ? fakeMs(p.key) : 0);
  const networkMs = (spec: NetworkSpec, batch: number) => {
    const parts = spaceParts({
      ...space,
      layers: spec.blocks.map((b) => ({ ...b, candidates: [b] })),
    }, batch);
    return 1.1 * (partTime(parts.stem) + parts.layers.reduce((s, row) => s + partTime(row[0]), 0) +
      partTime(parts.head));
  };
  const measurers: LatencyMeasurers = {
    device: DEVICE,
    part: countingMeasurer().measure,
    network: (spec, batch) => Promise.resolve(fakeEntry(networkMs(spec, batch))),
  };
  const check = await checkLatencyPrediction(space, {
    rounds: 1,
    batches: [1, 64],
    networks: 4,
    seed: 9,
    cache: LatencyCache.inMemory(),
    measurers,
  });
  assert.deepEqual(check.batches.map((b) => b.batch), [1, 64]);
  for (const b of check.batches) {
    assert.equal(b.rows.length, 4);
    assert.equal(b.partsMeasured, COMPACT28_PARTS);
    for (const stat of ["median", "min"] as const) {
      assert.equal(b.rankCorrelation[stat].table, 1);
      assert.ok(Math.abs(b.errors[stat].meanRelError - (1 / 1.1 - 1)) < 1e-9);
      assert.ok(Math.abs(b.errors[stat].worstAbsRelError - (1 - 1 / 1.1)) < 1e-9);
    }
    for (const r of b.rows) {
      assert.equal(r.madds, countNetwork(networkFromChoices(space, r.choices)).total.madds);
    }
  }
  // Missing parts and networks share rounds: P…P N…N P…P N…N; cached parts are not redone.
  const order: string[] = [];
  const logging: LatencyMeasurers = {
    device: DEVICE,
    part: (p) => (order.push("P"), measurers.part(p)),
    network: (spec, batch) => (order.push("N"), measurers.network(spec, batch)),
  };
  const cache = LatencyCache.inMemory();
  const options = { batches: [1], networks: 3, seed: 9, cache, measurers: logging, rounds: 2 };
  await checkLatencyPrediction(space, options);
  const round = "P".repeat(COMPACT28_PARTS) + "NNN";
  assert.equal(order.join(""), round + round);
  order.length = 0;
  const again = await checkLatencyPrediction(space, options);
  assert.equal(order.join(""), "NNNNNN");
  assert.equal(again.batches[0].partsReused, COMPACT28_PARTS);
  const stats = errorStats([0.1, -0.3]);
  assert.ok(Math.abs(stats.meanAbsRelError - 0.2) < 1e-12);
  assert.ok(Math.abs(stats.worstAbsRelError - 0.3) < 1e-12);
  assert.ok(Math.abs(stats.meanRelError + 0.1) < 1e-12);
});

Deno.test("latency rounds: pooled entries take the median of all samples and the least minimum", () => {
  const a = { ...fakeEntry(3), samplesMs: [3, 4, 9], minMs: 2.5 };
  const b = { ...fakeEntry(5), samplesMs: [5, 6, 1.5], minMs: 1.5 };
  const p = pooledEntry([a, b]);
  assert.deepEqual(p.samplesMs, [3, 4, 9, 5, 6, 1.5]);
  assert.equal(p.ms, 4.5);
  assert.equal(p.minMs, 1.5);
  assert.equal(p.rounds, 2);
  assert.equal(pooledEntry([a]), a);
  assert.throws(() => pooledEntry([]), /no entries/);
});

Deno.test("latency table plugs into the search's cost model (Eq. 6 and the cap)", async () => {
  const space = compact28();
  const table = await latencyTable(space, {
    batch: 64,
    cache: LatencyCache.inMemory(),
    ...ONE_PASS,
    measure: countingMeasurer().measure,
  });
  const costs = spaceCosts(space);
  const model: CostModel = tableOnLayers(table, costs.searchable);
  validateCostModel(model);
  assert.deepEqual(model.perLayer.map((row) => row.length), costs.choices);
  // A path's cost under the search's own arithmetic is the table's prediction.
  const path = [5, 0, 3, 1, 2, 6, 4];
  assert.ok(
    Math.abs(pathCost(model, path) - predictLatency(table, fullChoices(space, costs, path))) <
      1e-9,
  );
  // Uniform α: E[latency] = fixed + Σ_l mean of layer l's row.
  const uniform = model.perLayer.map((row) => row.map(() => 0));
  const mean = model.perLayer.reduce(
    (s, row) => s + row.reduce((a, b) => a + b, 0) / row.length,
    model.fixed,
  );
  assert.ok(Math.abs(expectedCost(model, uniform).value - mean) < 1e-9);
});

Deno.test("rank correlation: Spearman's ρ with ties", () => {
  assert.deepEqual(ranks([10, 30, 20, 30]), [0, 2.5, 1, 2.5]);
  assert.equal(spearman([1, 2, 3, 4], [10, 20, 30, 40]), 1);
  assert.equal(spearman([1, 2, 3, 4], [4, 3, 2, 1]), -1);
  assert.ok(Math.abs(spearman([1, 2, 3, 4, 5], [2, 1, 4, 3, 5]) - 0.8) < 1e-12);
  assert.throws(() => spearman([1], [1, 2]), /lengths/);
});
