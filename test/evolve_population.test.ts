import assert from "node:assert/strict";
import { Rng } from "../src/util/rng.ts";
import {
  builtinBackbone,
  canonicalize,
  cellId,
  cellMAdds,
  cellsEqual,
  hammingDistance,
  isZeroCell,
  makeCell,
  makeSearchSpaceFile,
  parseCompactCell,
  readSearchSpaceFile,
  REFERENCE_CELL,
  writeSearchSpaceFile,
  ZERO_CELL,
} from "../src/space/mod.ts";
import {
  LayerPopulation,
  type LayerPopulationShape,
  searchableLayerShapes,
} from "../src/evolve/population.ts";

/** A stride-1, width-preserving layer of proxyless-28 (a zero cell may skip it). */
const SKIP_SHAPE: LayerPopulationShape = { cin: 24, cout: 24, stride: 1, inputSize: 14 };
/** A stride-2 layer (no skip possible). */
const STRIDE_SHAPE: LayerPopulationShape = { cin: 16, cout: 24, stride: 2, inputSize: 28 };

const refMAdds = (s: LayerPopulationShape) =>
  cellMAdds(REFERENCE_CELL, s.cin, s.cout, s.stride, s.inputSize, s.inputSize);

Deno.test("initial population with a reference: reference first, all within tau, under cap, distinct", () => {
  const cap = 2 * refMAdds(SKIP_SHAPE);
  const pop = LayerPopulation.initial(new Rng(1), 20, 3, SKIP_SHAPE, {
    maddsCap: cap,
    reference: REFERENCE_CELL,
    tau: 0.5,
  });
  const entries = pop.entries();
  assert.equal(entries.length, 20);
  assert.equal(entries[0].id, cellId(REFERENCE_CELL));
  assert.equal(new Set(entries.map((e) => e.id)).size, 20);
  for (const e of entries) {
    assert.ok(cellsEqual(e.cell, canonicalize(e.cell)), `${e.id} not canonical`);
    assert.equal(e.id, cellId(e.cell));
    assert.ok(e.madds <= cap, `${e.id}: ${e.madds} > ${cap}`);
    assert.equal(e.madds, cellMAdds(e.cell, 24, 24, 1, 14, 14));
    assert.ok(hammingDistance(e.cell, REFERENCE_CELL) < 0.5, `${e.id} too far`);
    assert.ok(!isZeroCell(e.cell));
    assert.equal(e.fitness, 0);
    assert.equal(e.born, 0);
    assert.equal(e.timesSampled, 0);
  }
  // Mutations change ratio and aggregations too, not only edges.
  assert.ok(new Set(entries.map((e) => e.cell.ratio)).size > 1);
});

Deno.test("initial population without a reference: random cells, seeded, never over the cap", () => {
  const cap = 1.5 * refMAdds(STRIDE_SHAPE);
  const make = (seed: number) =>
    LayerPopulation.initial(new Rng(seed), 24, 1, STRIDE_SHAPE, {
      maddsCap: cap,
      initFitness: -0.5,
    })
      .entries().map((e) => e.id);
  const a = make(7);
  assert.deepEqual(make(7), a);
  assert.notDeepEqual(make(8), a);
  const pop = LayerPopulation.initial(new Rng(7), 24, 1, STRIDE_SHAPE, { maddsCap: cap });
  for (const e of pop.entries()) assert.ok(e.madds <= cap && e.madds > 0);
  // Some random cells must have exceeded the cap for this test to mean anything.
  const big = makeCell({
    ratio: 6,
    edges: { "0-1": "conv3x3", "1-2": "identity", "2-3": "identity" },
  });
  assert.ok(cellMAdds(big, 16, 24, 2, 28, 28) > cap);
});

