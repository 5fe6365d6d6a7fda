/**
 * `deno task evolve --edge-ops`: the open space's vocabulary as a flag. New cells and
 * mutations draw only from the listed ops; the paper's five stay the default and are
 * left out of a run's JSON so that a run's JSON without the field reads the same.
 */
import assert from "node:assert/strict";
import { Rng } from "../src/util/rng.ts";
import { type EdgeOp, OPEN_SPACE_OPS, REFERENCE_CELL } from "../src/space/mod.ts";
import {
  DEFAULT_EVOLVE_CONFIG,
  describeEvolveRun,
  evolveConfigFromJson,
  evolveConfigToJson,
  parseEdgeOps,
  parseEvolveArgs,
} from "../src/evolve/config.ts";
import { LayerPopulation, type LayerPopulationShape } from "../src/evolve/population.ts";
import { makeOffspring } from "../src/evolve/offspring.ts";
import { throwsLine } from "./_helpers.ts";

const SHAPE: LayerPopulationShape = { cin: 24, cout: 24, stride: 1, inputSize: 14 };
const LARGE_KERNELS: EdgeOp[] = ["conv1x1", "identity", "zero", "dwconv5x5", "dwconv7x7"];

/** Every edge op used by the population's cells. */
function opsUsed(pop: LayerPopulation): Set<EdgeOp> {
  return new Set(pop.entries().flatMap((e) => e.cell.edges));
}

Deno.test("--edge-ops: short or full names, canonical order, one line on bad lists", () => {
  assert.deepEqual(parseEdgeOps("dw7, c1,id,dwconv5x5,-"), LARGE_KERNELS);
  const config = parseEvolveArgs(["--edge-ops", "c1,c3,dw3,dw5,dw7,id,-"]);
  assert.equal(config.edgeOps.length, 7);
  assert.deepEqual(parseEvolveArgs([]).edgeOps, OPEN_SPACE_OPS);
  // Listed in any order, the paper's five draw exactly as the default does.
  assert.deepEqual(parseEdgeOps("-,id,dw3,c3,c1"), OPEN_SPACE_OPS);
  assert.match(describeEvolveRun(config), /edge ops c1,c3,dw3,id,-,dw5,dw7$/);
  assert.doesNotMatch(describeEvolveRun(parseEvolveArgs([])), /edge ops/);
  throwsLine(() => parseEvolveArgs(["--edge-ops", "c1,dw9"]), /--edge-ops: unknown op "dw9"/);
  throwsLine(() => parseEvolveArgs(["--edge-ops", "c1,c1"]), /c1 is listed twice/);
  throwsLine(() => parseEvolveArgs(["--edge-ops", "-"]), /at least one op other than zero/);
});

Deno.test("--edge-ops: kept in a run's JSON only when not the paper's five", () => {
  assert.equal(evolveConfigToJson(DEFAULT_EVOLVE_CONFIG).edgeOps, undefined);
  assert.deepEqual(
    evolveConfigFromJson(evolveConfigToJson(DEFAULT_EVOLVE_CONFIG)).edgeOps,
    OPEN_SPACE_OPS,
  );
  const wide = parseEvolveArgs(["--edge-ops", "c1,dw5,dw7,id,-"]);
  const json = evolveConfigToJson(wide);
  assert.deepEqual(json.edgeOps, LARGE_KERNELS);
  assert.deepEqual(evolveConfigFromJson(JSON.parse(JSON.stringify(json))).edgeOps, LARGE_KERNELS);
});

Deno.test("--edge-ops: populations and children draw only from the listed ops", () => {
  const rng = new Rng(3);
  const free = LayerPopulation.initial(rng, 16, 2, SHAPE, { ops: LARGE_KERNELS });
  const used = opsUsed(free);
  for (const op of used) assert.ok(LARGE_KERNELS.includes(op), `${op} not listed`);
  assert.ok(used.has("dwconv5x5") || used.has("dwconv7x7"), "no large kernel drawn");

  const winners = free.entries().slice(0, 4).map((e) => e.id);
  const children = makeOffspring(free, winners, rng, {
    count: 4,
    useReference: false,
    ops: LARGE_KERNELS,
  });
  assert.equal(children.length, 4);
  for (const child of children) {
    for (const op of child.cell.edges) assert.ok(LARGE_KERNELS.includes(op), child.id);
  }

  // Around the reference DAG (dw3 → id → id), mutated edges still come from the list.
  const near = LayerPopulation.initial(rng, 8, 2, SHAPE, {
    reference: REFERENCE_CELL,
    tau: 0.5,
    ops: LARGE_KERNELS,
  });
  const allowed = new Set<EdgeOp>([...LARGE_KERNELS, ...REFERENCE_CELL.edges]);
  for (const op of opsUsed(near)) assert.ok(allowed.has(op), `${op} outside list and reference`);
  assert.ok(!opsUsed(near).has("conv3x3"));
});
