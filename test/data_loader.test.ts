import assert from "node:assert/strict";
import { ByteImageDataset } from "../src/data/byte_image_dataset.ts";
import type { Batch, Dataset, LoadResult } from "../src/data/dataset.ts";
import { DataLoader } from "../src/data/loader.ts";

/** n examples whose label is their index, so batches reveal the visiting order. */
function indexed(n: number, augment: boolean): ByteImageDataset {
  return new ByteImageDataset({
    source: "indexed",
    pixels: Uint8Array.from({ length: n * 2 * 3 * 3 }, (_, i) => (i * 37) % 256),
    labels: Uint8Array.from({ length: n }, (_, i) => i),
    shape: [2, 3, 3],
    numClasses: n,
    classNames: Array.from({ length: n }, (_, i) => `c${i}`),
    normalization: { mean: [0.5, 0.5], std: [0.25, 0.25] },
    augmentation: { padCrop: 1, flip: true, eraseProb: 0 },
    augment,
  });
}

async function collect(loader: DataLoader, epoch: number, start = 0): Promise<Batch[]> {
  const out: Batch[] = [];
  for await (const batch of loader.epoch(epoch, start)) out.push(batch);
  return out;
}

function order(batches: Batch[]): number[] {
  return batches.flatMap((b) => [...b.labels]);
}

