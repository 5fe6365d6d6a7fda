/**
 * The training-step benchmark's network, arithmetic and flags, and one tiny step of a
 * given network (`--train-arch`) at its own input size.
 */
import assert from "node:assert/strict";
import { parseBenchArgs } from "../src/bench/command.ts";
import { trainText } from "../src/bench/report.ts";
import { floorModels } from "../src/bench/step_floor.ts";
import {
  benchTrainStep,
  imagesPerSecond,
  PYTORCH_REFERENCE,
  stepsPerRep,
  trainNetworkSpec,
} from "../src/bench/train_step.ts";
import { makeCell } from "../src/space/cell.ts";
import { gpuTest } from "./_helpers.ts";
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

Deno.test("bench train: --train-arch needs the train section and is not --train-width", () => {
  const request = parseBenchArgs(["--sections", "train", "--train-arch", "mobilenetv2-28"]);
  assert.equal(request.trainArch, "mobilenetv2-28");
  assert.equal(parseBenchArgs([]).trainArch, null);
  assert.throws(() => parseBenchArgs(["--sections", "forward", "--train-arch", "x"]), /train/);
  assert.throws(
    () => parseBenchArgs(["--sections", "train", "--train-arch", "x", "--train-width", "1"]),
    /two networks/,
  );
});

Deno.test("bench train: the floor models inverted-residual networks, not cells", () => {
  assert.equal(floorModels(mobileNetV2For28()), true);
  const cellNet = {
    ...mobileNetV2For28(),
    blocks: [{
      type: "cell" as const,
      cin: 16,
      cout: 16,
      stride: 1,
      cell: makeCell({
        ratio: 1,
        edges: { "0-1": "dwconv3x3", "1-2": "identity", "2-3": "identity" },
      }),
    }],
  };
  assert.equal(floorModels(cellNet), false);
});

gpuTest(
  "bench train: a given network is trained at its own input size and classes",
  async (gpu) => {
    const spec = { ...mobileNetV2For28(0.25), input: { channels: 3, size: 16 }, classes: 7 };
    const result = await benchTrainStep(gpu, {
      batch: 4,
      width: 0.5,
      network: { spec, source: "tiny.json" },
      reps: 5,
      warmup: 2,
      minRepMs: 1,
      profile: false,
      profileSteps: 1,
      seed: 3,
    }, () => {});
    assert.equal(result.arch, "tiny.json");
    assert.equal(result.madds, countNetwork(spec).total.madds);
    assert.match(result.description, /tiny\.json, 16×16×3/);
    assert.match(trainText(result), /not this network/);
    assert.ok(result.stepMedianMs > 0);
  },
);
