/**
 * The access-cost section's kernels compile and run on this adapter and yield one
 * finite row per case and an empty-dispatch cost (its timings are figures for
 * `deno task bench`, not asserted).
 */
import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { measureAccessCosts } from "../src/bench/access_costs.ts";
import { accessText } from "../src/bench/report.ts";
import { KernelTimer } from "../src/gpu/timing.ts";

gpuTest("bench access: every case runs and reports a finite cost", async (gpu) => {
  const timing = { reps: 1, warmup: 0, minRepMs: 0, memoryBudgetBytes: 2 ** 26 };
  const costs = await measureAccessCosts(gpu, new KernelTimer(gpu, "wallclock"), timing);
  const { rows } = costs;
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
  assert.deepEqual(rows.slice(-4).map((r) => r.name), [
    "storage load vec4, 8 MiB",
    "storage store vec4, 8 MiB",
    "storage load vec4, 64 MiB",
    "storage store vec4, 64 MiB",
  ]);
  const blocks = rows.filter((r) => r.name.startsWith("block"));
  assert.deepEqual(blocks.map((r) => r.macsPerIteration), [64, 128, 256]);
  assert.ok(Number.isFinite(costs.emptyDispatchUs) && costs.emptyDispatchUs > 0);
  assert.match(accessText(costs), /block 16 pixels × 16 channels/);
  assert.match(accessText(costs), /an empty dispatch \(one workgroup\): [\d.]+ µs/);
});
