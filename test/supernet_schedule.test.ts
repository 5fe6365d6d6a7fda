import assert from "node:assert/strict";
import { throwsLine } from "./_helpers.ts";
import { ByteImageDataset } from "../src/data/byte_image_dataset.ts";
import { type SupernetData, supernetSchedule } from "../src/supernet/search_data.ts";
import { parseSearchArgs } from "../src/search/config.ts";

function ramp(n: number): ByteImageDataset {
  return new ByteImageDataset({
    source: `ramp-${n}`,
    pixels: Uint8Array.from({ length: n * 4 }, (_, i) => i % 251),
    labels: Uint8Array.from({ length: n }, (_, i) => i % 3),
    shape: [1, 2, 2],
    numClasses: 3,
    classNames: ["a", "b", "c"],
    normalization: { mean: [0], std: [1] },
    augmentation: { padCrop: 0, flip: false, eraseProb: 0 },
    augment: false,
  });
}

const DATA: SupernetData = { train: ramp(64), val: ramp(40), shape: [1, 2, 2], numClasses: 3 };
const CFG = { batchSize: 8, seed: 1, warmupEpochs: 1, epochs: 2 };

Deno.test("supernet schedule: --arch-batch sizes the held-out batches, not the weight steps'", async () => {
  const plain = supernetSchedule(DATA, CFG);
  assert.equal((await plain.heldOut.next()).n, 8, "the weight steps' batch by default");
  const wide = supernetSchedule(DATA, { ...CFG, archBatch: 16 });
  assert.equal((await wide.heldOut.next()).n, 16);
  assert.equal(wide.stepsPerEpoch, 8, "64 training images in batches of 8");
  assert.equal(wide.totalSteps, 24);
  // Two whole batches of 16 an epoch out of 40 images: the third draw starts epoch 2.
  await wide.heldOut.next();
  assert.equal((await wide.heldOut.next()).n, 16);
  assert.equal(wide.heldOut.consumed, 3);
  throwsLine(
    () => supernetSchedule(DATA, { ...CFG, archBatch: 41 }),
    /takes 41 held-out images but the held-out split has 40: lower --arch-batch/,
  );
});

Deno.test("search config: --arch-batch", () => {
  const space = ["--space", "baseline:compact-28"];
  assert.equal(parseSearchArgs(space).archBatch, 0);
  assert.equal(parseSearchArgs([...space, "--arch-batch", "256"]).archBatch, 256);
  throwsLine(() => parseSearchArgs([...space, "--arch-batch", "-4"]), /--arch-batch/);
  throwsLine(() => parseSearchArgs([...space, "--arch-batch", "2.5"]), /--arch-batch/);
});
