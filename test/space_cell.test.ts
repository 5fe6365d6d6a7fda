import assert from "node:assert/strict";
import { Rng } from "../src/util/rng.ts";
import {
  canonicalize,
  type Cell,
  cellId,
  cellsEqual,
  countDistinctCells,
  EDGES,
  formatCell,
  functionKey,
  hammingDistance,
  isZeroCell,
  liveEdges,
  makeCell,
  mutate,
  mutateOnce,
  parseCell,
  parseCompactCell,
  pruneCell,
  randomCell,
  rawCells,
  REFERENCE_CELL,
  SpecError,
  ZERO_CELL,
} from "../src/space/mod.ts";

const cell = (text: string): Cell => parseCompactCell(text);

/** Swaps inner nodes 1 and 2 (valid relabelling when edge 1 → 2 is zero). */
function swapNodes12(c: Cell): Cell {
  const map = [0, 2, 1, 3];
  const edges = [...c.edges];
  EDGES.forEach(([i, j], index) => {
    const [a, b] = [map[i], map[j]];
    const target = EDGES.findIndex(([x, y]) => x === Math.min(a, b) && y === Math.max(a, b));
    edges[target] = c.edges[index];
  });
  return { ...c, edges };
}

/**
 * Evaluates a cell numerically with one fixed function per op (no per-edge weights)
 * and s(x) as a distinct function: equivalent cells must give equal outputs.
 */
function evaluate(c: Cell, x: number[]): number[] | null {
  const f: Record<string, (v: number[]) => number[]> = {
    conv1x1: (v) => v.map((a, i) => Math.tanh(1.3 * a + 0.1 * i)),
    conv3x3: (v) => v.map((a, i) => Math.sin(a + (v[(i + 1) % v.length] ?? 0))),
    dwconv3x3: (v) => v.map((a) => Math.max(0, a - 0.2) * 1.7),
    identity: (v) => v,
  };
  const live = liveEdges(c);
  const values: (number[] | null)[] = [x, null, null, null];
  for (let node = 1; node < 4; node++) {
    const inputs: number[][] = [];
    EDGES.forEach(([i, j], index) => {
      if (j !== node || !live[index] || values[i] === null) return;
      const source = c.edges[index] === "identity" && i === 0
        ? x.map((a) => 0.5 * a + 0.3) // s(x): subsampling stands in as a different map
        : values[i]!;
      inputs.push(c.edges[index] === "identity" ? source : f[c.edges[index]](source));
    });
    if (inputs.length === 0) continue;
    const agg = c.aggregation[node - 2];
    values[node] = inputs.reduce((acc, v) =>
      acc.map((a, i) => (agg === "add" ? a + v[i] : a * v[i]))
    );
  }
  return values[3];
}

Deno.test("compact cell form round-trips and rejects bad text with one line", () => {
  const c = cell("r3:dw5,dw3,id,-,dw3,dw3:*+");
  assert.equal(formatCell(c), "r3:dw5,dw3,id,-,dw3,dw3:*+");
  assert.equal(formatCell(cell("r6:c1,-,-,c3,-,-:++:se")), "r6:c1,-,-,c3,-,-:++:se");
  assert.throws(() => parseCompactCell("r4:-,-,-,-,-,-:++"), /bad ratio/);
  assert.throws(() => parseCompactCell("r6:dw9,-,-,-,-,-:++"), /unknown op "dw9"/);
  assert.throws(
    () => parseCell({ ratio: 6, edges: ["zero"], aggregation: ["add", "add"] }, "blocks[2].cell"),
    (err) => {
      assert.ok(err instanceof SpecError);
      assert.equal(err.path, "blocks[2].cell.edges");
      return true;
    },
  );
  assert.throws(
    () =>
      parseCell({
        ratio: 6,
        edges: ["zero", "zero", "zero", "sep5", "zero", "zero"],
        aggregation: ["add", "add"],
      }, "c"),
    /c\.edges\[3\]: unknown op on edge 0 -> 3 "sep5"/,
  );
});

Deno.test("liveness: dead edges, zero cell", () => {
  // 0 → 1 live only if 1 reaches 3.
  assert.deepEqual(liveEdges(cell("r6:dw3,-,-,id,-,-:++")), [
    false,
    false,
    false,
    true,
    false,
    false,
  ]);
  assert.ok(isZeroCell(ZERO_CELL));
  assert.ok(isZeroCell(cell("r6:dw3,c1,id,-,-,-:++")), "no edge into node 3");
  assert.ok(isZeroCell(cell("r6:-,-,-,-,dw3,id:++")), "nodes 1 and 2 unreachable");
  assert.ok(!isZeroCell(REFERENCE_CELL));
  assert.equal(cellId(cell("r3:c1,c3,dw3,-,-,-:*+")), "zero");
});