Deno.test("an epoch visits every example once, in NCHW batches", async () => {
  const loader = new DataLoader(indexed(103, false), { batchSize: 10, seed: 1 });
  assert.equal(loader.stepsPerEpoch, 11);
  const batches = await collect(loader, 0);
  assert.equal(batches.length, 11);
  assert.deepEqual(batches.map((b) => b.n), [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
  assert.deepEqual(batches.map((b) => b.step), [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  assert.equal(batches[10].x.length, 3 * 18);
  assert.equal(batches[10].labels.length, 3);
  const visited = order(batches);
  assert.deepEqual([...visited].sort((a, b) => a - b), Array.from({ length: 103 }, (_, i) => i));
  assert.notDeepEqual(visited, Array.from({ length: 103 }, (_, i) => i));
  // Each image matches its label's pixels: (value/255 - 0.5) / 0.25.
  const first = batches[0];
  const j = 5;
  const byte = (first.labels[0] * 18 + j) * 37 % 256;
  assert.ok(Math.abs(first.x[j] - (byte / 255 - 0.5) / 0.25) < 1e-6);
  const { epoch, batches: count, examples, skipped } = loader.stats;
  assert.deepEqual([epoch, count, examples, skipped], [0, 11, 103, 0]);
});

Deno.test("shuffles are seeded per epoch: reproducible, and different across epochs", async () => {
  const make = (seed: number) => new DataLoader(indexed(64, false), { batchSize: 8, seed });
  const a = make(4);
  const b = make(4);
  const e0 = order(await collect(a, 0));
  assert.deepEqual(order(await collect(b, 0)), e0);
  const e1 = order(await collect(a, 1));
  assert.notDeepEqual(e1, e0);
  assert.deepEqual(order(await collect(b, 1)), e1);
  assert.notDeepEqual(order(await collect(make(5), 0)), e0);
  const fixed = new DataLoader(indexed(20, false), { batchSize: 8, seed: 4, shuffle: false });
  assert.deepEqual(order(await collect(fixed, 3)), Array.from({ length: 20 }, (_, i) => i));
});

Deno.test("starting at epoch e, step s reproduces the rest of that epoch", async () => {
  const dataset = indexed(50, true);
  const full = await collect(new DataLoader(dataset, { batchSize: 6, seed: 2 }), 3);
  const resumed = await collect(new DataLoader(dataset, { batchSize: 6, seed: 2 }), 3, 4);
  assert.deepEqual(resumed, full.slice(4));
  const loader = new DataLoader(dataset, { batchSize: 6, seed: 2 });
  assert.equal((await collect(loader, 3, loader.stepsPerEpoch)).length, 0);
  await assert.rejects(() => collect(loader, 0, 10), /start step 10 outside 0\.\.9/);
});

Deno.test("prefetching yields exactly the batches of loading on demand", async () => {
  const dataset = indexed(77, true);
  for (const epoch of [0, 5]) {
    const onDemand = await collect(
      new DataLoader(dataset, { batchSize: 8, seed: 9, prefetch: 0 }),
      epoch,
    );
    const ahead = await collect(
      new DataLoader(dataset, { batchSize: 8, seed: 9, prefetch: 4 }),
      epoch,
    );
    assert.deepEqual(ahead, onDemand);
  }
  // Augmentation is on, so the same example differs between epochs.
  const loader = new DataLoader(dataset, { batchSize: 77, seed: 9, shuffle: false });
  const [a] = await collect(loader, 0);
  const [b] = await collect(loader, 1);
  assert.notDeepEqual(a.x, b.x);
});

Deno.test("dropLast drops the short batch; bad options are clear errors", async () => {
  const loader = new DataLoader(indexed(23, false), { batchSize: 5, seed: 0, dropLast: true });
  assert.equal(loader.stepsPerEpoch, 4);
  const batches = await collect(loader, 0);
  assert.deepEqual(batches.map((b) => b.n), [5, 5, 5, 5]);
  assert.throws(
    () => new DataLoader(indexed(3, false), { batchSize: 4, seed: 0, dropLast: true }),
    /batch size 4 exceeds the 3 examples of indexed with dropLast/,
  );
  assert.throws(() => new DataLoader(indexed(3, false), { batchSize: 0, seed: 0 }), /batch size/);
  assert.throws(
    () => new DataLoader(indexed(3, false), { batchSize: 1, seed: 0, prefetch: -1 }),
    /prefetch/,
  );
});

/** Wraps a dataset; its load fails for one step's first index and skips index 0. */
class FlakyDataset implements Dataset {
  readonly source = "flaky";
  readonly numClasses: number;
  readonly shape;
  readonly classNames;
  readonly augment = false;
  constructor(private readonly inner: Dataset, private readonly failOn: number) {
    this.numClasses = inner.numClasses;
    this.shape = inner.shape;
    this.classNames = inner.classNames;
  }
  get length() {
    return this.inner.length;
  }
  async load(
    indices: ArrayLike<number>,
    seeds: ArrayLike<number>,
    x: Float32Array,
    labels: Int32Array,
  ): Promise<LoadResult> {
    if (indices[0] === this.failOn) throw new Error(`cannot read example ${this.failOn}`);
    const keep = Array.from(indices).filter((i) => i !== 0);
    const result = await this.inner.load(keep, seeds, x, labels);
    return { written: result.written, skipped: indices.length - keep.length };
  }
  withAugment(): Dataset {
    return this;
  }
}

Deno.test("a failing load surfaces from the epoch; skipped examples warn once", async () => {
  const base = indexed(20, false);
  const failing = new DataLoader(new FlakyDataset(base, 12), {
    batchSize: 4,
    seed: 0,
    shuffle: false,
    prefetch: 3,
    warn: () => {},
  });
  const seen: number[] = [];
  await assert.rejects(async () => {
    for await (const batch of failing.epoch(0)) seen.push(batch.step);
  }, /cannot read example 12/);
  assert.deepEqual(seen, [0, 1, 2]);

  const warnings: string[] = [];
  const skipping = new DataLoader(new FlakyDataset(base, -1), {
    batchSize: 4,
    seed: 0,
    shuffle: false,
    warn: (w) => warnings.push(w),
  });
  const batches = await collect(skipping, 0);
  assert.equal(batches[0].n, 3);
  assert.deepEqual([...batches[0].labels], [1, 2, 3]);
  assert.deepEqual(warnings, ["warning: skipped 1 unreadable images in flaky"]);
  // Stopping early still leaves no stray work failing later.
  const stopping = new DataLoader(new FlakyDataset(base, 16), {
    batchSize: 4,
    seed: 0,
    shuffle: false,
    prefetch: 4,
    warn: () => {},
  });
  for await (const batch of stopping.epoch(0)) {
    assert.equal(batch.step, 0);
    break;
  }
});
