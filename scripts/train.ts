/**
 * `deno task train --arch <network> --data <data>` — trains a network from scratch
 * and writes metrics.jsonl, loss/accuracy curves, checkpoints and model.onnx.
 * Flags and defaults: `deno task train --help`.
 */
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
import { removeEmptyFoldersOnFailure } from "../src/util/output_folder.ts";
import { cliNumber, parseCli, runCli } from "./_cli.ts";

const TRAIN = {
  usage: "deno task train [--arch NETWORK] [--data DATA] [flags]",
  summary:
    "Trains a network from scratch (SGD with Nesterov momentum, cosine learning rate with\n" +
    "linear warmup, label smoothing) and writes OUT/metrics.jsonl, loss and accuracy curves,\n" +
    "OUT/checkpoint.onnx (with its .state.json) and OUT/model.onnx (BN folded).",
  flags: {
    arch: {
      type: "string",
      default: "mobilenetv2-28",
      arg: "NETWORK",
      help: "built-in name (mobilenetv2-28, mobilenetv2, ...), a network spec JSON or a\n" +
        "ProxylessNAS net.config",
    },
    data: {
      type: "string",
      default: "fashion-mnist",
      arg: "DATA",
      help: "fashion-mnist[:DIR], cifar10:DIR or imagenet:DIR (DIR/train/<class>/*, DIR/val/...)",
    },
    "image-size": {
      type: "string",
      arg: "N",
      defaultText: "the network's input size",
      help: "side of the crops taken from image folders; must agree with the network's spec\n" +
        "(a net.config records none, so this sets it)",
    },
    epochs: { type: "string", default: "5", arg: "N", help: "epochs to train" },
    batch: { type: "string", default: "128", arg: "N", help: "images per step" },
    lr: { type: "string", default: "0.1", arg: "LR", help: "peak learning rate" },
    momentum: { type: "string", default: "0.9", arg: "M", help: "SGD (Nesterov) momentum" },
    wd: {
      type: "string",
      default: "5e-5",
      arg: "WD",
      help: "weight decay of conv and linear weights",
    },
    "label-smoothing": { type: "string", default: "0.1", arg: "E", help: "label smoothing" },
    warmup: { type: "string", default: "0.3", arg: "EPOCHS", help: "linear warmup, in epochs" },
    "val-split": {
      type: "string",
      default: "0",
      arg: "F",
      help: "fraction of the training set held out for validation",
    },
    seed: { type: "string", default: "0", arg: "N", help: "seed of weights, shuffles and splits" },
    out: { type: "string", default: "runs/train", arg: "DIR", help: "output folder" },
    "log-every": {
      type: "string",
      default: "20",
      arg: "N",
      help: "steps between metric readbacks (each one waits for the GPU)",
    },
    "checkpoint-every": {
      type: "string",
      default: "200",
      arg: "N",
      help: "steps between checkpoints (0: only at the end of each epoch)",
    },
    augment: {
      type: "string",
      arg: "LIST",
      defaultText: "fashion-mnist: none; cifar10: crop,flip",
      help: "training augmentation of fashion-mnist and cifar10: a comma list of crop, flip,\n" +
        "erase, or none (image folders: random-resized-crop and flip)",
    },
    "crop-pad": {
      type: "string",
      arg: "N",
      defaultText: "fashion-mnist 2, cifar10 4",
      help: "zero padding before the random crop",
    },
    "erase-prob": {
      type: "string",
      arg: "P",
      defaultText: "0.5",
      help: "probability of random erasing per image",
    },
    dropout: {
      type: "string",
      arg: "P",
      defaultText: "the spec's",
      help: "dropout before the classifier, overriding the network's own",
    },
    resume: { type: "boolean", default: false, help: "continue from OUT/checkpoint.onnx" },
    "max-steps": {
      type: "string",
      default: "0",
      arg: "N",
      help: "stop after N steps (0: no limit)",
    },
    "eval-batches": {
      type: "string",
      default: "0",
      arg: "N",
      help: "evaluate on at most N batches (0: all)",
    },
    "stop-after": {
      type: "string",
      default: "0",
      arg: "N",
      help: "stop after N steps as an interruption would (for resume tests)",
    },
    quiet: { type: "boolean", default: false, help: "no progress lines" },
  },
} as const;

