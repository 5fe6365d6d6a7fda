/**
 * Settings of the fitness-robustness experiment (`deno task rank`, the paper's Table 6)
 * and the reason for each default.
 *
 * The default run is sized for this project's 2-core CPU adapter (about 30 minutes on
 * an idle machine). The three networks (1.1M, 2.2M, 4.5M MAdds) trained at about 190,
 * 95 and 55 images/s on the machine shared with other jobs (load average ~8); idle is
 * roughly 3× that, so
 *
 *   true ranking:  3 networks × 2 seeds × 3 epochs × 10,000 images, with a test pass
 *                  (10,000 images) after each epoch                    ≈ 15 min
 *   fitness runs:  5 settings × 8 epochs × 5,000 images (one path a weight step, two
 *                  forward-only paths every 3rd step)                 ≈ 15 min
 * Each of the three trains on a third of a fitness run's steps at uniform p, so the
 * supernet sees each network for about half the images its standalone training did.
 */

import {
  DEFAULT_SUPERNET_SETTINGS,
  SUPERNET_FLAGS,
  type SupernetRunSettings,
} from "../supernet/run_settings.ts";
import {
  applyConfigArgs,
  type ConfigCommand,
  type ConfigFlag,
  configHelp,
  COUNT,
  numberFlag,
  POSITIVE,
  readConfigArgs,
  readNumber,
  switchFlag,
} from "../util/cli_command.ts";

/**
 * Every setting of a rank run: the supernet settings (data, the weight recipe — shared
 * by the standalone trainings and the supernet — Adam on α, path sampling, bookkeeping;
 * `trainImages` is the same subset every epoch) and the experiment's own. Rank has no
 * step checkpoints: `--resume` skips finished trainings and fitness runs.
 */
export interface RankConfig extends Omit<SupernetRunSettings, "stopAfter" | "checkpointEvery"> {
  /** Whether `--quick` (a seconds-long smoke run) was applied. */
  readonly quick: boolean;
  /** Inverted residual blocks per stage of the three networks (depth_family.ts). */
  readonly depths: readonly number[];
  /** Test images of the true accuracies; 0 = all. */
  readonly testImages: number;
  /** Held-out images each network is scored on after a fitness run. */
  readonly pathEvalImages: number;
  readonly batchSize: number;
  /** Epochs of each standalone training (the true ranking). */
  readonly trueEpochs: number;
  /** Training seeds of the true ranking (seed, seed + 1, ...). */
  readonly trueSeeds: number;
  /** Epochs of each fitness run. */
  readonly epochs: number;
  /** Images of a fitness-run epoch (a seeded subset of the training images); 0 = all. */
  readonly fitnessImages: number;
  /** Of those, the first epochs train weights only; α starts moving after them. */
  readonly warmupEpochs: number;
  /** Linear learning-rate warmup of the weight recipe, in epochs. */
  readonly lrWarmupEpochs: number;
  /** Table 6 rows (1-based) to start from. */
  readonly rows: readonly number[];
  /** Factors on Table 6's printed numbers (in units of 10⁻³): every row runs at each. */
  readonly alphaScales: readonly number[];
}

/** The supernet settings' defaults, less those rank has no use for. */
const { stopAfter: _stopAfter, ...SUPERNET_DEFAULTS } = DEFAULT_SUPERNET_SETTINGS;

