/**
 * `deno task train` as a library entry point: its flag table (the `--help` text),
 * `parseTrainArgs` (flags only, nothing read), `prepareTraining` (loads the network and
 * the data, fits one to the other; still nothing written) and `runTraining`. The
 * script (scripts/train.ts) and `deno task autospace` call these.
 */
import {
  AUGMENTATION_DEFAULTS,
  augmentationOptions,
  type DataSpec,
  DEFAULT_DATA,
  describeTrainingAugmentation,
  openData,
  type OpenDataOptions,
  type OpenedData,
  parseDataSpec,
} from "../data/data_spec.ts";
import { DEFAULT_ERASE_PROB } from "../data/small_image_augmentation.ts";
import { seededSubset } from "../data/split.ts";
import { adaptSpecToData } from "../networks/adapt.ts";
import { buildNetwork } from "../networks/network.ts";
import { loadTarget } from "../space/load.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import {
  type CliCommand,
  cliNumber,
  cliOptionalNumber,
  parseCommandArgs,
} from "../util/cli_command.ts";
import { DEFAULT_CHECKPOINT_EVERY, parseCheckpointEvery } from "../util/checkpoint_every.ts";
import { Rng } from "../util/rng.ts";
import { type EpochRecord, train, type TrainConfig } from "./trainer.ts";

/** `--quick`'s settings, each where its flag is not given (given flags still win). */
const QUICK_TRAIN = {
  epochs: 1,
  maxSteps: 30, // a few seconds of steps: the chain to model.onnx is what is checked
  batchSize: 32,
  // ~9 steps on Fashion-MNIST or CIFAR-10 at batch 32: the default 0.3 epochs (hundreds of
  // steps) would keep all 30 steps at a small fraction of the learning rate.
  warmupEpochs: 0.005,
  evalBatches: 8, // 256 test images: enough to see that the network learned something
  logEvery: 5,
  checkpointEvery: { steps: 10 },
} as const satisfies Partial<TrainConfig>;

// Help text written from the values the run uses (typed, so that the table's type is fast).
const CROP_PAD_DEFAULTS: string = `fashion-mnist ${
  AUGMENTATION_DEFAULTS["fashion-mnist"].cropPad
}, cifar10 ${AUGMENTATION_DEFAULTS.cifar10.cropPad}`;
const ERASE_PROB_DEFAULT: string = String(DEFAULT_ERASE_PROB);
const QUICK_HELP: string = `a smoke run: ${QUICK_TRAIN.epochs} epoch of at most ` +
  `${QUICK_TRAIN.maxSteps} steps at batch ${QUICK_TRAIN.batchSize}, warmup ` +
  `${QUICK_TRAIN.warmupEpochs} epochs,\ntested on ${QUICK_TRAIN.evalBatches} batches ` +
  "(flags given as well still apply)";

/** The flags of `deno task train`, with their defaults and help. */
export const TRAIN_COMMAND = {
  usage: "deno task train [--arch NETWORK] [--data DATA] [flags]",
  summary:
    "Trains a network from scratch (SGD with Nesterov momentum, cosine learning rate with\n" +
    "linear warmup, label smoothing) and writes OUT/metrics.jsonl, loss and accuracy curves,\n" +
    "OUT/checkpoint.onnx (with its .state.json) and OUT/model.onnx (BN folded).\n" +
    "SIGINT, SIGTERM or SIGUSR1 finish the current step, write the checkpoint and exit\n" +
    "(130/143/138); --resume continues, ending as an uninterrupted run would.",
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
      default: DEFAULT_DATA,
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
    "train-images": {
      type: "string",
      default: "0",
      arg: "N",
      help: "train on a seeded subset of N training images, the same every epoch (0: all)",
    },
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
      default: DEFAULT_CHECKPOINT_EVERY,
      arg: "DURATION|STEPS",
      help: "how often a step checkpoint is written (what kill -9 can lose): wall time\n" +
        "(90s, 5m, 1h; at least 20× a checkpoint's own cost) or steps (200); 0: only at\n" +
        "the end of each epoch (and on SIGINT, SIGTERM or SIGUSR1, which always checkpoint)",
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
      defaultText: CROP_PAD_DEFAULTS,
      help: "zero padding before the random crop",
    },
    "erase-prob": {
      type: "string",
      arg: "P",
      defaultText: ERASE_PROB_DEFAULT,
      help: "probability of random erasing per image",
    },
    dropout: {
      type: "string",
      arg: "P",
      defaultText: "the spec's",
      help: "dropout before the classifier, overriding the network's own",
    },
    resume: { type: "boolean", default: false, help: "continue from OUT/checkpoint.onnx" },
    quick: {
      type: "boolean",
      default: false,
      help: QUICK_HELP,
    },
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
      help: "stop after N steps as an interruption would: a checkpoint there, then\n" +
        "continue with --resume (for resume tests)",
    },
    quiet: { type: "boolean", default: false, help: "no progress lines" },
  },
} as const satisfies CliCommand;

