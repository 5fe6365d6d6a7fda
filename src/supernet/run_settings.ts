/**
 * The settings every supernet run shares (the evolution and the searches): its data,
 * the weight optimiser (SGD with Nesterov momentum, cosine schedule), the architecture
 * optimiser (Adam on α, ProxylessNAS's β1 = 0, β2 = 0.999, eps = 1e-8 by default),
 * how often each kind of step runs, and the run's bookkeeping — with the flags that
 * set them and how each is checked.
 */
import {
  type CheckpointEvery,
  DEFAULT_CHECKPOINT_EVERY,
  parseCheckpointEvery,
} from "../util/checkpoint_every.ts";
import type { NumberRule } from "../util/flag_rules.ts";
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

/** `--checkpoint-every`'s line in a supernet command's `--help`. */
export const CHECKPOINT_EVERY_USAGE =
  `  --checkpoint-every T|N     a step checkpoint every T of wall time (90s, 5m; at least 20×
                             its own cost) or N steps; 0: epoch or regeneration ends only.
                             SIGINT, SIGTERM, SIGUSR1 always checkpoint [${DEFAULT_CHECKPOINT_EVERY}]`;

/** The step checkpoints of a run: its `--checkpoint-every`, or the default. */
export function checkpointEveryOf(settings: SupernetRunSettings): CheckpointEvery {
  return settings.checkpointEvery ?? parseCheckpointEvery(DEFAULT_CHECKPOINT_EVERY);
}

/** The numeric flags of `SupernetRunSettings`. */
export const SUPERNET_NUMBER_FLAGS: Readonly<
  Record<string, NumberRule<keyof SupernetRunSettings>>
> = {
  "train-images": { key: "trainImages", integer: true, min: 0 },
  "val-split": { key: "valSplit", above: 0, max: 0.9 },
  "val-images": { key: "valImages", integer: true, min: 0 },
  batch: { key: "batchSize", integer: true, min: 1 },
  lr: { key: "weightLr", min: 0 },
  momentum: { key: "momentum", min: 0, below: 1 },
  wd: { key: "weightDecay", min: 0 },
  "label-smoothing": { key: "labelSmoothing", min: 0, below: 1 },
  "arch-lr": { key: "archLr", min: 0 },
  "arch-beta1": { key: "archBeta1", min: 0, below: 1 },
  "arch-beta2": { key: "archBeta2", min: 0, below: 1 },
  "arch-eps": { key: "archEps", above: 0 },
  "arch-every": { key: "archUpdateEvery", integer: true, min: 1 },
  seed: { key: "seed", integer: true, min: 0 },
  "log-every": { key: "logEvery", integer: true, min: 1 },
  "stop-after": { key: "stopAfter", integer: true, min: 0 },
};

/** The architecture optimiser's options of a run. */
export function archAdamOptions(settings: SupernetRunSettings): ArchAdamOptions {
  return {
    lr: settings.archLr,
    beta1: settings.archBeta1,
    beta2: settings.archBeta2,
    eps: settings.archEps,
  };
}