/** The CPU default. */
export const DEFAULT_RANK_CONFIG: RankConfig = {
  ...SUPERNET_DEFAULTS, // data, held-out split, batch, momentum, label smoothing, Adam's β, ε
  quick: false,
  depths: [1, 2, 4], // 3, 6 and 12 blocks: 1.1M, 2.2M, 4.5M MAdds; gaps of ~1.4 points
  // (depth_family.ts), where depth 3 would sit within the seed spread of depth 2
  trainImages: 10_000, // a sixth of the training set: 156 steps an epoch at batch 64
  testImages: 0, // the whole 10,000-image test set: the ranking is what is measured
  pathEvalImages: 2_000, // enough to see a few-point gap between the networks, cheap
  trueEpochs: 3, // 30,000 images per standalone network
  trueSeeds: 2, // the seed spread next to every gap
  epochs: 8, // Table 6's largest "Epochs" is 6; 8 leaves room to see the order hold
  fitnessImages: 5_000, // 40,000 weight steps' images a run: ~13,000 a network at uniform p
  warmupEpochs: 1, // ProxylessNAS and the evolution warm the weights up before α moves
  weightLr: 0.1, // `deno task train`'s peak LR (SGD, Nesterov, cosine); the depths were chosen at it
  lrWarmupEpochs: 0.3, // `deno task train`'s warmup
  weightDecay: 5e-5, // `deno task train`'s
  archLr: 0.03, // the evolution's: Adam moves α by ≲ lr a step, ~0.9 an epoch here
  archUpdateEvery: 3, // the evolution's; ProxylessNAS uses 5
  rows: [1, 2, 3, 4, 5], // all of Table 6; row 3 is the reverse of the true order
  alphaScales: [1], // the printed numbers as α: p starts up to 90% on one network, so the
  // start matters (at the paper's 0.001, p is uniform to 0.4%: add it with --resume)
  pathSampling: "proportional", // ProxylessNAS's binary gates sample the path ∝ p
  out: "runs/rank",
};

/** `--quick`: seconds, end to end, on a few hundred images. */
export const QUICK_RANK_CONFIG: Partial<RankConfig> = {
  quick: true,
  trainImages: 256,
  fitnessImages: 0,
  valImages: 128,
  testImages: 128,
  pathEvalImages: 64,
  batchSize: 32,
  trueEpochs: 1,
  trueSeeds: 1,
  epochs: 2,
  warmupEpochs: 1,
  archUpdateEvery: 2,
  rows: [2, 3],
  logEvery: 4,
};

/** Cross-field checks; returns the config or throws one line naming the conflict. */
export function validateRankConfig(config: RankConfig): RankConfig {
  if (config.depths.length !== 3) {
    throw new Error(`--depths needs three depths (Net1, Net2, Net3), got ${config.depths.length}`);
  }
  if (config.warmupEpochs >= config.epochs) {
    throw new Error(
      `--warmup ${config.warmupEpochs} must be < --epochs ${config.epochs}: α never moves otherwise`,
    );
  }
  if (config.rows.length === 0) throw new Error("--rows must name at least one Table 6 row");
  if (config.alphaScales.length === 0) {
    throw new Error("--alpha-scales must name at least one scale");
  }
  return config;
}

/** A config as plain JSON, for rank.json and the resume check. */
export function rankConfigToJson(config: RankConfig): Record<string, unknown> {
  return {
    ...config,
    depths: [...config.depths],
    rows: [...config.rows],
    alphaScales: [...config.alphaScales],
  };
}

/**
 * The settings a resumed run must share with the run it continues: all but the output
 * folder, resume and logging, and the choice of fitness runs (rows, scales and path
 * sampling name each run's own file), so that `--resume` can add fitness runs to a
 * finished experiment without training the networks again.
 */
export function resultDefiningSettings(config: RankConfig): Record<string, unknown> {
  const {
    out: _out,
    resume: _resume,
    logEvery: _log,
    rows: _rows,
    alphaScales: _scales,
    pathSampling: _sampling,
    ...rest
  } = rankConfigToJson(config) as unknown as RankConfig & Record<string, unknown>;
  return rest;
}

/** The flag builders, for this config. */
const num = numberFlag<RankConfig>;
const toggle = switchFlag<RankConfig>;

/** "1,2,3" → [1, 2, 3], each entry checked as a number by `rule`. */
function numberList(flag: string, text: string, rule: Parameters<typeof readNumber>[2]): number[] {
  return text.split(",").map((part) => readNumber(flag, part.trim(), rule));
}

/** A flag that takes a comma list of numbers, each checked by `rule`. */
function listFlag(
  key: "depths" | "rows" | "alphaScales",
  arg: string,
  rule: Parameters<typeof readNumber>[2],
  help: string,
): ConfigFlag<RankConfig> {
  return { key, arg, help, read: (text, flag) => numberList(flag, text, rule) };
}

/** The supernet flags rank takes (all but --stop-after and --checkpoint-every). */
const S = SUPERNET_FLAGS as unknown as Readonly<
  Record<keyof typeof SUPERNET_FLAGS, ConfigFlag<RankConfig>>
>;

