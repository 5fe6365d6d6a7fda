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
  applyConfigArgs,
  type ConfigCommand,
  configHelp,
  COUNT,
  numberFlag,
  optionalFlag,
  POSITIVE,
  readConfigArgs,
  readFolder,
  switchFlag,
  textFlag,
} from "../util/cli_command.ts";
import {
  type CheckpointEvery,
  DEFAULT_CHECKPOINT_EVERY,
  formatCheckpointEvery,
  parseCheckpointEvery,
} from "../util/checkpoint_every.ts";
import { Rng } from "../util/rng.ts";
import { type EpochRecord, train, type TrainConfig } from "./trainer.ts";

/** Every `deno task train` flag's value, one field a flag. */
export interface TrainSettings {
  readonly arch: string;
  readonly data: string;
  /** Side of the crops of image folders; undefined: the network's input size. */
  readonly imageSize: number | undefined;
  readonly epochs: number;
  readonly batchSize: number;
  /** Training images used (a seeded subset); 0 = all. */
  readonly trainImages: number;
  readonly lr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  readonly warmupEpochs: number;
  readonly valSplit: number;
  readonly seed: number;
  readonly out: string;
  readonly logEvery: number;
  readonly checkpointEvery: CheckpointEvery;
  /** `--augment` as given; undefined: the data kind's default. */
  readonly augment: string | undefined;
  readonly cropPad: number | undefined;
  readonly eraseProb: number | undefined;
  /** Dropout before the classifier; undefined: the spec's. */
  readonly dropout: number | undefined;
  readonly resume: boolean;
  readonly quick: boolean;
  readonly maxSteps: number;
  readonly evalBatches: number;
  readonly stopAfter: number;
  readonly quiet: boolean;
}

/** `deno task train` without flags. */
export const DEFAULT_TRAIN_SETTINGS: TrainSettings = {
  arch: "mobilenetv2-28",
  data: DEFAULT_DATA,
  imageSize: undefined,
  epochs: 5,
  batchSize: 128,
  trainImages: 0,
  lr: 0.1,
  momentum: 0.9,
  weightDecay: 5e-5,
  labelSmoothing: 0.1,
  warmupEpochs: 0.3,
  valSplit: 0,
  seed: 0,
  out: "runs/train",
  logEvery: 20,
  checkpointEvery: parseCheckpointEvery(DEFAULT_CHECKPOINT_EVERY),
  augment: undefined,
  cropPad: undefined,
  eraseProb: undefined,
  dropout: undefined,
  resume: false,
  quick: false,
  maxSteps: 0,
  evalBatches: 0,
  stopAfter: 0,
  quiet: false,
};

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
} as const satisfies Partial<TrainSettings>;

// Help text written from the values the run uses (typed, so that the table's type is fast).
const CROP_PAD_DEFAULTS: string = `fashion-mnist ${
  AUGMENTATION_DEFAULTS["fashion-mnist"].cropPad
}, cifar10 ${AUGMENTATION_DEFAULTS.cifar10.cropPad}`;
const ERASE_PROB_DEFAULT: string = String(DEFAULT_ERASE_PROB);
const QUICK_HELP: string = `a smoke run: ${QUICK_TRAIN.epochs} epoch of at most ` +
  `${QUICK_TRAIN.maxSteps} steps at batch ${QUICK_TRAIN.batchSize}, warmup ` +
  `${QUICK_TRAIN.warmupEpochs} epochs,\ntested on ${QUICK_TRAIN.evalBatches} batches ` +
  "(flags given as well still apply)";

/** The settings `--quick` starts from. */
export const QUICK_TRAIN_SETTINGS: TrainSettings = {
  ...DEFAULT_TRAIN_SETTINGS,
  ...QUICK_TRAIN,
  quick: true,
};

const num = numberFlag<TrainSettings>;
const text = textFlag<TrainSettings>;
const toggle = switchFlag<TrainSettings>;
const optional = optionalFlag<TrainSettings>;

