import assert from "node:assert/strict";
import { Rng } from "../src/util/rng.ts";
import {
  cellId,
  cellMAdds,
  hammingDistance,
  parseCompactCell,
  REFERENCE_CELL,
} from "../src/space/mod.ts";
import { LayerPopulation, type LayerPopulationShape } from "../src/evolve/population.ts";
import { tournamentSelect } from "../src/evolve/selection.ts";
import { addOffspring, makeOffspring } from "../src/evolve/offspring.ts";

const candidates = (fitness: number[]) => fitness.map((f, i) => ({ id: `c${i}`, fitness: f }));

Deno.test("tournament of the whole population always takes the best remaining cells", () => {
  const pool = candidates([0.3, -2, 1.5, 0.9, 0.1, 1.2, -0.7, 0.0]);
  for (let seed = 0; seed < 20; seed++) {
    assert.deepEqual(tournamentSelect(pool, 4, pool.length, new Rng(seed)), [
      "c2",
      "c5",
      "c3",
      "c0",
    ]);
  }
});

Deno.test("tournament winners are distinct, seeded, and favour fitness", () => {
  const pool = candidates(Array.from({ length: 20 }, (_, i) => i / 10));
  const a = tournamentSelect(pool, 6, 3, new Rng(5));
  assert.equal(new Set(a).size, 6);
  assert.deepEqual(tournamentSelect(pool, 6, 3, new Rng(5)), a);
  assert.notDeepEqual(tournamentSelect(pool, 6, 3, new Rng(6)), a);
  // K = population size: every cell exactly once.
  assert.deepEqual(tournamentSelect(pool, 20, 2, new Rng(1)).sort(), pool.map((c) => c.id).sort());
  // Pressure: with size 4, the mean index of winners is well above the uniform mean 9.5;
  // with size 1 (uniform sampling) it is not.
  const meanIndex = (size: number) => {
    const rng = new Rng(9);
    let sum = 0;
    for (let t = 0; t < 400; t++) sum += Number(tournamentSelect(pool, 1, size, rng)[0].slice(1));
    return sum / 400;
  };
  assert.ok(meanIndex(4) > 13, `size 4 mean ${meanIndex(4)}`);
  assert.ok(Math.abs(meanIndex(1) - 9.5) < 1.5, `size 1 mean ${meanIndex(1)}`);
  assert.throws(() => tournamentSelect(pool.slice(0, 3), 4, 2, new Rng(0)), /need 4 distinct/);
  assert.throws(() => tournamentSelect(pool, 2, 0, new Rng(0)), /tournament size/);
});

const SHAPE: LayerPopulationShape = { cin: 24, cout: 24, stride: 1, inputSize: 14 };
const REF_MADDS = cellMAdds(REFERENCE_CELL, 24, 24, 1, 14, 14);

/** Runs `regenerations` rounds of select → score → offspring → evict; checks each round. */
function evolve(
  pop: LayerPopulation,
  rng: Rng,
  regenerations: number,
  useReference: (g: number) => boolean,
  check: (children: ReturnType<typeof makeOffspring>, g: number, before: Set<string>) => void,
) {
  for (let g = 0; g < regenerations; g++) {
    pop.advanceRegeneration();
    const winners = tournamentSelect(pop.entries(), 4, 3, rng);
    pop.markSampled(winners);
    for (const id of winners) pop.require(id).fitness += 0.3 * rng.normal();
    const before = new Set(pop.entries().map((e) => e.id));
    const children = makeOffspring(pop, winners, rng, {
      count: 3,
      useReference: useReference(g),
      reference: REFERENCE_CELL,
      tau: 0.5,
    });
    check(children, g, before);
    const { added } = addOffspring(pop, children, "parent", 0);
    assert.equal(added.length, children.length);
    assert.ok(pop.size <= pop.limits.maxSize);
    for (const e of pop.entries()) assert.ok(e.madds <= pop.limits.maddsCap, `${e.id} over cap`);
  }
}