await runCli("train", async () => {
  const { values } = parseCli(TRAIN, Deno.args);
  const seed = cliNumber("seed", values.seed, { integer: true, min: 0 });
  const imageSize = values["image-size"] === undefined
    ? undefined
    : cliNumber("image-size", values["image-size"], { integer: true, min: 1 });
  const dataSpec = parseDataSpec(values.data!);
  const loaded = await loadTarget(values.arch!, imageSize ? { inputSize: imageSize } : {});
  if (loaded.kind !== "network") {
    throw new Error(`--arch ${values.arch}: is a search space, not a network`);
  }
  if (imageSize !== undefined && loaded.spec.input.size !== imageSize) {
    throw new Error(
      `--image-size ${imageSize} does not match ${loaded.spec.name}, whose spec takes ` +
        `${loaded.spec.input.size}×${loaded.spec.input.size} inputs; drop the flag or change ` +
        `the spec's input.size`,
    );
  }
  /** A number flag without a default: undefined when absent. */
  const optionalNumber = (
    flag: "crop-pad" | "erase-prob" | "dropout",
    opts: { integer?: boolean; min?: number; max?: number },
  ) => values[flag] === undefined ? undefined : cliNumber(flag, values[flag], opts);
  const augmentation = augmentationOptions(dataSpec.kind, {
    names: values.augment,
    cropPad: optionalNumber("crop-pad", { integer: true, min: 1 }),
    eraseProb: optionalNumber("erase-prob", { min: 0, max: 1 }),
  });
  const dropout = optionalNumber("dropout", { min: 0 });
  if (dropout !== undefined && dropout >= 1) {
    throw new Error(`--dropout must be below 1, got ${dropout}`);
  }
  const config = {
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
    resume: values.resume,
    maxSteps: cliNumber("max-steps", values["max-steps"], { integer: true, min: 0 }),
    evalBatches: cliNumber("eval-batches", values["eval-batches"], { integer: true, min: 0 }),
    stopAfter: cliNumber("stop-after", values["stop-after"], { integer: true, min: 0 }),
    quiet: values.quiet,
  };
  if (config.outDir.trim() === "") throw new Error("--out must name a folder, got an empty value");
  const data = await openData(dataSpec, {
    valSplit: cliNumber("val-split", values["val-split"], { min: 0, max: 0.9 }),
    seed,
    // Image folders are cropped to the network's input size; other data has its own.
    imageSize: loaded.spec.input.size,
    ...augmentation,
  });
  if (imageSize !== undefined && dataSpec.kind !== "imagenet" && data.shape[1] !== imageSize) {
    throw new Error(
      `--image-size ${imageSize}: ${dataSpec.kind} images are ${data.shape[1]}×${data.shape[2]}; ` +
        `the flag sets the crop size of image folders (imagenet:DIR)`,
    );
  }
  const adapted = adaptSpecToData(loaded.spec, data.shape, data.numClasses);
  const spec = dropout === undefined ? adapted : { ...adapted, head: { ...adapted.head, dropout } };
  const gpu = await initEngine();
  console.log(
    `train: ${spec.name} on ${values.data} (${data.train.length} train, ` +
      `${data.val?.length ?? 0} val, ${data.test.length} test, ` +
      `${data.shape.join("×")} inputs) — adapter: ${gpu.info.description}`,
  );
  console.log(
    `train: augmentation ${describeTrainingAugmentation(data.spec.kind, augmentation)}; ` +
      `dropout ${spec.head.dropout}`,
  );
  if (adapted !== loaded.spec) {
    console.log(
      `train: ${spec.name} adapted to the data: input ${loaded.spec.input.channels}×` +
        `${loaded.spec.input.size}² → ${spec.input.channels}×${spec.input.size}², ` +
        `${loaded.spec.classes} → ${spec.classes} classes`,
    );
  }
  const net = buildNetwork(spec, new Rng(seed));
  try {
    await removeEmptyFoldersOnFailure(config.outDir, () => train(net, data, config));
  } finally {
    net.dispose();
    await shutdownEngine();
  }
});
