import assert from "node:assert/strict";
import { ByteImageDataset } from "../src/data/byte_image_dataset.ts";
import { getExample } from "../src/data/dataset.ts";
import { splitIndices, splitTrainVal, SubsetDataset } from "../src/data/split.ts";

Deno.test("splitIndices: disjoint, complete, sized, sorted", () => {
  const { train, val } = splitIndices(1000, 0.15, 5);
  assert.equal(val.length, 150);
  assert.equal(train.length, 850);
  const seen = new Set<number>();
  for (const i of [...train, ...val]) {
    assert.ok(!seen.has(i), `index ${i} in both parts`);
    seen.add(i);
  }
  assert.equal(seen.size, 1000);
  for (let k = 1; k < val.length; k++) assert.ok(val[k - 1] < val[k]);
  // Not simply the first or last block.
  assert.ok(val[0] < 100 && val[val.length - 1] > 900);
});

Deno.test("splitIndices: deterministic per seed, different across seeds", () => {
  assert.deepEqual(splitIndices(500, 0.1, 1), splitIndices(500, 0.1, 1));
  assert.notDeepEqual(splitIndices(500, 0.1, 1).val, splitIndices(500, 0.1, 2).val);
});

Deno.test("splitIndices: edge fractions", () => {
  assert.equal(splitIndices(10, 0, 0).val.length, 0);
  assert.equal(splitIndices(10, 0.01, 0).val.length, 1);
  assert.throws(() => splitIndices(10, 1, 0), /--val-split must be in \[0, 1\), got 1/);
  assert.throws(() => splitIndices(10, -0.1, 0), /--val-split/);
  assert.throws(() => splitIndices(1, 0.5, 0), /leaves no training data/);
});

Deno.test("splitTrainVal: views of the same data, validation never augmented", async () => {
  const n = 50;
  const base = new ByteImageDataset({
    source: "ramp",
    pixels: Uint8Array.from({ length: n * 4 }, (_, i) => i % 251),
    labels: Uint8Array.from({ length: n }, (_, i) => i % 7),
    shape: [1, 2, 2],
    numClasses: 7,
    classNames: ["a", "b", "c", "d", "e", "f", "g"],
    normalization: { mean: [0], std: [1] },
    augmentation: { padCrop: 1, flip: true, eraseProb: 0 },
    augment: true,
  });
  const { train, val } = splitTrainVal(base, 0.2, 9);
  assert.ok(val instanceof SubsetDataset && train instanceof SubsetDataset);
  assert.equal(val.length, 10);
  assert.equal(train.length, 40);
  assert.equal(train.augment, true);
  assert.equal(val.augment, false);
  assert.equal(val.source, "ramp [val split]");
  // Example k of the validation view is example val.indices[k] of the base, unaugmented.
  const plainBase = base.withAugment(false);
  for (let k = 0; k < val.length; k++) {
    assert.deepEqual(await getExample(val, k, k), await getExample(plainBase, val.indices[k]));
  }
  await assert.rejects(() => getExample(val, 10), /index 10 outside 0\.\.9/);
  assert.equal(splitTrainVal(base, 0, 9).val, null);
});
