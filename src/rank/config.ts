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

import type { PathSampling } from "../supernet/path_sampling.ts";

/** Every setting of a rank run. */
export interface RankConfig {
  /** Whether `--quick` (a seconds-long smoke run) was applied. */
  readonly quick: boolean;
  /** `--data` (see src/data/data_spec.ts); 28×28 Fashion-MNIST by default. */
  readonly data: string;
  /** Inverted residual blocks per stage of the three networks (depth_family.ts). */
  readonly depths: readonly number[];
  /** Fraction of the training set held out for the fitness (α) steps. */
  readonly valSplit: number;
  /** Training images (a seeded subset, the same every epoch); 0 = all. */
  readonly trainImages: number;
  /** Held-out images the fitness steps draw from; 0 = all of the split. */
  readonly valImages: number;
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
  /** Weight recipe, shared by the standalone trainings and the supernet. */
  readonly lr: number;
  readonly lrWarmupEpochs: number;
  readonly momentum: number;
  readonly weightDecay: number;
  readonly labelSmoothing: number;
  /** Adam on α (β1 = 0, as ProxylessNAS and the evolution). */
  readonly archLr: number;
  readonly archBeta2: number;
  readonly archEps: number;
  /** Weight steps per fitness step. */
  readonly archEvery: number;
  /** Table 6 rows (1-based) to start from. */
  readonly rows: readonly number[];
  /** Factors on Table 6's printed numbers (in units of 10⁻³): every row runs at each. */
  readonly alphaScales: readonly number[];
  readonly pathSampling: PathSampling;
  readonly seed: number;
  readonly out: string;
  /** Skip the stages whose output exists and continue interrupted trainings. */
  readonly resume: boolean;
  /** Weight steps between metric readbacks. */
  readonly logEvery: number;
}

/** The CPU default. */
export const DEFAULT_RANK_CONFIG: RankConfig = {
  quick: false,
  data: "fashion-mnist",
  depths: [1, 2, 4], // 3, 6 and 12 blocks: 1.1M, 2.2M, 4.5M MAdds; gaps of ~1.4 points
  // (depth_family.ts), where depth 3 would sit within the seed spread of depth 2
  valSplit: 0.1, // 6,000 held-out images: α is trained on data the weights never see
  trainImages: 10_000, // a sixth of the training set: 156 steps an epoch at batch 64
  valImages: 0, // all 6,000; a fitness run uses ~2,000 α steps' worth of them at most
  testImages: 0, // the whole 10,000-image test set: the ranking is what is measured
  pathEvalImages: 2_000, // enough to see a few-point gap between the networks, cheap
  batchSize: 64, // the step size the budget was measured at
  trueEpochs: 3, // 30,000 images per standalone network
  trueSeeds: 2, // the seed spread next to every gap
  epochs: 8, // Table 6's largest "Epochs" is 6; 8 leaves room to see the order hold
  fitnessImages: 5_000, // 40,000 weight steps' images a run: ~13,000 a network at uniform p
  warmupEpochs: 1, // ProxylessNAS and the evolution warm the weights up before α moves
  lr: 0.1, // `deno task train`'s peak LR (SGD, Nesterov, cosine); the depths were chosen at it
  lrWarmupEpochs: 0.3, // `deno task train`'s warmup
  momentum: 0.9,
  weightDecay: 5e-5, // `deno task train`'s
  labelSmoothing: 0.1, // `deno task train`'s and ProxylessNAS's
  archLr: 0.03, // the evolution's: Adam moves α by ≲ lr a step, ~0.9 an epoch here
  archBeta2: 0.999, // ProxylessNAS
  archEps: 1e-8, // ProxylessNAS
  archEvery: 3, // the evolution's; ProxylessNAS uses 5
  rows: [1, 2, 3, 4, 5], // all of Table 6; row 3 is the reverse of the true order
  alphaScales: [1], // the printed numbers as α: p starts up to 90% on one network, so the
  // start matters (at the paper's 0.001, p is uniform to 0.4%: add it with --resume)
  pathSampling: "proportional", // ProxylessNAS's binary gates sample the path ∝ p
  seed: 0,
  out: "runs/rank",
  resume: false,
  logEvery: 20, // each readback costs ≥ 11 ms
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
  archEvery: 2,
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
