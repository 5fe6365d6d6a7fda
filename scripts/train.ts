/**
 * `deno task train --arch <network> --data <data>` — trains a network from scratch
 * and writes metrics.jsonl, loss/accuracy curves, checkpoints and model.onnx.
 *
 *   --arch      built-in name (mobilenetv2-28, mobilenetv2), a network spec JSON or a
 *               ProxylessNAS net.config                          [mobilenetv2-28]
 *   --data      fashion-mnist[:DIR] | cifar10:DIR | imagenet:DIR  [fashion-mnist]
 *   --epochs 5 --batch 128 --lr 0.1 --momentum 0.9 --wd 5e-5 --label-smoothing 0.1
 *   --warmup 0.3 (epochs) --val-split 0 --seed 0 --out runs/train
 *   --log-every 20 (steps between metric readbacks) --checkpoint-every 200 (steps)
 *   --augment   training augmentation of fashion-mnist and cifar10: a comma list of
 *               crop, flip, erase, or none      [fashion-mnist: none; cifar10: crop,flip]
 *   --crop-pad N  zero padding before the random crop  [fashion-mnist 2, cifar10 4]
 *   --erase-prob P  probability of random erasing per image  [0.5]
 *   --dropout P  dropout before the classifier, overriding the network's own [the spec's]
 *   --resume    continue from OUT/checkpoint.onnx
 *   --max-steps N, --eval-batches N  (smoke runs); --stop-after N (as if interrupted)
 */
import { parseArgs } from "node:util";
import {
  augmentationOptions,
  describeTrainingAugmentation,
  openData,
  parseDataSpec,
} from "../src/data/data_spec.ts";
import { buildNetwork } from "../src/networks/network.ts";
import { loadTarget } from "../src/space/load.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { train } from "../src/train/trainer.ts";
import { Rng } from "../src/util/rng.ts";
import { adaptSpecToData } from "../src/networks/adapt.ts";
import { cliNumber, runCli } from "./_cli.ts";

await runCli("train", async () => {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      arch: { type: "string", default: "mobilenetv2-28" },
      data: { type: "string", default: "fashion-mnist" },
      epochs: { type: "string", default: "5" },
      batch: { type: "string", default: "128" },
      lr: { type: "string", default: "0.1" },
      momentum: { type: "string", default: "0.9" },
      wd: { type: "string", default: "5e-5" },
      "label-smoothing": { type: "string", default: "0.1" },
      warmup: { type: "string", default: "0.3" },
      "val-split": { type: "string", default: "0" },
      seed: { type: "string", default: "0" },
      out: { type: "string", default: "runs/train" },
      "log-every": { type: "string", default: "20" },
      "checkpoint-every": { type: "string", default: "200" },
      "max-steps": { type: "string", default: "0" },
      "eval-batches": { type: "string", default: "0" },
      "stop-after": { type: "string", default: "0" },
      augment: { type: "string" },
      "crop-pad": { type: "string" },
      "erase-prob": { type: "string" },
      dropout: { type: "string" },
      resume: { type: "boolean", default: false },
      quiet: { type: "boolean", default: false },
    },
  });
  const seed = cliNumber("seed", values.seed, { integer: true, min: 0 });
  const loaded = await loadTarget(values.arch!);
  if (loaded.kind !== "network") {
    throw new Error(`--arch ${values.arch}: is a search space, not a network`);
  }
  /** A number flag without a default: undefined when absent. */
  const optionalNumber = (
    flag: "crop-pad" | "erase-prob" | "dropout",
    opts: { integer?: boolean; min?: number; max?: number },
  ) => values[flag] === undefined ? undefined : cliNumber(flag, values[flag], opts);
  const augmentation = augmentationOptions(parseDataSpec(values.data!).kind, {
    names: values.augment,
    cropPad: optionalNumber("crop-pad", { integer: true, min: 1 }),
    eraseProb: optionalNumber("erase-prob", { min: 0, max: 1 }),
  });
  const dropout = optionalNumber("dropout", { min: 0 });
  if (dropout !== undefined && dropout >= 1) {
    throw new Error(`--dropout must be below 1, got ${dropout}`);
  }
  const data = await openData(values.data!, {
    valSplit: cliNumber("val-split", values["val-split"], { min: 0, max: 0.9 }),
    seed,
    ...augmentation,
  });
  const adapted = adaptSpecToData(loaded.spec, data.shape, data.numClasses);
  const spec = dropout === undefined ? adapted : { ...adapted, head: { ...adapted.head, dropout } };
  const gpu = await initEngine();
  console.log(
    `train: ${spec.name} on ${values.data} (${data.train.length} train, ` +
      `${data.val?.length ?? 0} val, ${data.test.length} test) — adapter: ${gpu.info.description}`,
  );
  console.log(
    `train: augmentation ${describeTrainingAugmentation(data.spec.kind, augmentation)}; ` +
      `dropout ${spec.head.dropout}`,
  );
  const net = buildNetwork(spec, new Rng(seed));
  try {
    await train(net, data, {
      epochs: cliNumber("epochs", values.epochs, { integer: true, min: 1 }),
      batchSize: cliNumber("batch", values.batch, { integer: true, min: 1 }),
      lr: cliNumber("lr", values.lr, { min: 0 }),
      momentum: cliNumber("momentum", values.momentum, { min: 0, max: 0.999 }),
      nesterov: true,
      weightDecay: cliNumber("wd", values.wd, { min: 0 }),
      labelSmoothing: cliNumber("label-smoothing", values["label-smoothing"], { min: 0, max: 1 }),
      warmupEpochs: cliNumber("warmup", values.warmup, { min: 0 }),
      seed,
      outDir: values.out!,
      logEvery: cliNumber("log-every", values["log-every"], { integer: true, min: 1 }),
      checkpointEvery: cliNumber("checkpoint-every", values["checkpoint-every"], {
        integer: true,
        min: 0,
      }),
      resume: values.resume!,
      maxSteps: cliNumber("max-steps", values["max-steps"], { integer: true, min: 0 }),
      evalBatches: cliNumber("eval-batches", values["eval-batches"], { integer: true, min: 0 }),
      stopAfter: cliNumber("stop-after", values["stop-after"], { integer: true, min: 0 }),
      quiet: values.quiet,
    });
  } finally {
    net.dispose();
    await shutdownEngine();
  }
});
