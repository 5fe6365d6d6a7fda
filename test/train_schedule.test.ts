/**
 * The cosine schedule over a long run (100 epochs of Fashion-MNIST at batch 128):
 * linear warmup to the base rate, half of it midway through the decay, monotone
 * decay to the minimum at the last step.
 */
import assert from "node:assert/strict";
import { cosineLr } from "../src/train/schedule.ts";

Deno.test("cosineLr: warmup, then a monotone cosine to the minimum over a 100-epoch run", () => {
  const stepsPerEpoch = 468;
  const s = { baseLr: 0.2, totalSteps: 100 * stepsPerEpoch, warmupSteps: 2 * stepsPerEpoch };
  assert.ok(Math.abs(cosineLr(s, 0) - 0.2 / s.warmupSteps) < 1e-12, "first warmup step");
  assert.ok(Math.abs(cosineLr(s, s.warmupSteps - 1) - 0.2) < 1e-12, "warmup ends at the base");
  const middle = s.warmupSteps + (s.totalSteps - s.warmupSteps) / 2;
  assert.ok(Math.abs(cosineLr(s, middle) - 0.1) < 1e-12, "half the base midway");
  let previous = Infinity;
  for (let step = s.warmupSteps; step < s.totalSteps; step += 97) {
    const lr = cosineLr(s, step);
    assert.ok(lr <= previous && lr >= 0, `step ${step}: ${lr}`);
    previous = lr;
  }
  assert.ok(cosineLr(s, s.totalSteps - 1) < 1e-6, "close to 0 at the last step");
  assert.equal(cosineLr({ ...s, minLr: 1e-3 }, s.totalSteps), 1e-3, "ends at minLr");
  assert.equal(cosineLr(s, 10 * s.totalSteps), 0, "past the end it stays at the minimum");
});
