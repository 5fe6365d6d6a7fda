/**
 * The access-cost section's kernels compile and run on this adapter and yield one
 * finite row per case (its timings are figures for `deno task bench`, not asserted).
 */
import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { measureAccessCosts } from "../src/bench/access_costs.ts";
import { accessText } from "../src/bench/report.ts";

gpuTest("bench access: every case runs and reports a finite cost", async (gpu) => {
  const rows = await measureAccessCosts(gpu, { reps: 1, dispatches: 1 });
  assert.deepEqual(rows.map((r) => r.name).slice(0, 5), [
    "empty loop",
    "storage load f32",
    "storage load vec4",
    "uniform load vec4",
    "storage store vec4",
  ]);
  for (const r of rows) {
    assert.ok(Number.isFinite(r.nsPerIteration) && r.nsPerIteration > 0, r.name);
  }
  assert.equal(rows[0].nsAboveLoop, 0);
  const blocks = rows.filter((r) => r.name.startsWith("block"));
  assert.deepEqual(blocks.map((r) => r.macsPerIteration), [64, 128, 256]);
  assert.match(accessText(rows), /block 16 pixels × 16 channels/);
});