Deno.test("zero cell: only where the layer allows a skip and the flag is on", () => {
  const on = LayerPopulation.initial(new Rng(0), 2, 0, SKIP_SHAPE, { allowZeroCell: true });
  assert.equal(on.zeroCellAllowed, true);
  assert.equal(on.admits(ZERO_CELL), null);
  on.add(ZERO_CELL, { fitness: 0 });
  assert.ok(on.get("zero"));
  const off = LayerPopulation.initial(new Rng(0), 2, 0, SKIP_SHAPE, {});
  assert.match(off.admits(ZERO_CELL)!, /zero cell/);
  const strided = LayerPopulation.initial(new Rng(0), 2, 0, STRIDE_SHAPE, { allowZeroCell: true });
  assert.equal(strided.zeroCellAllowed, false);
  assert.throws(() => strided.add(ZERO_CELL, { fitness: 0 }), /zero cell not allowed/);
  // With the flag on, many random draws include no zero cell in a strided layer.
  const big = LayerPopulation.initial(new Rng(3), 200, 0, STRIDE_SHAPE, { allowZeroCell: true });
  assert.ok(big.entries().every((e) => !isZeroCell(e.cell)));
});

Deno.test("equivalent cells are one entry; cap and duplicates are refused with a reason", () => {
  const pop = new LayerPopulation(0, SKIP_SHAPE, {
    maxSize: 10,
    maddsCap: 2 * refMAdds(SKIP_SHAPE),
    allowZeroCell: false,
  });
  pop.add(REFERENCE_CELL, { fitness: 0 });
  // Same function: a chain with the identity edges shortened (0 -dw-> 1 -id-> 3).
  const shortChain = parseCompactCell("r6:dw3,-,-,-,id,-:++");
  assert.equal(cellId(shortChain), cellId(REFERENCE_CELL));
  assert.match(pop.admits(shortChain)!, /already/);
  const expensive = parseCompactCell("r6:c3,-,id,-,-,id:++");
  assert.match(pop.admits(expensive)!, /above the cap/);
  assert.throws(() => pop.add(expensive, { fitness: 0 }), /cannot add .*above the cap/);
  assert.throws(() => pop.add(parseCompactCell("r3:dw3,-,id,-,-,id:++"), { fitness: NaN }));
});

Deno.test("eviction: lowest fitness among unprotected, ties oldest first, sampled cells kept", () => {
  const pop = new LayerPopulation(0, SKIP_SHAPE, {
    maxSize: 3,
    maddsCap: Infinity,
    allowZeroCell: false,
  });
  const cells = ["r1:dw3,-,id,-,-,id:++", "r3:dw3,-,id,-,-,id:++", "r6:dw3,-,id,-,-,id:++"]
    .map(parseCompactCell);
  const a = pop.add(cells[0], { fitness: -1 }); // worst, but will be sampled
  const b = pop.add(cells[1], { fitness: 0.5 });
  const c = pop.add(cells[2], { fitness: 0.5 });
  pop.markSampled([a.id]);
  pop.advanceRegeneration();
  const d = pop.add(parseCompactCell("r1:c1,-,id,-,-,id:++"), { fitness: 0.5 });
  const e = pop.add(parseCompactCell("r3:c1,-,id,-,-,id:++"), { fitness: 2 });
  assert.equal(d.born, 1);
  const removed = pop.evict([e.id]);
  // Two over the limit: a is sampled and e protected; b, c, d tie at 0.5 -> oldest go (b, c).
  assert.deepEqual(removed.map((x) => x.id), [b.id, c.id]);
  assert.deepEqual(pop.entries().map((x) => x.id), [a.id, d.id, e.id]);
  assert.deepEqual(pop.evict(), []);
});

