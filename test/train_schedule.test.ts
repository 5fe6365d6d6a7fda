/**
 * The cosine schedule over a long run (100 epochs of Fashion-MNIST at batch 128):
 * linear warmup to the base rate, half of it midway through the decay, monotone
 * decay to the minimum at the last step.
 */
import assert from "node:assert/strict";
import { cosineLr, epochProgressPlan } from "../src/train/schedule.ts";

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

Deno.test("epochProgressPlan: the bar's total is the steps the epoch will really run", () => {
  const base = { epoch: 0, startStep: 0, globalStep: 0, stepsPerEpoch: 1875, epochs: 5 };
  // No cap: the whole epoch, all epochs.
  assert.deepEqual(epochProgressPlan({ ...base, maxSteps: Infinity }), {
    steps: 1875,
    lastEpoch: 5,
  });
  // --max-steps 30 (a quick run): 30 steps, and the run ends in epoch 1.
  assert.deepEqual(epochProgressPlan({ ...base, maxSteps: 30 }), { steps: 30, lastEpoch: 1 });
  // A cap inside epoch 2: epoch 1 runs whole, then 125 steps of epoch 2.
  assert.deepEqual(epochProgressPlan({ ...base, maxSteps: 2000 }), {
    steps: 1875,
    lastEpoch: 2,
  });
  assert.deepEqual(
    epochProgressPlan({ ...base, epoch: 1, globalStep: 1875, maxSteps: 2000 }),
    { steps: 125, lastEpoch: 2 },
  );
  // A run resumed mid-epoch counts the steps left in it.
  assert.deepEqual(
    epochProgressPlan({ ...base, epoch: 2, startStep: 1000, globalStep: 4750, maxSteps: Infinity }),
    { steps: 875, lastEpoch: 5 },
  );
  // A cap beyond the last epoch does not add epochs.
  assert.deepEqual(epochProgressPlan({ ...base, maxSteps: 100_000 }), {
    steps: 1875,
    lastEpoch: 5,
  });
});
