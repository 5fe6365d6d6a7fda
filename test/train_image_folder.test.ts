/**
 * A corrupt file in an image folder must not change the training batch shape:
 * kernels are compiled per shape, so a short batch would compile the network again
 * (seconds to tens of seconds per new size). Counted with the GPU pipeline cache.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import sharp from "sharp";
import { gpuTest } from "./_helpers.ts";
import { tinyClassifier, trainingStep } from "./_tiny_net.ts";
import { openImageFolder } from "../src/data/image_folder.ts";
import { DataLoader } from "../src/data/loader.ts";
import { Sgd } from "../src/nn/optimizers.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { Rng } from "../src/util/rng.ts";
import type { Gpu } from "../src/gpu/gpu.ts";

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