Deno.test("equivalent cells share an id", () => {
  const ref = cellId(REFERENCE_CELL);
  assert.equal(ref, "r6:dw3,-,id,-,-,id:++", "the reference chain is its own canonical form");
  // Dead edges do not matter.
  assert.equal(cellId(cell("r6:-,c3,-,dw3,-,-:++")), ref); // 0 -> 2 leads nowhere
  // Aggregation at a node with one input does not matter.
  assert.equal(cellId(cell("r6:dw3,-,id,-,-,id:**")), ref);
  // Identity chains between inner nodes contract: all of these are one IRB.
  assert.equal(cellId(cell("r6:-,-,-,dw3,-,-:++")), ref);
  assert.equal(cellId(cell("r6:dw3,-,-,-,id,-:++")), ref);
  // Relabelling nodes 1 and 2 (no edge between them) keeps the cell.
  const a = cell("r3:c1,dw3,-,id,c3,id:*+");
  assert.equal(cellId(swapNodes12(a)), cellId(a));
  assert.notEqual(formatCell(swapNodes12(a)), formatCell(a));
  // Sums are commutative and associative: (a + b) + c via an identity = a + b + c.
  assert.equal(
    cellId(cell("r1:c1,dw3,-,-,-,id:++")), // node 2 = dw(x) alone, node 3 = id(2)
    cellId(cell("r1:-,-,-,dw3,-,-:++")),
  );
  assert.equal(
    cellId(cell("r6:c1,dw3,id,-,-,id:++")), // node2 = c1(x)+dw(x) -> 3
    cellId(cell("r6:c1,dw3,-,-,id,id:++")), // node3 = c1(x)+dw(x)
  );
});

Deno.test("different cells get different ids", () => {
  const ids = new Set([
    cellId(REFERENCE_CELL),
    cellId({ ...REFERENCE_CELL, ratio: 3 }),
    cellId({ ...REFERENCE_CELL, se: true }),
    cellId(cell("r6:dw5,-,id,-,-,id:++")),
    cellId(cell("r6:id,-,dw3,-,-,id:++")), // dw3(s(x)) differs from dw3(x) at stride 2
    cellId(cell("r6:c1,dw3,-,-,id,id:++")), // add
    cellId(cell("r6:c1,dw3,-,-,id,id:+*")), // product at node 3
    // One c1 read twice versus two separate c1 convs.
    cellId(cell("r6:c1,-,dw3,-,id,id:++")), // 3 = c1(x) + dw(c1(x)), c1 shared
    cellId(cell("r6:-,c1,-,c1,-,dw3:++")), // 3 = c1(x) + dw(c1'(x)), two c1s
    cellId(cell("r6:-,-,-,c1,-,-:++")),
  ]);
  assert.equal(ids.size, 10);
});

Deno.test("canonical forms are equivalent, idempotent and pruned", () => {
  const rng = new Rng(7);
  for (let n = 0; n < 300; n++) {
    const c = randomCell(rng, { allowZeroCell: true });
    const canon = canonicalize(c);
    assert.equal(functionKey(canon), functionKey(c), formatCell(c));
    assert.ok(cellsEqual(canonicalize(canon), canon));
    assert.ok(cellsEqual(pruneCell(canon), canon), `canonical ${formatCell(canon)} has dead parts`);
    // Swapping nodes 1 and 2 keeps the DAG's order when edge 1 -> 2 is not live.
    if (!liveEdges(c)[2]) assert.equal(cellId(swapNodes12(pruneCell(c))), cellId(c));
  }
});

Deno.test("function keys are sound: equal keys give equal outputs", () => {
  const x = [0.3, -1.2, 0.8, 2.0, -0.4];
  const byKey = new Map<string, number[] | null>();
  let groupsChecked = 0;
  let index = 0;
  for (
    const c of rawCells({
      ops: ["conv1x1", "conv3x3", "dwconv3x3", "identity", "zero"],
      ratios: [6],
      aggregation: "per-node",
    })
  ) {
    if (index++ % 7 !== 0) continue;
    const key = functionKey(c);
    const out = evaluate(c, x);
    const seen = byKey.get(key);
    if (seen === undefined) {
      byKey.set(key, out);
      continue;
    }
    groupsChecked++;
    if (seen === null || out === null) assert.equal(out, seen);
    else {out.forEach((v, i) =>
        assert.ok(Math.abs(v - seen[i]) < 1e-9, `${formatCell(c)} vs key ${key}`)
      );}
  }
  assert.ok(groupsChecked > 1000);
});

