import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { openData, parseDataSpec } from "../src/data/data_spec.ts";
import { FASHION_MNIST_DEFAULT_DIR } from "../src/data/fashion_mnist.ts";
import type { SubsetDataset } from "../src/data/split.ts";

Deno.test("parseDataSpec: kinds, folders, defaults, and one-line errors", () => {
  assert.deepEqual(parseDataSpec("fashion-mnist"), {
    kind: "fashion-mnist",
    dir: FASHION_MNIST_DEFAULT_DIR,
  });
  assert.deepEqual(parseDataSpec("fashion-mnist:/d/f"), { kind: "fashion-mnist", dir: "/d/f" });
  assert.deepEqual(parseDataSpec("cifar10:/data/c:x"), { kind: "cifar10", dir: "/data/c:x" });
  assert.deepEqual(parseDataSpec("ImageNet:rel/dir"), { kind: "imagenet", dir: "rel/dir" });
  assert.throws(() => parseDataSpec("mnist:/x"), /unknown dataset "mnist"; use fashion-mnist/);
  assert.throws(
    () => parseDataSpec("cifar10"),
    /--data cifar10 needs a folder: --data cifar10:DIR/,
  );
  assert.throws(() => parseDataSpec("imagenet:"), /empty folder after ":"/);
});

Deno.test("openData fashion-mnist: held-out split from training, separate test", async () => {
  const data = await openData("fashion-mnist", { valSplit: 0.1, seed: 3 });
  assert.equal(data.train.length, 54000);
  assert.equal(data.val!.length, 6000);
  assert.equal(data.test.length, 10000);
  assert.deepEqual(data.shape, [1, 28, 28]);
  assert.equal(data.numClasses, 10);
  assert.equal(data.val!.augment, false);
  const trainIdx = new Set((data.train as SubsetDataset).indices);
  for (const i of (data.val as SubsetDataset).indices) assert.ok(!trainIdx.has(i));
  const none = await openData("fashion-mnist", { valSplit: 0 });
  assert.equal(none.val, null);
  assert.equal(none.train.length, 60000);
});

Deno.test("openData cifar10 and imagenet on tiny synthetic folders", async () => {
  const root = await Deno.makeTempDir();
  try {
    const record = new Uint8Array(3073);
    const batch = new Uint8Array(3073 * 10);
    for (let r = 0; r < 10; r++) {
      record[0] = r;
      batch.set(record, r * 3073);
    }
    await Deno.mkdir(join(root, "cifar"));
    await Deno.writeFile(join(root, "cifar/data_batch_1.bin"), batch);
    await Deno.writeFile(join(root, "cifar/test_batch.bin"), batch.subarray(0, 3073 * 2));
    const cifar = await openData(`cifar10:${join(root, "cifar")}`, { valSplit: 0.2, seed: 1 });
    assert.deepEqual([cifar.train.length, cifar.val!.length, cifar.test.length], [8, 2, 2]);
    assert.equal(cifar.train.augment, true);
    assert.equal(cifar.test.augment, false);
    const plain = await openData(`cifar10:${join(root, "cifar")}`, { augment: false });
    assert.equal(plain.train.augment, false);

    for (const [split, cls] of [["train", "a"], ["train", "b"], ["val", "b"]]) {
      await Deno.mkdir(join(root, "inet", split, cls), { recursive: true });
      for (const name of ["1.png", "2.jpg"]) {
        await sharp({ create: { width: 9, height: 7, channels: 3, background: "#336699" } })
          .toFile(join(root, "inet", split, cls, name));
      }
    }
    const inet = await openData(`imagenet:${join(root, "inet")}`, { valSplit: 0.25, imageSize: 5 });
    assert.deepEqual(inet.shape, [3, 5, 5]);
    assert.deepEqual(inet.classNames, ["a", "b"]);
    assert.deepEqual([inet.train.length, inet.val!.length, inet.test.length], [3, 1, 2]);
    // The val folder has only class "b", which must keep label 1.
    const labels = new Int32Array(2);
    await inet.test.load([0, 1], [0, 0], new Float32Array(150), labels);
    assert.deepEqual([...labels], [1, 1]);
    await assert.rejects(
      () => openData(`imagenet:${join(root, "missing")}`),
      /image folder .*missing\/train does not exist/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