Deno.test("top-k ranks scored cells first, then by fitness; feeds makeSearchSpaceFile", () => {
  const backbone = builtinBackbone("proxyless-28")!;
  const { layer, shape } = searchableLayerShapes(backbone)[0];
  assert.equal(layer, 1);
  assert.deepEqual(shape, { cin: 16, cout: 24, stride: 2, inputSize: 28 });
  const pop = LayerPopulation.initial(new Rng(2), 6, layer, shape, {
    maddsCap: 3 * refMAdds(shape),
    reference: REFERENCE_CELL,
    tau: 0.5,
  });
  const ids = pop.entries().map((e) => e.id);
  pop.markSampled([ids[1], ids[2], ids[3]]);
  pop.require(ids[1]).fitness = 0.2;
  pop.require(ids[2]).fitness = 0.9;
  pop.require(ids[3]).fitness = -0.4;
  pop.require(ids[4]).fitness = 5; // never scored: inherited, ranks after scored ones
  assert.deepEqual(pop.top(4).map((e) => e.id), [ids[2], ids[1], ids[3], ids[4]]);
  const file = makeSearchSpaceFile(backbone, [pop.toSearchSpaceLayer(3)], { seed: 2 });
  const text = writeSearchSpaceFile(file);
  const back = readSearchSpaceFile(text, "space.json");
  assert.deepEqual(back.layers[0].cells.map((c) => c.id), [ids[2], ids[1], ids[3]]);
});

Deno.test("population JSON round trip is exact, and bad JSON fails with one line", () => {
  const rng = new Rng(11);
  const pop = LayerPopulation.initial(rng, 8, 5, SKIP_SHAPE, {
    maddsCap: 2 * refMAdds(SKIP_SHAPE),
    maxSize: 12,
    reference: REFERENCE_CELL,
    tau: 0.5,
    allowZeroCell: true,
  });
  const ids = pop.entries().map((e) => e.id);
  pop.markSampled([ids[3], ids[0]]);
  pop.recordTraining([ids[3], ids[0]], 30);
  pop.require(ids[3]).fitness = 0.1 + 0.2; // a double with a long expansion
  pop.require(ids[0]).fitness = -1 / 3;
  pop.advanceRegeneration();
  pop.add(parseCompactCell("r1:c1,-,id,-,-,id:++"), { fitness: 1e-17, parentId: ids[3] });
  const text = JSON.stringify(pop.toJSON());
  const back = LayerPopulation.fromJSON(JSON.parse(text));
  assert.deepEqual(back.toJSON(), pop.toJSON());
  assert.equal(JSON.stringify(back.toJSON()), text);
  assert.equal(back.require(ids[3]).fitness, 0.1 + 0.2);
  assert.deepEqual(back.sampled(), [ids[3], ids[0]]);
  assert.equal(back.regeneration, 1);
  assert.equal(back.limits.maddsCap, pop.limits.maddsCap);
  // Infinity (no cap) survives as null.
  const uncapped = LayerPopulation.initial(new Rng(1), 3, 0, SKIP_SHAPE);
  assert.equal(LayerPopulation.fromJSON(uncapped.toJSON()).limits.maddsCap, Infinity);

  const broken = JSON.parse(text);
  broken.entries[2].id = "r6:dw3,-,id,-,-,id:**";
  assert.throws(
    () => LayerPopulation.fromJSON(broken, "ckpt.json layer 5"),
    (err: Error) =>
      /^ckpt\.json layer 5\.entries\[2\]\.id: .* is not the cell's id/.test(err.message) &&
      !err.message.includes("\n"),
  );
  const badSampled = JSON.parse(text);
  badSampled.sampled = ["nope"];
  assert.throws(() => LayerPopulation.fromJSON(badSampled), /sampled\[0\]/);
  const badFitness = JSON.parse(text);
  badFitness.entries[0].fitness = "high";
  assert.throws(() => LayerPopulation.fromJSON(badFitness), /entries\[0\]\.fitness/);
});

Deno.test("initial population that cannot be filled throws one line", () => {
  const tiny = 0.2 * refMAdds(STRIDE_SHAPE);
  assert.throws(
    () =>
      LayerPopulation.initial(new Rng(0), 50, 1, STRIDE_SHAPE, {
        maddsCap: tiny,
        reference: REFERENCE_CELL,
        tau: 0.2,
        triesPerCell: 20,
      }),
    (err: Error) => /found only \d+ of 50/.test(err.message) && !err.message.includes("\n"),
  );
});
