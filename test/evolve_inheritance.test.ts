import assert from "node:assert/strict";
import { parseCompactCell, REFERENCE_CELL } from "../src/space/mod.ts";
import { inheritancePlan } from "../src/evolve/inheritance.ts";

const cell = parseCompactCell;
// Edge order in the compact form: 0-1, 0-2, 1-2, 0-3, 1-3, 2-3.

Deno.test("inheritance: same ratio copies expand, project and unchanged live edges", () => {
  // Reference r6 0-dw3->1-id->2-id->3; the child adds a 1x1 conv on 0 -> 3.
  const child = cell("r6:dw3,-,id,c1,-,id:++");
  assert.deepEqual(inheritancePlan(child, REFERENCE_CELL), {
    expand: true,
    project: true,
    se: false,
    edges: [{ childEdge: "0-1", parentEdge: "0-1" }],
  });
  // The reverse: the parent's 0-3 conv is simply not needed by the child.
  assert.deepEqual(inheritancePlan(REFERENCE_CELL, child).edges, [
    { childEdge: "0-1", parentEdge: "0-1" },
  ]);
});

Deno.test("inheritance: an op change on an edge is not inherited; a ratio change inherits nothing", () => {
  const parent = cell("r3:dw3,-,c3,-,-,c1:++");
  const child = cell("r3:dw3,-,c1,-,-,c1:++"); // 1-2 changed from 3x3 to 1x1 conv
  assert.deepEqual(inheritancePlan(child, parent).edges, [
    { childEdge: "0-1", parentEdge: "0-1" },
    { childEdge: "2-3", parentEdge: "2-3" },
  ]);
  const otherRatio = cell("r6:dw3,-,c3,-,-,c1:++");
  assert.deepEqual(inheritancePlan(otherRatio, parent), {
    expand: false,
    project: false,
    se: false,
    edges: [],
  });
});

Deno.test("inheritance: ratio 1 has no expansion; dead parent edges are not a source", () => {
  // Parent: 0-2 conv3x3 is dead (node 2 has no path to 3).
  const parent = cell("r1:dw3,c3,-,-,id,-:++");
  const child = cell("r1:dw3,c3,-,-,id,id:++"); // 2 -> 3 makes 0-2 live
  const plan = inheritancePlan(child, parent);
  assert.equal(plan.expand, false);
  assert.equal(plan.project, true);
  assert.deepEqual(plan.edges, [{ childEdge: "0-1", parentEdge: "0-1" }]);
});

Deno.test("inheritance: zero cells inherit nothing; anySameOpEdge pairs edges of the same op elsewhere", () => {
  const zero = cell("r6:-,-,-,-,-,-:++");
  assert.deepEqual(inheritancePlan(zero, REFERENCE_CELL).edges, []);
  assert.equal(inheritancePlan(REFERENCE_CELL, zero).project, false);
  // The depthwise conv moved from 0 -> 1 to 2 -> 3 (0 -id-> 1 -id-> 2 -dw-> 3).
  const moved = cell("r6:id,-,id,-,-,dw3:++");
  assert.deepEqual(inheritancePlan(moved, REFERENCE_CELL).edges, []);
  // 2 -> 3 is not strided, 0 -> 1 is: not paired even with the option.
  assert.deepEqual(inheritancePlan(moved, REFERENCE_CELL, { anySameOpEdge: true }).edges, []);
  const movedInside = cell("r6:dw3,-,dw3,-,-,id:++"); // parent: 0-dw->1-dw->2-id->3
  const child = cell("r6:dw3,-,id,-,-,dw3:++"); // second dw moved to 2 -> 3
  assert.deepEqual(inheritancePlan(child, movedInside).edges, [
    { childEdge: "0-1", parentEdge: "0-1" },
  ]);
  assert.deepEqual(inheritancePlan(child, movedInside, { anySameOpEdge: true }).edges, [
    { childEdge: "0-1", parentEdge: "0-1" },
    { childEdge: "2-3", parentEdge: "1-2" },
  ]);
});
