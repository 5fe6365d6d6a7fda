/**
 * The settings every supernet run shares (the evolution and the searches): its data,
 * the weight optimiser (SGD with Nesterov momentum, cosine schedule), the architecture
 * optimiser (Adam on α, ProxylessNAS's β1 = 0, β2 = 0.999, eps = 1e-8 by default),
 * how often each kind of step runs, the path a weight step trains, and the run's
 * bookkeeping — with their shared defaults and the flags that set them, each declared
 * once.
 */
import {
  type CheckpointEvery,
  DEFAULT_CHECKPOINT_EVERY,
  formatCheckpointEvery,
  parseCheckpointEvery,
} from "../util/checkpoint_every.ts";
import {
  choiceFlag,
  type ConfigFlag,
  COUNT,
  FRACTION,
  numberFlag,
  POSITIVE,
  readFolder,
  switchFlag,
  textFlag,
} from "../util/cli_command.ts";
import { DEFAULT_DATA, parseDataSpec } from "../data/data_spec.ts";
import { parsePathSampling, PATH_SAMPLING_MODES, type PathSampling } from "./path_sampling.ts";
import type { ArchAdamOptions } from "./arch_optimizer.ts";

export interface SupernetRunSettings {
  /** `--data` (see src/data/data_spec.ts). */
  readonly data: string;
  /** Training images used per epoch (a seeded subset); 0 = all. */
  readonly trainImages: number;
  /** Fraction of the training set held out for the architecture steps. */
  readonly valSplit: number;
  /** Held-out images used; 0 = all of the split. */
  readonly valImages: number;
  readonly batchSize: number;
  /** Weight optimiser: SGD with Nesterov momentum, cosine schedule. */
  readonly weightLr: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  /** Architecture optimiser: Adam on α. */
  readonly archLr: number;
  readonly archBeta1: number;
  readonly archBeta2: number;
  readonly archEps: number;
  /** Weight steps per architecture step (ProxylessNAS's grad_update_arch_param_every). */
  readonly archUpdateEvery: number;
  /** The path each weight step trains (src/supernet/path_sampling.ts). */
  readonly pathSampling: PathSampling;
  readonly seed: number;
  readonly out: string;
  /** Continue from the checkpoint in `out`. */
  readonly resume: boolean;
  /** Steps between metric readbacks. */
  readonly logEvery: number;
  /** Stop (as an interruption would) after this many weight steps; 0 = run to the end. */
  readonly stopAfter: number;
  /** Steps or wall time between step checkpoints (`--checkpoint-every`); absent: the default. */
  readonly checkpointEvery?: CheckpointEvery;
}

/** The step checkpoints of a run: its `--checkpoint-every`, or the default. */
export function checkpointEveryOf(settings: SupernetRunSettings): CheckpointEvery {
  return settings.checkpointEvery ?? parseCheckpointEvery(DEFAULT_CHECKPOINT_EVERY);
}

/**
 * The defaults every supernet command shares, each with its reason; a command adds its
 * own architecture step size and rate (`archLr`, `archUpdateEvery`) and output folder,
 * and overrides a shared value only beside its own reason.
 */
export const DEFAULT_SUPERNET_SETTINGS: Omit<
  SupernetRunSettings,
  "archLr" | "archUpdateEvery" | "out"
> = {
  data: DEFAULT_DATA,
  trainImages: 19_200, // a third of Fashion-MNIST: 300 steps an epoch at batch 64
  valSplit: 0.1, // 6,000 held-out images for α, as ProxylessNAS trains α on held-out data
  valImages: 0, // all of them
  batchSize: 64, // the step size the CPU budgets were measured at
  weightLr: 0.05, // SGD+Nesterov, cosine; ProxylessNAS's 0.025 at batch 256, short run
  momentum: 0.9, // ProxylessNAS
  weightDecay: 4e-5, // ProxylessNAS
  labelSmoothing: 0.1, // ProxylessNAS
  archBeta1: 0, // ProxylessNAS
  archBeta2: 0.999, // ProxylessNAS
  archEps: 1e-8, // ProxylessNAS
  pathSampling: "uniform", // measured: the supernet's scores (held-out top-1 and Σ log p)
  // rank networks best with uniform weight steps (docs/fidelity.md: Kendall τ 0.48 against
  // stand-alone accuracy, ∝ p 0.38, fair −0.30; balanced 0.61 inside the same interval);
  // ∝ p trains the leader most, so its α grows because it was trained
  // (docs/experiments.md, rank). ProxylessNAS's own ∝ p is --path-sampling proportional
  seed: 0,
  resume: false,
  logEvery: 20, // each readback waits for the GPU: ≥ 11 ms in Deno, even when idle
  stopAfter: 0, // tests interrupt a run with it, then --resume
};