/** The flags of `deno task train`, each setting one field of `TrainSettings`. */
export const TRAIN_COMMAND: ConfigCommand<TrainSettings> = {
  usage: "deno task train [--arch NETWORK] [--data DATA] [flags]",
  summary:
    "Trains a network from scratch (SGD with Nesterov momentum, cosine learning rate with\n" +
    "linear warmup, label smoothing) and writes OUT/metrics.jsonl, loss and accuracy curves,\n" +
    "OUT/checkpoint.onnx (with its .state.json) and OUT/model.onnx (BN folded).\n" +
    "SIGINT, SIGTERM or SIGUSR1 finish the current step, write the checkpoint and exit\n" +
    "(130/143/138); --resume continues, ending as an uninterrupted run would.",
  flags: {
    arch: text(
      "arch",
      "NETWORK",
      "built-in name (mobilenetv2-28, mobilenetv2, ...), a network spec JSON or a\n" +
        "ProxylessNAS net.config",
    ),
    data: text(
      "data",
      "DATA",
      "fashion-mnist[:DIR], cifar10:DIR or imagenet:DIR (DIR/train/<class>/*, DIR/val/...)",
    ),
    "image-size": optional(
      num(
        "imageSize",
        "N",
        POSITIVE,
        "side of the crops taken from image folders; must agree with the network's spec\n" +
          "(a net.config records none, so this sets it)",
      ),
      "the network's input size",
    ),
    epochs: num("epochs", "N", POSITIVE, "epochs to train"),
    batch: num("batchSize", "N", POSITIVE, "images per step"),
    "train-images": num(
      "trainImages",
      "N",
      COUNT,
      "train on a seeded subset of N training images, the same every epoch (0: all)",
    ),
    lr: num("lr", "LR", { min: 0 }, "peak learning rate"),
    momentum: num("momentum", "M", { min: 0, max: 0.999 }, "SGD (Nesterov) momentum"),
    wd: num("weightDecay", "WD", { min: 0 }, "weight decay of conv and linear weights"),
    "label-smoothing": num("labelSmoothing", "E", { min: 0, max: 1 }, "label smoothing"),
    warmup: num("warmupEpochs", "EPOCHS", { min: 0 }, "linear warmup, in epochs"),
    "val-split": num(
      "valSplit",
      "F",
      { min: 0, max: 0.9 },
      "fraction of the training set held out for validation",
    ),
    seed: num("seed", "N", COUNT, "seed of weights, shuffles and splits"),
    out: text("out", "DIR", "output folder", (value, flag) => void readFolder(flag, value)),
    "log-every": num(
      "logEvery",
      "N",
      POSITIVE,
      "steps between metric readbacks (each one waits for the GPU)",
    ),
    "checkpoint-every": {
      key: "checkpointEvery",
      arg: "DURATION|STEPS",
      help: "how often a step checkpoint is written (what kill -9 can lose): wall time\n" +
        "(90s, 5m, 1h; at least 20× a checkpoint's own cost) or steps (200); 0: only at\n" +
        "the end of each epoch (and on SIGINT, SIGTERM or SIGUSR1, which always checkpoint)",
      read: (value, flag) => parseCheckpointEvery(value, flag),
      // As the flag takes it ("10" steps, "1m").
      show: (every: CheckpointEvery) =>
        "steps" in every ? String(every.steps) : formatCheckpointEvery(every),
    },
    augment: optional(
      text(
        "augment",
        "LIST",
        "training augmentation of fashion-mnist and cifar10: a comma list of crop, flip,\n" +
          "erase, or none (image folders: random-resized-crop and flip)",
      ),
      "fashion-mnist: none; cifar10: crop,flip",
    ),
    "crop-pad": optional(
      num("cropPad", "N", POSITIVE, "zero padding before the random crop"),
      CROP_PAD_DEFAULTS,
    ),
    "erase-prob": optional(
      num("eraseProb", "P", { min: 0, max: 1 }, "probability of random erasing per image"),
      ERASE_PROB_DEFAULT,
    ),
    dropout: optional(
      num(
        "dropout",
        "P",
        { min: 0 },
        "dropout before the classifier, overriding the network's own",
      ),
      "the spec's",
    ),
    resume: toggle("resume", "continue from OUT/checkpoint.onnx"),
    quick: toggle("quick", QUICK_HELP),
    "max-steps": num("maxSteps", "N", COUNT, "stop after N steps (0: no limit)"),
    "eval-batches": num("evalBatches", "N", COUNT, "evaluate on at most N batches (0: all)"),
    "stop-after": num(
      "stopAfter",
      "N",
      COUNT,
      "stop after N steps as an interruption would: a checkpoint there, then\n" +
        "continue with --resume (for resume tests)",
    ),
    quiet: toggle("quiet", "no progress lines"),
  },
};

/** `deno task train --help`. */
export const TRAIN_USAGE: string = configHelp(TRAIN_COMMAND, DEFAULT_TRAIN_SETTINGS, [
  ["--quick", QUICK_TRAIN_SETTINGS],
]);

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

/** What a caller fixes itself (autospace: the data, the network, the folder, `--quick`). */
export type TrainSet = Partial<Pick<TrainSettings, "quick" | "data" | "arch" | "out">>;

/** Reads `deno task train` flags into their settings; `set` over the flags. */
export function parseTrainSettings(args: readonly string[], set: TrainSet = {}): TrainSettings {
  const values = readConfigArgs(TRAIN_COMMAND, args);
  const quick = values.quick === true || set.quick === true;
  const base = quick ? QUICK_TRAIN_SETTINGS : DEFAULT_TRAIN_SETTINGS;
  return { ...applyConfigArgs(TRAIN_COMMAND, values, base), ...set, quick };
}

/**
 * Reads `deno task train` flags (see `TRAIN_COMMAND`); `set` holds what a caller fixes
 * itself (autospace: the data, the network, the folder, `--quick`), over the flags.
 * Throws one line naming the bad flag; reads no file.
 */
export function parseTrainArgs(args: readonly string[], set: TrainSet = {}): TrainRequest {
  return trainRequest(parseTrainSettings(args, set));
}

/** The request of checked settings: the data parsed, the augmentation resolved. */
export function trainRequest(s: TrainSettings): TrainRequest {
  const data = parseDataSpec(s.data);
  const augmentation = augmentationOptions(data.kind, {
    names: s.augment,
    cropPad: s.cropPad,
    eraseProb: s.eraseProb,
  });
  if (s.dropout !== undefined && s.dropout >= 1) {
    throw new Error(`--dropout must be below 1, got ${s.dropout}`);
  }
  const config: TrainConfig = {
    epochs: s.epochs,
    batchSize: s.batchSize,
    lr: s.lr,
    momentum: s.momentum,
    nesterov: true,
    weightDecay: s.weightDecay,
    labelSmoothing: s.labelSmoothing,
    warmupEpochs: s.warmupEpochs,
    seed: s.seed,
    outDir: s.out,
    logEvery: s.logEvery,
    checkpointEvery: s.checkpointEvery,
    resume: s.resume,
    maxSteps: s.maxSteps,
    evalBatches: s.evalBatches,
    stopAfter: s.stopAfter,
    quiet: s.quiet,
  };
  return {
    arch: s.arch,
    dataText: s.data,
    data,
    imageSize: s.imageSize,
    valSplit: s.valSplit,
    trainImages: s.trainImages,
    augmentation,
    dropout: s.dropout,
    quick: s.quick,
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