/** The flag that sets each of `QUICK_TRAIN`'s fields. */
const QUICK_FLAGS: Readonly<Record<keyof typeof QUICK_TRAIN, keyof typeof TRAIN_COMMAND.flags>> = {
  epochs: "epochs",
  maxSteps: "max-steps",
  batchSize: "batch",
  warmupEpochs: "warmup",
  evalBatches: "eval-batches",
  logEvery: "log-every",
  checkpointEvery: "checkpoint-every",
};

/** `QUICK_TRAIN`'s fields whose flags `args` does not give. */
function quickSettings(args: readonly string[]): Partial<TrainConfig> {
  // The same table without defaults: what is set is what the user gave.
  const flags = Object.fromEntries(
    Object.entries(TRAIN_COMMAND.flags).map(([name, f]) => [name, { ...f, default: undefined }]),
  ) as unknown as typeof TRAIN_COMMAND.flags;
  const given = parseCommandArgs({ ...TRAIN_COMMAND, flags }, args).values;
  return Object.fromEntries(
    Object.entries(QUICK_TRAIN).filter(([key]) =>
      given[QUICK_FLAGS[key as keyof typeof QUICK_TRAIN]] === undefined
    ),
  );
}

/** Everything `deno task train` was asked for, checked, before anything is read. */
export interface TrainRequest {
  readonly arch: string;
  /** `--data` as given, and parsed. */
  readonly dataText: string;
  readonly data: DataSpec;
  readonly imageSize: number | undefined;
  readonly valSplit: number;
  /** Training images used (a seeded subset); 0 = all. */
  readonly trainImages: number;
  readonly augmentation: Pick<OpenDataOptions, "augment" | "augmentation">;
  readonly dropout: number | undefined;
  readonly quick: boolean;
  readonly config: TrainConfig;
}

/**
 * Reads `deno task train` flags (see `TRAIN_COMMAND`); `set` holds what a caller fixes
 * itself (autospace: the data, the network, the folder, `--quick`), over the flags.
 * Throws one line naming the bad flag; reads no file.
 */
export function parseTrainArgs(
  args: readonly string[],
  set: { quick?: boolean; data?: string; arch?: string; out?: string } = {},
): TrainRequest {
  const parsed = parseCommandArgs(TRAIN_COMMAND, args).values;
  const values = {
    ...parsed,
    data: set.data ?? parsed.data,
    arch: set.arch ?? parsed.arch,
    out: set.out ?? parsed.out,
    quick: parsed.quick || !!set.quick,
  };
  const seed = cliNumber("seed", values.seed, { integer: true, min: 0 });
  const imageSize = cliOptionalNumber("image-size", values["image-size"], {
    integer: true,
    min: 1,
  });
  const data = parseDataSpec(values.data!);
  const augmentation = augmentationOptions(data.kind, {
    names: values.augment,
    cropPad: cliOptionalNumber("crop-pad", values["crop-pad"], { integer: true, min: 1 }),
    eraseProb: cliOptionalNumber("erase-prob", values["erase-prob"], { min: 0, max: 1 }),
  });
  const dropout = cliOptionalNumber("dropout", values.dropout, { min: 0 });
  if (dropout !== undefined && dropout >= 1) {
    throw new Error(`--dropout must be below 1, got ${dropout}`);
  }
  const config: TrainConfig = {
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
    checkpointEvery: parseCheckpointEvery(values["checkpoint-every"]!),
    resume: values.resume,
    maxSteps: cliNumber("max-steps", values["max-steps"], { integer: true, min: 0 }),
    evalBatches: cliNumber("eval-batches", values["eval-batches"], { integer: true, min: 0 }),
    stopAfter: cliNumber("stop-after", values["stop-after"], { integer: true, min: 0 }),
    quiet: values.quiet,
    ...(values.quick ? quickSettings(args) : {}),
  };
  if (config.outDir.trim() === "") throw new Error("--out must name a folder, got an empty value");
  return {
    arch: values.arch!,
    dataText: values.data!,
    data,
    imageSize,
    valSplit: cliNumber("val-split", values["val-split"], { min: 0, max: 0.9 }),
    trainImages: cliNumber("train-images", values["train-images"], { integer: true, min: 0 }),
    augmentation,
    dropout,
    quick: values.quick,
    config,
  };
}