/** The flags of `deno task rank`, each declared once; defaults come from the config. */
export const RANK_COMMAND: ConfigCommand<RankConfig> = {
  usage: "deno task rank [flags]",
  summary: "The paper's fitness-robustness experiment (Table 6): trains three networks of one\n" +
    "block type and different depths standalone (the true ranking), then learns their fitness\n" +
    "scores α as the K = 3 paths of a supernet (§3.2, Eq. 4) from each initial α of Table 6\n" +
    "(row 3 is the reverse of the true order) and reports after how many epochs α orders them\n" +
    "correctly for good. Writes OUT/rank.json, OUT/report.md, OUT/order_margin_x<scale>.png,\n" +
    "OUT/alpha_row<S/N>-x<scale>.png. Defaults and their reasons: src/rank/config.ts.",
  flags: {
    quick: toggle("quick", "a smoke run of about a minute (tiny subsets, rows 2 and 3, one seed)"),
    out: S.out,
    resume: toggle("resume", "skip finished trainings and fitness runs in OUT, continue the rest"),
    data: S.data,
    depths: listFlag(
      "depths",
      "A,B,C",
      POSITIVE,
      "inverted residual blocks per stage of the three networks",
    ),
    "train-images": {
      ...S["train-images"],
      help: "training images, the same subset every epoch, both stages (0: all)",
    },
    "val-split": S["val-split"],
    "val-images": S["val-images"],
    "test-images": num("testImages", "N", COUNT, "test images of the true accuracies (0: all)"),
    "path-eval-images": num(
      "pathEvalImages",
      "N",
      POSITIVE,
      "held-out images each network is scored on after a fitness run",
    ),
    batch: S.batch,
    "true-epochs": num("trueEpochs", "E", POSITIVE, "epochs of each standalone training"),
    "true-seeds": num(
      "trueSeeds",
      "N",
      POSITIVE,
      "standalone trainings per network (seeds seed, seed+1, ...)",
    ),
    epochs: num("epochs", "E", POSITIVE, "epochs of each fitness run"),
    "fitness-images": num(
      "fitnessImages",
      "N",
      COUNT,
      "images of a fitness-run epoch, a subset of the training images (0: all of them)",
    ),
    warmup: num("warmupEpochs", "E", COUNT, "of those, weight-only epochs before α moves"),
    lr: { ...S.lr, help: "peak weight learning rate (SGD Nesterov, cosine), both stages" },
    "lr-warmup": num("lrWarmupEpochs", "EPOCHS", { min: 0 }, "linear learning-rate warmup"),
    momentum: S.momentum,
    wd: S.wd,
    "label-smoothing": S["label-smoothing"],
    "arch-lr": S["arch-lr"],
    "arch-beta1": S["arch-beta1"],
    "arch-beta2": S["arch-beta2"],
    "arch-eps": S["arch-eps"],
    "arch-every": { ...S["arch-every"], help: "weight steps per α (fitness) step" },
    rows: listFlag(
      "rows",
      "LIST",
      { integer: true, min: 1, max: 5 },
      "Table 6 rows to start from (row 3: the reverse order)",
    ),
    "alpha-scales": listFlag(
      "alphaScales",
      "LIST",
      { above: 0 },
      "factors on Table 6's printed α, each row runs at each (the paper's units are 1e-3:\n" +
        "0.001 gives the paper's α)",
    ),
    "path-sampling": S["path-sampling"],
    seed: S.seed,
    "log-every": S["log-every"],
  } satisfies Record<string, ConfigFlag<RankConfig>>,
};

/** `deno task rank --help`. */
export const RANK_USAGE = configHelp(RANK_COMMAND, DEFAULT_RANK_CONFIG, [
  ["--quick", { ...DEFAULT_RANK_CONFIG, ...QUICK_RANK_CONFIG }],
]);

/**
 * Reads `deno task rank` flags into a config (see `RANK_USAGE`). Throws one line naming
 * the bad flag or combination; reads nothing.
 */
export function parseRankArgs(args: readonly string[]): RankConfig {
  const values = readConfigArgs(RANK_COMMAND, args);
  const base = { ...DEFAULT_RANK_CONFIG, ...(values.quick ? QUICK_RANK_CONFIG : {}) };
  return validateRankConfig(applyConfigArgs(RANK_COMMAND, values, base));
}
