/**
 * Training from scratch: checkpoints, and a run stopped (--stop-after, then SIGTERMs
 * planned in-process at a random step and during an evaluation) and resumed each time ending with the same
 * metrics and model.onnx as an uninterrupted one (same seed), on a small subset of
 * Fashion-MNIST, with every source of training randomness on: shuffling, crop, flip,
 * random erasing, and dropout before the classifier.
 */
import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { augmentationOptions, openData } from "../src/data/data_spec.ts";
import { SubsetDataset } from "../src/data/split.ts";
import { buildNetwork } from "../src/networks/network.ts";
import type { NetworkSpec } from "../src/space/network_spec.ts";
import { type EpochRecord, train, type TrainConfig } from "../src/train/trainer.ts";
import { InterruptedError, planTestSignals } from "../src/util/interrupt.ts";
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
    checkpointEvery: { steps: 4 },
    resume: false,
    quiet: true,
    ...extra,
  };
}

const metrics = (h: EpochRecord[]) =>
  h.map((r) => [r.epoch, r.steps, r.trainLoss, r.trainTop1, r.test.loss, r.test.top1]);

/** Runs `fn` with a test signal planned in-process (see planTestSignals), removed after. */
async function withSignals<T>(plan: string, fn: () => Promise<T>): Promise<T> {
  using _plan = planTestSignals(plan);
  return await fn();
}

/** A step of from..to that is not an epoch's end (6 steps an epoch), drawn anew each run. */
function midEpochStep(from: number, to: number): number {
  const steps = [1, 2, 3, 4, 5, 7, 8, 9, 10, 11].filter((s) => s >= from && s <= to);
  return steps[Math.floor(Math.random() * steps.length)];
}

gpuTest(
  "train: stopped by --stop-after, SIGTERM mid-epoch and mid-evaluation, resumed: the same run",
  async () => {
    const data = await smallData();
    const whole = await Deno.makeTempDir({ prefix: "train_whole_" });
    const cut = await Deno.makeTempDir({ prefix: "train_cut_" });

    // A checkpoint after every step: when checkpoints fall must change nothing.
    const a = buildNetwork(spec, new Rng(3));
    const historyA = await train(a, data, config(whole, { checkpointEvery: { steps: 1 } }));
    a.dispose();
    assert.equal(historyA.length, 2);
    for (
      const f of ["metrics.jsonl", "loss.png", "accuracy.png", "model.onnx", "checkpoint.onnx"]
    ) {
      assert.ok((await Deno.stat(`${whole}/${f}`)).size > 0, f);
    }

    // --stop-after writes the checkpoint an interruption would, where it says.
    const first = midEpochStep(1, 10);
    const b = buildNetwork(spec, new Rng(3));
    await train(b, data, config(cut, { stopAfter: first, checkpointEvery: { steps: 0 } }));
    b.dispose();
    const counters = async () =>
      JSON.parse(await Deno.readTextFile(`${cut}/checkpoint.onnx.state.json`)).counters;
    assert.equal((await counters()).globalStep, first, `--stop-after ${first}`);

    // SIGTERM at a random later step that is not an epoch's end: the step finishes, the
    // checkpoint is written there and the run stops with exit code 143.
    const second = midEpochStep(first + 1, 11);
    const c = buildNetwork(spec, new Rng(99)); // different init: the checkpoint must overwrite it
    const stopped = await withSignals(
      `SIGTERM@step:${second}`,
      () => train(c, data, config(cut, { resume: true })).then(() => null, (e) => e),
    );
    c.dispose();
    assert.ok(stopped instanceof InterruptedError, `SIGTERM at step ${second}: ${stopped}`);
    assert.equal(stopped.exitCode, 143);
    assert.match(
      stopped.message,
      new RegExp(`SIGTERM: stopped after step ${second} of 12 .*checkpoint`),
    );
    assert.equal((await counters()).globalStep, second, `SIGTERM at step ${second}`);

    // SIGTERM during the next evaluation abandons it; the resumed run evaluates again.
    const d = buildNetwork(spec, new Rng(99));
    const abandoned = await withSignals(
      "SIGTERM@eval:1",
      () => train(d, data, config(cut, { resume: true })).then(() => null, (e) => e),
    );
    d.dispose();
    assert.ok(abandoned instanceof InterruptedError, `SIGTERM in evaluation: ${abandoned}`);
    const atEval = await counters();
    assert.equal(atEval.stepInEpoch, 6, "stopped at the end of the epoch's steps");

    const e = buildNetwork(spec, new Rng(99));
    const historyE = await train(e, data, config(cut, { resume: true }));
    e.dispose();
    assert.deepEqual(metrics(historyE), metrics(historyA), `stops at ${first}, ${second}, eval`);
    assert.deepEqual(
      await Deno.readFile(`${cut}/model.onnx`),
      await Deno.readFile(`${whole}/model.onnx`),
      "model.onnx",
    );

    await Deno.remove(whole, { recursive: true });
    await Deno.remove(cut, { recursive: true });
  },
);

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