/** A training run with its network and data in hand: nothing written yet. */
export interface PreparedTraining {
  readonly request: TrainRequest;
  /** The network as trained: fitted to the data, with `--dropout` applied. */
  readonly spec: NetworkSpec;
  readonly data: OpenedData;
  /** What the run is, in a few lines for the log (the adapter comes from the caller). */
  readonly summary: string[];
}

/** Loads `--arch` and the data and checks them against each other. */
export async function prepareTraining(request: TrainRequest): Promise<PreparedTraining> {
  const { imageSize } = request;
  const loaded = await loadTarget(request.arch, imageSize ? { inputSize: imageSize } : {});
  if (loaded.kind !== "network") {
    throw new Error(`--arch ${request.arch}: is a search space, not a network`);
  }
  if (imageSize !== undefined && loaded.spec.input.size !== imageSize) {
    throw new Error(
      `--image-size ${imageSize} does not match ${loaded.spec.name}, whose spec takes ` +
        `${loaded.spec.input.size}×${loaded.spec.input.size} inputs; drop the flag or change ` +
        `the spec's input.size`,
    );
  }
  const opened = await openData(request.data, {
    valSplit: request.valSplit,
    seed: request.config.seed,
    // Image folders are cropped to the network's input size; other data has its own.
    imageSize: loaded.spec.input.size,
    ...request.augmentation,
  });
  const data = request.trainImages > 0
    ? {
      ...opened,
      // Seeded apart from the shuffles, so that every seed's run trains on its own subset.
      train: seededSubset(opened.train, request.trainImages, request.config.seed + 1, "train"),
    }
    : opened;
  if (imageSize !== undefined && request.data.kind !== "imagenet" && data.shape[1] !== imageSize) {
    throw new Error(
      `--image-size ${imageSize}: ${request.data.kind} images are ${data.shape[1]}×` +
        `${data.shape[2]}; the flag sets the crop size of image folders (imagenet:DIR)`,
    );
  }
  const adapted = adaptSpecToData(loaded.spec, data.shape, data.numClasses);
  const spec = request.dropout === undefined
    ? adapted
    : { ...adapted, head: { ...adapted.head, dropout: request.dropout } };
  const summary = [
    `${spec.name} on ${request.dataText} (${data.train.length} train` +
    `${data.train.length < opened.train.length ? " (a seeded subset)" : ""}, ` +
    `${data.val?.length ?? 0} val, ${data.test.length} test, ${data.shape.join("×")} inputs)`,
    `augmentation ${describeTrainingAugmentation(data.spec.kind, request.augmentation)}; ` +
    `dropout ${spec.head.dropout}`,
  ];
  if (adapted !== loaded.spec) {
    summary.push(
      `${spec.name} adapted to the data: input ${loaded.spec.input.channels}×` +
        `${loaded.spec.input.size}² → ${spec.input.channels}×${spec.input.size}², ` +
        `${loaded.spec.classes} → ${spec.classes} classes`,
    );
  }
  return { request, spec, data, summary };
}

/** Builds the network and trains it (the engine must be started); returns the epochs. */
export async function runTraining(prepared: PreparedTraining): Promise<EpochRecord[]> {
  const { config } = prepared.request;
  const net = buildNetwork(prepared.spec, new Rng(config.seed));
  try {
    return await train(net, prepared.data, config);
  } finally {
    net.dispose();
  }
}
