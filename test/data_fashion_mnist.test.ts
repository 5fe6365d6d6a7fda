import assert from "node:assert/strict";
import { join } from "node:path";
import { getExample } from "../src/data/dataset.ts";
import {
  ensureFashionMnist,
  FASHION_MNIST_DEFAULT_DIR,
  loadFashionMnist,
} from "../src/data/fashion_mnist.ts";
import { writeFashionMnistSubset } from "../src/data/fashion_mnist_subset.ts";
import { readIdx } from "../src/data/idx.ts";

const DIR = FASHION_MNIST_DEFAULT_DIR;

Deno.test("Fashion-MNIST IDX files parse to 60000×28×28 with labels 0..9", async () => {
  const images = await readIdx(join(DIR, "train-images-idx3-ubyte.gz"));
  const labels = await readIdx(join(DIR, "train-labels-idx1-ubyte.gz"));
  assert.deepEqual(images.dims, [60000, 28, 28]);
  assert.deepEqual(labels.dims, [60000]);
  const counts = new Array(10).fill(0);
  for (const label of labels.data) {
    assert.ok(label <= 9, `label ${label}`);
    counts[label]++;
  }
  // The training set is balanced: 6000 of each class.
  assert.deepEqual(counts, new Array(10).fill(6000));
  let sum = 0;
  for (const v of images.data) sum += v;
  const mean = sum / images.data.length / 255;
  assert.ok(Math.abs(mean - 0.2860) < 0.0005, `pixel mean ${mean}`);
});

Deno.test("loadFashionMnist gives normalised 1×28×28 examples", async () => {
  const train = await loadFashionMnist(DIR, "train");
  const test = await loadFashionMnist(DIR, "test");
  assert.equal(train.length, 60000);
  assert.equal(test.length, 10000);
  assert.deepEqual(train.shape, [1, 28, 28]);
  assert.equal(train.numClasses, 10);
  assert.equal(train.classNames[9], "Ankle boot");
  const raw = await readIdx(join(DIR, "t10k-images-idx3-ubyte.gz"));
  const example = await getExample(test, 7);
  assert.ok(example);
  for (const j of [0, 300, 783]) {
    const expected = (raw.data[7 * 784 + j] / 255 - 0.2860) / 0.3530;
    assert.ok(Math.abs(example.x[j] - expected) < 1e-6);
  }
  // Default: no augmentation even on the training split.
  const a = await getExample(train, 5, 1);
  const b = await getExample(train, 5, 2);
  assert.deepEqual(a, b);
});

Deno.test("ensureFashionMnist accepts the installed folder and explains a missing one", async () => {
  await ensureFashionMnist(DIR);
  const empty = await Deno.makeTempDir();
  try {
    await assert.rejects(() => ensureFashionMnist(empty), (e: Error) => {
      assert.ok(e.message.includes(empty));
      assert.match(e.message, /train-images-idx3-ubyte\.gz/);
      assert.match(e.message, /dataset-fashion-mnist/);
      assert.ok(!e.message.includes("\n"));
      return true;
    });
    await assert.rejects(() => loadFashionMnist(empty, "train"), /missing; install the Debian/);
  } finally {
    await Deno.remove(empty, { recursive: true });
  }
});

Deno.test("a Fashion-MNIST slice is the first images and labels, loadable as the dataset", async () => {
  const dst = await Deno.makeTempDir({ prefix: "fmnist-slice-" });
  try {
    await writeFashionMnistSubset(DIR, dst, { train: 30, test: 20 });
    const [full, slice] = [
      await loadFashionMnist(DIR, "train"),
      await loadFashionMnist(dst, "train"),
    ];
    assert.equal(slice.length, 30);
    assert.equal((await loadFashionMnist(dst, "test")).length, 20);
    for (const i of [0, 29]) {
      assert.deepEqual(await getExample(slice, i), await getExample(full, i), `image ${i}`);
    }
  } finally {
    await Deno.remove(dst, { recursive: true });
  }
});
