import assert from "node:assert/strict";
import type { Dataset, LoadResult } from "../src/data/dataset.ts";
import { RandomLabelsDataset } from "../src/data/random_labels.ts";

/** 1×1×1 images whose pixel is the index and whose label is index mod 10. */
function indexDataset(length: number, unreadable = -1): Dataset {
  const data: Dataset = {
    source: "index",
    length,
    numClasses: 10,
    shape: [1, 1, 1],
    classNames: [],
    augment: false,
    load(indices, _seeds, x, labels): Promise<LoadResult> {
      let written = 0;
      for (let k = 0; k < indices.length; k++) {
        if (indices[k] === unreadable) continue;
        x[written] = indices[k];
        labels[written++] = indices[k] % 10;
      }
      return Promise.resolve({ written, skipped: indices.length - written });
    },
    withAugment: () => data,
  };
  return data;
}

async function labelsOf(data: Dataset, indices: number[]): Promise<Int32Array> {
  const labels = new Int32Array(indices.length);
  await data.load(indices, indices.map(() => 0), new Float32Array(indices.length), labels);
  return labels;
}

Deno.test("random labels: the same class on every read, independent of the image, balanced", async () => {
  const n = 5_000;
  const random = new RandomLabelsDataset(indexDataset(n), 3);
  const all = Array.from({ length: n }, (_, i) => i);
  const labels = await labelsOf(random, all);
  // Read again in another order: each example keeps its label.
  const reversed = await labelsOf(random, [...all].reverse());
  assert.deepEqual([...reversed].reverse(), [...labels]);
  // About a tenth each, and agreeing with the true label (index mod 10) by chance only.
  const counts = new Array(10).fill(0);
  labels.forEach((c) => counts[c]++);
  assert.ok(counts.every((c) => c > 400 && c < 600), `class counts ${counts}`);
  const agree = labels.filter((c, i) => c === i % 10).length / n;
  assert.ok(agree > 0.07 && agree < 0.13, `agreement with the true labels ${agree}`);
  // Another seed, other labels.
  const other = await labelsOf(new RandomLabelsDataset(indexDataset(n), 4), all);
  assert.ok(other.some((c, i) => c !== labels[i]));
  // An unreadable example is an error, not a silently shifted label.
  await assert.rejects(
    () => labelsOf(new RandomLabelsDataset(indexDataset(10, 4), 3), [3, 4, 5]),
    /random labels need every example readable/,
  );
});
