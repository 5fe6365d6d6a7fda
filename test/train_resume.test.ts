/**
 * Training from scratch: checkpoints, and a resumed run ending with the same metrics
 * as an uninterrupted one (same seed), on a small subset of Fashion-MNIST, with
 * every source of training randomness on: shuffling, crop, flip, random erasing,
 * and dropout before the classifier.
 */
import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { augmentationOptions, openData } from "../src/data/data_spec.ts";
import { SubsetDataset } from "../src/data/split.ts";
import { buildNetwork } from "../src/networks/network.ts";
import type { NetworkSpec } from "../src/space/network_spec.ts";
import { type EpochRecord, train, type TrainConfig } from "../src/train/trainer.ts";
import { Rng } from "../src/util/rng.ts";

const spec: NetworkSpec = {
  name: "tiny-28",
  input: { channels: 1, size: 28 },
  stem: { cout: 8, kernel: 3, stride: 2 },
  blocks: [
    { type: "inverted_residual", cin: 8, cout: 8, stride: 1, kernel: 3, expansion: 3, se: false },
    { type: "inverted_residual", cin: 8, cout: 16, stride: 2, kernel: 3, expansion: 3, se: true },
  ],
  head: { featureMix: { cout: 32 }, dropout: 0.3 },
  classes: 10,
};

async function smallData() {
  const augmentation = augmentationOptions("fashion-mnist", { names: "crop,flip,erase" });
  const data = await openData("fashion-mnist", { valSplit: 0, ...augmentation });
  const range = (n: number) => Int32Array.from({ length: n }, (_, i) => i);
  return {
    ...data,
    train: new SubsetDataset(data.train, range(192), "small-train"),
    test: new SubsetDataset(data.test, range(64), "small-test"),
  };
}

function config(outDir: string, extra: Partial<TrainConfig> = {}): TrainConfig {
  return {
    epochs: 2,
    batchSize: 32,
    lr: 0.1,
    momentum: 0.9,
    nesterov: true,
    weightDecay: 5e-5,
    labelSmoothing: 0.1,
    warmupEpochs: 0.5,
    seed: 3,
    outDir,
    logEvery: 2,
    checkpointEvery: 4,
    resume: false,
    quiet: true,
    ...extra,
  };
}

const metrics = (h: EpochRecord[]) =>
  h.map((r) => [r.epoch, r.steps, r.trainLoss, r.trainTop1, r.test.loss, r.test.top1]);

gpuTest("train: a run interrupted and resumed ends with the same metrics", async () => {
  const data = await smallData();
  const whole = await Deno.makeTempDir({ prefix: "train_whole_" });
  const cut = await Deno.makeTempDir({ prefix: "train_cut_" });

  const a = buildNetwork(spec, new Rng(3));
  const historyA = await train(a, data, config(whole));
  a.dispose();
  assert.equal(historyA.length, 2);
  for (const f of ["metrics.jsonl", "loss.png", "accuracy.png", "model.onnx", "checkpoint.onnx"]) {
    assert.ok((await Deno.stat(`${whole}/${f}`)).size > 0, f);
  }

  // Interrupted at step 7 of 12: the last checkpoint is step 4 (mid-epoch 1).
  const b = buildNetwork(spec, new Rng(3));
  await train(b, data, config(cut, { stopAfter: 7 }));
  b.dispose();
  const c = buildNetwork(spec, new Rng(99)); // different init: the checkpoint must overwrite it
  const historyC = await train(c, data, config(cut, { resume: true }));
  c.dispose();
  assert.deepEqual(metrics(historyC), metrics(historyA));

  await Deno.remove(whole, { recursive: true });
  await Deno.remove(cut, { recursive: true });
});

gpuTest("train: --resume without a checkpoint is one clear error", async () => {
  const data = await smallData();
  const dir = await Deno.makeTempDir({ prefix: "train_none_" });
  const net = buildNetwork(spec, new Rng(1));
  await assert.rejects(
    () => train(net, data, config(dir, { resume: true })),
    /--resume: no checkpoint at .*checkpoint\.onnx/,
  );
  net.dispose();
  await Deno.remove(dir, { recursive: true });
});
