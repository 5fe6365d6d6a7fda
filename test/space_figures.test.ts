/** What a space's cells are like (src/space/space_figures.ts, `cellDepth`), on known cells. */
import assert from "node:assert/strict";
import { makeCell, parseCompactCell, REFERENCE_CELL, ZERO_CELL } from "../src/space/cell.ts";
import { cellDepth } from "../src/space/cell_graph.ts";
import { cellId } from "../src/space/canonical.ts";
import { cellMAdds } from "../src/space/counting.ts";
import type { EdgeOp } from "../src/space/ops.ts";
import { builtinBackbone } from "../src/space/backbone.ts";
import { makeSearchSpaceFile } from "../src/space/search_space_file.ts";
import { cellFigures, LIVE_EDGE_OPS, spaceFigures } from "../src/space/space_figures.ts";
import { searchableLayerShapes } from "../src/evolve/population.ts";
import { runScript } from "./_helpers.ts";

Deno.test("cellDepth: the most convs on a live path, identities free, dead edges ignored", () => {
  assert.equal(cellDepth(REFERENCE_CELL), 1);
  // The reference with its identity chain contracted is equivalent, and as deep.
  const contracted = makeCell({ ratio: 6, edges: { "0-1": "dwconv3x3", "1-3": "identity" } });
  assert.equal(cellId(contracted), cellId(REFERENCE_CELL));
  assert.equal(cellDepth(contracted), 1);
  assert.equal(cellDepth(ZERO_CELL), 0);
  assert.equal(cellDepth(makeCell({ ratio: 1, edges: { "0-3": "identity" } })), 0);
  // Three convs in a chain, beside a one-conv shortcut: the chain counts.
  const chain = parseCompactCell("r3:c1,-,c3,c1,-,dw3:++");
  assert.equal(cellDepth(chain), 3);
  // A conv chain that never reaches node 3 is dead: only the live shortcut counts.
  const dead = makeCell({
    ratio: 1,
    edges: { "0-1": "conv3x3", "1-2": "conv3x3", "0-3": "conv1x1" },
  });
  assert.equal(cellDepth(dead), 1);
});

const BACKBONE = builtinBackbone("compact-28")!;
const SHAPES = searchableLayerShapes(BACKBONE);

Deno.test("cellFigures: op and ratio mixes, product nodes, MAdds against the reference, depth", () => {
  const { shape } = SHAPES[0];
  // Node 3 multiplies its two live inputs (0 → 3 and 2 → 3); node 2 has one input.
  const product = parseCompactCell("r3:c1,dw3,-,id,-,c1:+*");
  const f = cellFigures([REFERENCE_CELL, product], shape);
  assert.equal(f.cells, 2);
  // Live edges: dw3, id, id (reference) and dw3, id, c1 (product cell; 0 → 1 is dead).
  assert.equal(f.liveEdgesPerCell, 3);
  const share = (op: EdgeOp) => f.opShares[LIVE_EDGE_OPS.indexOf(op)];
  assert.equal(share("identity"), 3 / 6);
  assert.equal(share("dwconv3x3"), 2 / 6);
  assert.equal(share("conv1x1"), 1 / 6);
  assert.equal(f.opShares.reduce((a, b) => a + b, 0), 1);
  assert.deepEqual(f.ratioShares, [0, 0.5, 0.5]);
  assert.equal(f.aggregatingNodesPerCell, 0.5);
  assert.equal(f.productShare, 1);
  assert.equal(f.depth, (1 + 2) / 2);
  const madds = (c: typeof product) =>
    cellMAdds(c, shape.cin, shape.cout, shape.stride, shape.inputSize, shape.inputSize);
  assert.equal(f.maddsPerCell, (madds(REFERENCE_CELL) + madds(product)) / 2);
  assert.ok(
    Math.abs(f.maddsVsReference - (1 + madds(product) / madds(REFERENCE_CELL)) / 2) < 1e-12,
  );
  assert.throws(() => cellFigures([], shape), /no cells/);
});

Deno.test("spaceFigures: per layer, and the layers' means", () => {
  const space = makeSearchSpaceFile(
    BACKBONE,
    SHAPES.map(({ layer }, i) => ({
      layer,
      cells: [
        { cell: REFERENCE_CELL, fitness: 0 },
        ...(i === 0 ? [] : [
          { cell: parseCompactCell("r1:dw3,-,id,-,-,id:++"), fitness: 0 },
        ]),
      ],
    })),
  );
  const figures = spaceFigures(space);
  assert.equal(figures.layers.length, SHAPES.length);
  assert.equal(figures.layers[0].maddsVsReference, 1);
  assert.deepEqual(figures.layers[0].ratioShares, [0, 0, 1]);
  assert.deepEqual(figures.layers[1].ratioShares, [0.5, 0, 0.5]);
  const n = SHAPES.length;
  assert.ok(Math.abs(figures.mean.ratioShares[2] - (1 + 0.5 * (n - 1)) / n) < 1e-12);
  assert.equal(figures.mean.depth, 1);
  assert.equal(figures.mean.productShare, 0);
});

Deno.test("compare-spaces --figures: one space is enough", async () => {
  const learned = "docs/runs/evolve-default/search_space.json";
  const run = await runScript("compare_spaces.ts", learned, "--figures");
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /What the cells are like/);
  assert.match(run.stdout, /\| space \| cells a layer \| op mix of live edges/);
  assert.doesNotMatch(run.stdout, /mean Jaccard/);
});