Deno.test("offspring under the reference: within tau, new, under the MAdds cap, over many rounds", () => {
  const cap = 1.5 * REF_MADDS;
  // The cap excludes cells the reference's own one-gene mutations reach.
  assert.ok(cellMAdds(parseCompactCell("r6:c1,-,id,-,-,id:++"), 24, 24, 1, 14, 14) > cap);
  const rng = new Rng(3);
  const pop = LayerPopulation.initial(rng, 12, 2, SHAPE, {
    maddsCap: cap,
    maxSize: 20,
    reference: REFERENCE_CELL,
    tau: 0.5,
  });
  let total = 0;
  evolve(pop, rng, 60, () => true, (children, _g, before) => {
    total += children.length;
    assert.equal(new Set(children.map((c) => c.id)).size, children.length, "duplicate children");
    for (const child of children) {
      assert.ok(!before.has(child.id), `${child.id} already in the population`);
      assert.ok(hammingDistance(child.cell, REFERENCE_CELL) < 0.5, `${child.id} beyond tau`);
      assert.equal(child.id, cellId(child.cell));
      assert.ok(before.has(child.parentId));
      assert.ok(pop.maddsOf(child.cell) <= cap);
    }
  });
  assert.ok(total > 150, `only ${total} children in 60 rounds`);
});

Deno.test("offspring leave the reference after the reference phase, and never with no reference", () => {
  const rng = new Rng(4);
  const pop = LayerPopulation.initial(rng, 12, 2, SHAPE, {
    maddsCap: 2 * REF_MADDS,
    maxSize: 24,
    reference: REFERENCE_CELL,
    tau: 0.5,
  });
  let farAfter = 0;
  evolve(pop, rng, 60, (g) => g < 20, (children, g) => {
    for (const child of children) {
      const d = hammingDistance(child.cell, REFERENCE_CELL);
      if (g < 20) assert.ok(d < 0.5);
      else if (d >= 0.5) farAfter++;
    }
  });
  assert.ok(farAfter > 0, "no child moved beyond tau once the constraint was lifted");

  // reference undefined (--reference none): useReference has no effect.
  const free = LayerPopulation.initial(rng, 12, 2, SHAPE, { maddsCap: 2 * REF_MADDS });
  const far = free.entries().filter((e) => hammingDistance(e.cell, REFERENCE_CELL) >= 4 / 6);
  assert.ok(far.length >= 4);
  // One gene from these parents cannot get under tau = 0.5, so only an unconstrained
  // mutation can produce children.
  const winners = far.slice(0, 4).map((e) => e.id);
  const children = makeOffspring(free, winners, rng, { count: 4, useReference: true });
  assert.equal(children.length, 4);
  const stuck = makeOffspring(free, winners, rng, {
    count: 4,
    useReference: true,
    reference: REFERENCE_CELL,
    tau: 0.5,
  });
  assert.equal(stuck.length, 0);
});

Deno.test("offspring: fittest winners reproduce first; children inherit the parent's fitness", () => {
  const rng = new Rng(8);
  const pop = LayerPopulation.initial(rng, 6, 2, SHAPE, {
    maddsCap: 2 * REF_MADDS,
    maxSize: 7,
    reference: REFERENCE_CELL,
    tau: 0.5,
  });
  const ids = pop.entries().map((e) => e.id);
  pop.require(ids[0]).fitness = -1;
  pop.require(ids[1]).fitness = 2;
  pop.require(ids[2]).fitness = 0.5;
  pop.require(ids[5]).fitness = -3; // unsampled and worst: the one to evict
  pop.markSampled([ids[0], ids[1], ids[2]]);
  const children = makeOffspring(pop, [ids[0], ids[1], ids[2]], rng, {
    count: 2,
    useReference: true,
    reference: REFERENCE_CELL,
    tau: 0.5,
  });
  assert.deepEqual(children.map((c) => c.parentId), [ids[1], ids[2]]);
  const { added, evicted } = addOffspring(pop, children, "parent", 0);
  assert.deepEqual(added.map((e) => e.fitness), [2, 0.5]);
  assert.deepEqual(added.map((e) => e.parentId), [ids[1], ids[2]]);
  assert.deepEqual(evicted.map((e) => e.id), [ids[5]]);
  const init = makeOffspring(pop, [ids[1]], rng, { count: 1, useReference: false });
  assert.equal(addOffspring(pop, init, "init", -0.25).added[0].fitness, -0.25);
});
