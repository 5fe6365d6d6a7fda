/**
 * Training on image folders. A corrupt file must not change the training batch
 * shape: kernels are compiled per shape, so a short batch would compile the network
 * again (seconds to tens of seconds per new size); counted with the GPU pipeline
 * cache. `deno task train` crops folders to the network's input size, refuses a
 * --image-size the spec disagrees with, and lists unreadable files in the run folder.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { gpuTest, runScript } from "./_helpers.ts";
import { tinyClassifier, trainingStep } from "./_tiny_net.ts";
import { openImageFolder } from "../src/data/image_folder.ts";
import { DataLoader } from "../src/data/loader.ts";
import { Sgd } from "../src/nn/optimizers.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { Rng } from "../src/util/rng.ts";
import type { Gpu } from "../src/gpu/gpu.ts";
import { networkToJson } from "../src/space/network_spec.ts";

const SIZE = 8;
const BATCH = 4;

/** Two classes of 5 PNGs each; class "a" also holds a corrupt JPEG (5th in order). */
async function makeFolder(root: string): Promise<void> {
  for (const [label, shade] of [["a", 40], ["b", 200]] as const) {
    await Deno.mkdir(join(root, label), { recursive: true });
    for (let i = 1; i <= 5; i++) {
      await sharp({
        create: { width: 12, height: 10, channels: 3, background: { r: shade, g: i * 40, b: 90 } },
      }).png().toFile(join(root, label, `${i}.png`));
    }
  }
  await Deno.writeFile(join(root, "a/5_corrupt.jpg"), new Uint8Array([0xff, 0xd8, 0xff, 0]));
}

/** Runs one epoch of training steps; returns the batch sizes and the kernels compiled. */
async function epochCompiles(gpu: Gpu, root: string, refill: boolean) {
  const rng = new Rng(1);
  const net = tinyClassifier(rng, 3, 2);
  const opt = new Sgd([{ params: net.parameters().map((p) => p.tensor), weightDecay: 0 }], {
    lr: 0.01,
    momentum: 0.9,
    nesterov: true,
  });
  const step = (n: number, x: Float32Array, labels: Int32Array) =>
    trainingStep(
      net,
      opt,
      fromArray([n, 3, SIZE, SIZE], x, { name: "images" }),
      fromArray([n], labels, { name: "labels" }),
    );
  try {
    // Two full synthetic batches compile everything a full-size step needs.
    for (let i = 0; i < 2; i++) {
      step(BATCH, new Float32Array(BATCH * 3 * SIZE * SIZE).fill(0.1 * i), new Int32Array(BATCH));
    }
    await gpu.sync();
    const before = gpu.kernelCount;
    const folder = await openImageFolder(root, true, { size: SIZE, concurrency: 2 });
    const loader = new DataLoader(folder, {
      batchSize: BATCH,
      seed: 0,
      shuffle: false, // the corrupt file is in the second batch, which dropLast keeps
      dropLast: true,
      refill,
      warn: () => {},
    });
    const sizes: number[] = [];
    for await (const batch of loader.epoch(0)) {
      sizes.push(batch.n);
      step(batch.n, batch.x, batch.labels);
    }
    await gpu.sync();
    return { sizes, newKernels: gpu.kernelCount - before, unreadable: loader.unreadable };
  } finally {
    opt.dispose();
    net.dispose();
  }
}

gpuTest("a corrupt image compiles no new pipeline: training batches are refilled", async (gpu) => {
  const root = await Deno.makeTempDir({ prefix: "corrupt-folder-" });
  try {
    await makeFolder(root);
    const refilled = await epochCompiles(gpu, root, true);
    assert.deepEqual(refilled.sizes, [BATCH, BATCH]);
    assert.deepEqual(refilled.unreadable, [join(root, "a/5_corrupt.jpg")]);
    assert.equal(refilled.newKernels, 0, "no pipeline compiled for the batch with the bad file");

    // The same epoch without refilling has a short batch, and that compiles new kernels.
    const short = await epochCompiles(gpu, root, false);
    assert.deepEqual(short.sizes, [BATCH, BATCH - 1]);
    assert.ok(short.newKernels > 0, "a short batch compiles kernels for its shape");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

const trainCli = (args: string[]) => runScript("train.ts", ...args);

Deno.test({
  name: "deno task train on an image folder: the spec's input size, unreadable files listed",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const root = await Deno.makeTempDir({ prefix: "train-folder-" });
    try {
      await makeFolder(`${root}/data/train`);
      await makeFolder(`${root}/data/val`);
      const spec = {
        name: "folder-net",
        input: { channels: 3, size: 12 },
        stem: { cout: 8, kernel: 3, stride: 2 },
        blocks: [],
        head: { featureMix: null, dropout: 0 },
        classes: 2,
      };
      await Deno.writeTextFile(`${root}/net.json`, JSON.stringify(networkToJson(spec)));
      const common = ["--arch", `${root}/net.json`, "--data", `imagenet:${root}/data`];

      const refused = await trainCli([...common, "--image-size", "16", "--out", `${root}/bad`]);
      assert.equal(refused.code, 1);
      assert.equal(
        refused.stderr,
        "train: --image-size 16 does not match folder-net, whose spec takes 12×12 inputs; " +
          "drop the flag or change the spec's input.size",
      );
      await assert.rejects(() => Deno.stat(`${root}/bad`), Deno.errors.NotFound);

      const run = await trainCli([
        ...common,
        // One batch of all 11 files: the corrupt one is met, and refilled.
        ...["--epochs", "1", "--batch", "11", "--eval-batches", "1", "--quiet"],
        ...["--out", `${root}/run`],
      ]);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /3×12×12 inputs/);
      assert.match(run.stderr, /skipped 1 unreadable images in .*train: a\/5_corrupt\.jpg/);
      assert.equal(
        await Deno.readTextFile(`${root}/run/skipped_images.txt`),
        `${root}/data/train/a/5_corrupt.jpg\n`,
      );
    } finally {
      await Deno.remove(root, { recursive: true });
    }
  },
});