/** The flag builders, for this config. */
const num = numberFlag<SupernetRunSettings>;
const choice = choiceFlag<SupernetRunSettings>;
const toggle = switchFlag<SupernetRunSettings>;
const text = textFlag<SupernetRunSettings>;

/** Checks `--data` (one line on a bad one) without reading anything. */
function checkData(text: string): void {
  parseDataSpec(text);
}

/**
 * The flags of `SupernetRunSettings`, declared once for every supernet command (evolve,
 * search, rank, fidelity); a command's own help line for a field replaces the shared one
 * by name.
 */
export const SUPERNET_FLAGS = {
  data: text("data", "DATA", "fashion-mnist[:DIR], cifar10:DIR or imagenet:DIR", checkData),
  "train-images": num(
    "trainImages",
    "N",
    COUNT,
    "training images per epoch, a seeded subset (0: all)",
  ),
  "val-split": num(
    "valSplit",
    "F",
    { above: 0, max: 0.9 },
    "fraction of the training set held out for the architecture steps",
  ),
  "val-images": num("valImages", "N", COUNT, "held-out images used (0: all of the split)"),
  batch: num("batchSize", "N", POSITIVE, "images per step"),
  lr: num("weightLr", "LR", { min: 0 }, "peak weight learning rate (SGD Nesterov, cosine)"),
  momentum: num("momentum", "M", FRACTION, "SGD momentum"),
  wd: num("weightDecay", "WD", { min: 0 }, "weight decay of conv and linear weights"),
  "label-smoothing": num("labelSmoothing", "E", FRACTION, "label smoothing of the weight steps"),
  "arch-lr": num("archLr", "LR", { min: 0 }, "Adam learning rate of α"),
  "arch-beta1": num("archBeta1", "B", FRACTION, "Adam β1 of α"),
  "arch-beta2": num("archBeta2", "B", FRACTION, "Adam β2 of α"),
  "arch-eps": num("archEps", "EPS", { above: 0 }, "Adam ε of α"),
  "arch-every": num("archUpdateEvery", "N", POSITIVE, "weight steps per architecture step"),
  "path-sampling": {
    ...choice(
      "pathSampling",
      PATH_SAMPLING_MODES,
      "the path a weight step trains: proportional (∝ p), uniform, fair (each candidate\n" +
        "once per group of steps, one update), or balanced (fair's order, an update every\n" +
        "step)",
      "MODE",
    ),
    read: (text: string) => parsePathSampling(text),
  },
  seed: num("seed", "N", COUNT, "seed of the data subsets, weights and path sampling"),
  out: {
    key: "out",
    arg: "DIR",
    help: "output folder",
    read: (text, flag) => readFolder(flag, text),
  },
  resume: toggle("resume", "continue from the checkpoint in OUT"),
  "log-every": num("logEvery", "N", POSITIVE, "weight steps between metric readbacks"),
  "stop-after": num(
    "stopAfter",
    "N",
    COUNT,
    "stop after N weight steps as if interrupted, for resume tests (0: off)",
  ),
  "checkpoint-every": {
    key: "checkpointEvery",
    arg: "T|N",
    help: "a step checkpoint every T of wall time (90s, 5m; at least 20× its own cost) or\n" +
      "N steps; 0: epoch or regeneration ends only. SIGINT, SIGTERM, SIGUSR1 always\n" +
      "checkpoint",
    read: (text, flag) => parseCheckpointEvery(text, flag),
    show: (every?: CheckpointEvery) =>
      every === undefined ? DEFAULT_CHECKPOINT_EVERY : "steps" in every
        ? String(every.steps) // as the flag takes it ("200"), not "200 steps"
        : formatCheckpointEvery(every),
  },
} as const satisfies Record<string, ConfigFlag<SupernetRunSettings>>;

/** The architecture optimiser's options of a run. */
export function archAdamOptions(settings: SupernetRunSettings): ArchAdamOptions {
  return {
    lr: settings.archLr,
    beta1: settings.archBeta1,
    beta2: settings.archBeta2,
    eps: settings.archEps,
  };
}