Deno.test("the paper's 93,750 raw cells reduce to 40,087 distinct ones", () => {
  const counts = countDistinctCells();
  assert.equal(counts.raw, 93_750);
  assert.equal(counts.raw, 5 ** 6 * 3 * 2);
  assert.equal(counts.distinct, 40_087);
  // Zero cells: 2,046 raw ones for 3 ratios x 2 aggregations = 341 graphs each.
  assert.equal(counts.zeroRaw, 341 * 6);
});

Deno.test("Hamming distance (Eq. 2, V = 4, symmetric adjacency)", () => {
  assert.equal(hammingDistance(REFERENCE_CELL, REFERENCE_CELL), 0);
  assert.equal(hammingDistance(REFERENCE_CELL, ZERO_CELL), 3 * 2 / 12);
  const one = cell("r6:dw3,-,id,-,c1,id:++");
  assert.equal(hammingDistance(one, REFERENCE_CELL), 1 / 6);
  assert.equal(hammingDistance(REFERENCE_CELL, one), hammingDistance(one, REFERENCE_CELL));
  const all = cell("r1:c1,c1,c1,c1,c1,c1:**");
  assert.equal(hammingDistance(all, REFERENCE_CELL), 1);
  // Ratio and aggregation are not part of the graph.
  assert.equal(
    hammingDistance(
      { ...REFERENCE_CELL, ratio: 1, aggregation: ["product", "product"] },
      REFERENCE_CELL,
    ),
    0,
  );
});

Deno.test("mutation changes one gene and the cell, deterministically per seed", () => {
  const rng = new Rng(11);
  for (let n = 0; n < 200; n++) {
    const parent = randomCell(rng);
    const child = mutate(parent, rng);
    const changed = parent.edges.filter((op, i) => op !== child.edges[i]).length +
      (parent.ratio !== child.ratio ? 1 : 0) +
      parent.aggregation.filter((a, i) => a !== child.aggregation[i]).length;
    assert.equal(changed, 1);
    assert.notEqual(cellId(child), cellId(parent));
    assert.ok(!isZeroCell(child));
  }
  const a = mutate(REFERENCE_CELL, new Rng(3));
  const b = mutate(REFERENCE_CELL, new Rng(3));
  assert.ok(cellsEqual(a, b));
  const { gene } = mutateOnce(REFERENCE_CELL, new Rng(5), {
    ops: ["identity", "zero"],
    ratios: [6],
  });
  assert.ok(gene.kind !== "ratio", "the ratio cannot change when only one ratio is allowed");
});

Deno.test("mutation under tau stays near the reference, and fails clearly when it cannot", () => {
  const rng = new Rng(21);
  const tau = 0.4;
  let parent = REFERENCE_CELL;
  for (let n = 0; n < 100; n++) {
    const child = mutate(parent, rng, { reference: REFERENCE_CELL, tau });
    assert.ok(hammingDistance(child, REFERENCE_CELL) < tau);
    parent = child;
  }
  assert.throws(
    () => mutate(REFERENCE_CELL, new Rng(1), { reference: REFERENCE_CELL, tau: 0, maxTries: 20 }),
    /no acceptable mutation .* tau=0 .* in 20 tries/,
  );
  // Every edge differs from the reference: one mutation cannot get below 0.5.
  const far = cell("r6:c1,c1,c1,c1,c1,c1:++");
  assert.throws(() => mutate(far, new Rng(2), { reference: REFERENCE_CELL, tau: 0.5 }), /tau=0.5/);
  assert.throws(() => mutate(far, new Rng(2), { tau: 0.5 }), /needs a reference/);
});

Deno.test("random cells are never zero unless allowed, and use only the given ops", () => {
  const rng = new Rng(5);
  for (let n = 0; n < 200; n++) {
    const c = randomCell(rng, { ops: ["dwconv3x3", "identity", "zero"] });
    assert.ok(!isZeroCell(c));
    assert.ok(c.edges.every((op) => ["dwconv3x3", "identity", "zero"].includes(op)));
  }
  assert.throws(
    () => randomCell(rng, { ops: ["zero"], maxTries: 5 }),
    /only zero cells in 5 draws/,
  );
  assert.ok(
    cellsEqual(
      makeCell({ ratio: 6, edges: { "0-1": "dwconv3x3", "1-2": "identity", "2-3": "identity" } }),
      REFERENCE_CELL,
    ),
  );
});
