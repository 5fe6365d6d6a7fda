import assert from "node:assert/strict";
import { join } from "node:path";
import { Rng } from "../src/util/rng.ts";
import { ByteImageDataset } from "../src/data/byte_image_dataset.ts";
import { loadCifar10 } from "../src/data/cifar10.ts";
import { getExample } from "../src/data/dataset.ts";

const RECORD = 3073;

/** CIFAR binary records; pixel (c, j) of record r is (r * 7 + c * 50 + j) % 256. */
function records(labels: number[], first: number): Uint8Array {
  const bytes = new Uint8Array(labels.length * RECORD);
  labels.forEach((label, i) => {
    const r = first + i;
    bytes[i * RECORD] = label;
    for (let c = 0; c < 3; c++) {
      for (let j = 0; j < 1024; j++) {
        bytes[i * RECORD + 1 + c * 1024 + j] = (r * 7 + c * 50 + j) % 256;
      }
    }
  });
  return bytes;
}

async function withCifar(fn: (dir: string) => Promise<void>, nested = false): Promise<void> {
  const root = await Deno.makeTempDir();
  const dir = nested ? join(root, "cifar-10-batches-bin") : root;
  await Deno.mkdir(dir, { recursive: true });
  // Written out of order on purpose: batch 2 must still come after batch 1.
  await Deno.writeFile(join(dir, "data_batch_2.bin"), records([3, 4], 3));
  await Deno.writeFile(join(dir, "data_batch_1.bin"), records([0, 9, 2], 0));
  await Deno.writeFile(join(dir, "test_batch.bin"), records([5], 100));
  try {
    await fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

const MEAN = [0.4914, 0.4822, 0.4465];
const STD = [0.2470, 0.2435, 0.2616];

Deno.test("loadCifar10 reads binary batches in order, normalised CHW", async () => {
  for (const nested of [false, true]) {
    await withCifar(async (dir) => {
      const train = await loadCifar10(dir, "train");
      const test = await loadCifar10(dir, "test");
      assert.equal(train.length, 5);
      assert.equal(test.length, 1);
      assert.deepEqual(train.shape, [3, 32, 32]);
      assert.deepEqual([0, 1, 2, 3, 4].map((i) => train.labelOf(i)), [0, 9, 2, 3, 4]);
      const example = await getExample(train.withAugment(false), 4);
      assert.ok(example);
      assert.equal(example.label, 4);
      for (const [c, j] of [[0, 0], [1, 33], [2, 1023]]) {
        const byte = (4 * 7 + c * 50 + j) % 256;
        const expected = (byte / 255 - MEAN[c]) / STD[c];
        assert.ok(Math.abs(example.x[c * 1024 + j] - expected) < 1e-6, `c${c} j${j}`);
      }
      assert.equal((await getExample(test, 0))?.label, 5);
    }, nested);
  }
});

Deno.test("loadCifar10: bad files and folders are one clear error", async () => {
  await withCifar(async (dir) => {
    await Deno.writeFile(join(dir, "data_batch_3.bin"), new Uint8Array(RECORD + 5));
    await assert.rejects(
      () => loadCifar10(dir, "train"),
      /data_batch_3\.bin: 3078 bytes is not a whole number of 3073-byte CIFAR-10 records/,
    );
    await Deno.writeFile(join(dir, "data_batch_3.bin"), records([10], 0));
    await assert.rejects(() => loadCifar10(dir, "train"), /record 0 has label 10, not 0\.\.9/);
  });
  const empty = await Deno.makeTempDir();
  try {
    await assert.rejects(() => loadCifar10(empty, "test"), /has no test_batch\.bin/);
    await assert.rejects(() => loadCifar10(join(empty, "nope"), "train"), /nope does not exist/);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("CIFAR training augmentation is seeded pad-crop and flip", async () => {
  await withCifar(async (dir) => {
    const train = await loadCifar10(dir, "train");
    assert.equal(train.augment, true);
    const a = await getExample(train, 1, 42);
    const b = await getExample(train, 1, 42);
    assert.deepEqual(a, b);
    const outputs = new Set<string>();
    for (let seed = 0; seed < 20; seed++) {
      const e = await getExample(train, 1, seed);
      outputs.add(e!.x.slice(0, 64).join(","));
    }
    assert.ok(outputs.size > 5, `only ${outputs.size} distinct augmentations in 20 seeds`);
  });
});

Deno.test("pad-crop and flip move pixels exactly as the drawn offsets say", async () => {
  const [h, w, pad] = [3, 4, 1];
  const pixels = Uint8Array.from({ length: h * w }, (_, i) => 10 + i);
  const dataset = new ByteImageDataset({
    source: "tiny",
    pixels,
    labels: new Uint8Array([0]),
    shape: [1, h, w],
    numClasses: 1,
    classNames: ["only"],
    normalization: { mean: [0], std: [1] },
    augmentation: { padCrop: pad, flip: true, eraseProb: 0 },
    augment: true,
  });
  let sawFlip = false;
  let sawShift = false;
  for (let seed = 0; seed < 40; seed++) {
    const rng = new Rng(seed);
    const dy = rng.int(2 * pad + 1) - pad;
    const dx = rng.int(2 * pad + 1) - pad;
    const flip = rng.next() < 0.5;
    sawFlip ||= flip;
    sawShift ||= dy !== 0 || dx !== 0;
    const example = await getExample(dataset, 0, seed);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const sy = y + dy;
        const sx = (flip ? w - 1 - x : x) + dx;
        const inside = sy >= 0 && sy < h && sx >= 0 && sx < w;
        const expected = inside ? pixels[sy * w + sx] / 255 : 0;
        assert.ok(Math.abs(example!.x[y * w + x] - expected) < 1e-6, `seed ${seed} (${y},${x})`);
      }
    }
  }
  assert.ok(sawFlip && sawShift);
  const plain = await getExample(dataset.withAugment(false), 0, 3);
  assert.deepEqual([...plain!.x], [...pixels].map((p) => Math.fround(p / 255)));
});
