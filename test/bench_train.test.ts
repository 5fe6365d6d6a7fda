/** Pure checks of the training-step benchmark's network and arithmetic (no GPU, no timing). */
import assert from "node:assert/strict";
import {
  imagesPerSecond,
  PYTORCH_REFERENCE,
  stepsPerRep,
  trainNetworkSpec,
} from "../src/bench/train_step.ts";
import { mobileNetV2For28 } from "../src/space/builtins.ts";
import { countNetwork } from "../src/space/counting.ts";

Deno.test("bench train: width 0.5 is the built-in 28×28 MobileNetV2", () => {
  const spec = trainNetworkSpec(0.5);
  const builtin = mobileNetV2For28();
  assert.deepEqual(spec.blocks, builtin.blocks);
  assert.deepEqual(spec.stem, builtin.stem);
  assert.equal(countNetwork(spec).total.madds, countNetwork(builtin).total.madds);
});

Deno.test("bench train: width 0.5 is within 10% of the reference's 12.2M MAdds", () => {
  const spec = trainNetworkSpec(0.5);
  assert.deepEqual([spec.input.channels, spec.input.size, spec.classes], [1, 28, 10]);
  const madds = countNetwork(spec).total.madds;
  assert.ok(Math.abs(madds / PYTORCH_REFERENCE.madds - 1) < 0.1, `${madds} MAdds`);
  assert.equal(spec.head.dropout, 0);
});

Deno.test("bench train: steps per repetition and images/s", () => {
  assert.equal(stepsPerRep(700, 1000), 2);
  assert.equal(stepsPerRep(2000, 1000), 1);
  assert.equal(stepsPerRep(1, 1000), 100); // capped
  assert.equal(imagesPerSecond(64, 500), 128);
});
