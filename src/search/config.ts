/**
 * Hyper-parameters of `deno task search` (paper §3.3: ProxylessNAS G and RL, SPOS and
 * random search inside a learned or manual space, with Eq. 6's cost term) and the
 * flags that set them.
 *
 * The default run is sized for this project's 2-core CPU adapter, on the learned space
 * of the default evolve run (compact-28 backbone, 7 searchable layers of 4 cells plus a
 * skip where allowed): Fashion-MNIST, 19,200 training images, batch 64, so 300 weight
 * steps an epoch and 5 epochs = 1,500 weight steps for every algorithm — the supernet
 * training budget is the same for all four, so their results compare.
 *
 * The cost term (Eq. 6, Loss = CE + λ·Cost(N), Cost(N) = E_p[MAdds]):
 * - `--lambda L` alone: Eq. 6 as written, λ in loss units per million MAdds.
 * - `--madds-target T`: ProxylessNAS's additive form CE + λ·(E − T)/T with λ adapted
 *   during the search by dual ascent (src/search/cost_penalty.ts `TargetLambda`),
 *   starting from `--lambda` (default 0.1). We chose this over ProxylessNAS's fixed
 *   target-ratio forms because those penalise cost monotonically — the target only
 *   sets the scale, and where the network lands still hangs on a hand-tuned λ per
 *   space — and over a bisection on λ, which needs a full search per trial.
 * - `--madds-max C` is a hard cap on the derived network, and no more: α learns from the
 *   cross-entropy alone and the derivation keeps under the cap (the scored shortlist, or
 *   the argmax repaired). It used to be the target too; measured (docs/experiments.md, "A
 *   search that decides"), the adapted λ rose while the young supernet's E_p[MAdds] was
 *   above the cap, pushed every layer to its cheapest candidates within the first
 *   architecture steps, and fell to 0 with p left there: the cap's network was chosen by
 *   the cost term's first minutes, not by accuracy.
 * - SPOS and random search take the cost only as the cap (their candidates are scored
 *   on held-out accuracy) plus, with `--lambda`, Eq. 6's term in the score.
 *
 * With `--cost latency` the same three flags exist per millisecond (`--latency-max`,
 * `--latency-target`, λ per ms), on the table of src/latency/ timed at `--latency-batch`
 * (1 by default: the latency of one image, what a deployed classifier answers in).
 *
 * Precedence: defaults, then the algorithm's defaults, then `--quick`, then flags.
 */
import { parseDataSpec } from "../data/data_spec.ts";
import { type NumberRule, oneOf, parseCount, parseFlags, readNumber } from "../util/flag_rules.ts";
import {
  CHECKPOINT_EVERY_USAGE,
  SUPERNET_NUMBER_FLAGS,
  type SupernetRunSettings,
} from "../supernet/run_settings.ts";
import { parseCheckpointEvery } from "../util/checkpoint_every.ts";
import { parsePathSampling, type PathSampling } from "../supernet/path_sampling.ts";

/** The four searches of §3.3. */
export const SEARCH_ALGORITHMS = ["proxyless-g", "proxyless-rl", "spos", "random"] as const;
/** One of `SEARCH_ALGORITHMS`. */
export type SearchAlgorithm = typeof SEARCH_ALGORITHMS[number];

/**
 * How a search that learns α (G, RL) turns it into a network: the argmax per layer
 * (repaired under the cap), or the best on held-out top-1 of the most probable paths under
 * the cap (src/search/derive_scored.ts).
 */
export const DERIVATIONS = ["argmax", "scored"] as const;
/** One of `DERIVATIONS`. */
export type DeriveMode = typeof DERIVATIONS[number];

/**
 * How the REINFORCE search estimates ∇E_p[R]: ProxylessNAS's batch of sampled paths with a
 * moving-average baseline, or one context path and a single-layer variation of it per layer
 * on the same images (src/search/paired_reinforce.ts).
 */
export const RL_ESTIMATORS = ["batch", "paired"] as const;
/** One of `RL_ESTIMATORS`. */
export type RlEstimator = typeof RL_ESTIMATORS[number];

/** The REINFORCE reward before the cost term: held-out top-1 (ProxylessNAS) or −cross-entropy. */
export const RL_REWARDS = ["accuracy", "loss"] as const;
/** One of `RL_REWARDS`. */
export type RlReward = typeof RL_REWARDS[number];

/** What Eq. 6's term and the cap count: MAdds, or latency measured on this adapter. */
export const SEARCH_COST_KINDS = ["madds", "latency"] as const;
/** One of `SEARCH_COST_KINDS`. */
export type SearchCostKind = typeof SEARCH_COST_KINDS[number];

/**
 * Every setting of a search run (data, optimisers and bookkeeping in
 * `SupernetRunSettings`; the held-out split also scores SPOS's and random paths).
 */
export interface SearchConfig extends SupernetRunSettings {
  readonly algo: SearchAlgorithm;
  /** Whether `--quick` (a smoke run of seconds to minutes) was applied. */
  readonly quick: boolean;
  /** A learned search_space.json, a search_space.config, or baseline:<backbone>. */
  readonly space: string;
  /** Backbone that a `search_space.config` (which records no channels) is laid on. */
  readonly backbone: string;
  /** Weight-only epochs first (ProxylessNAS's warm-up); SPOS and random: none. */
  readonly warmupEpochs: number;
  /** Epochs after the warm-up (with architecture steps for the ProxylessNAS searches). */
  readonly epochs: number;
  /**
   * The path each weight step trains (src/supernet/path_sampling.ts): ∝ p, uniform, fair
   * or balanced. SPOS and random search have no p: uniform (under the cap), fair or
   * balanced (every candidate, the cap notwithstanding: fairness is per candidate, not
   * per network).
   */
  readonly pathSampling: PathSampling;
  /** Eq. 6's λ per million MAdds; null = not given. */
  readonly lambda: number | null;
  /** MAdds the gradient and RL searches aim at (λ adapted); null = none. */
  readonly maddsTarget: number | null;
  /** Hard cap on the derived network's MAdds; null = none. */
  readonly maddsMax: number | null;
  /** `--cost`: MAdds, or the latency table of this adapter (src/latency/). */
  readonly cost: SearchCostKind;
  /** Milliseconds the gradient and RL searches aim the predicted latency at; null = none. */
  readonly latencyTarget: number | null;
  /** Hard cap on the derived network's predicted latency, milliseconds; null = none. */
  readonly latencyMax: number | null;
  /** Batch size the latency table is measured at. */
  readonly latencyBatch: number;
  /** η of the target λ's dual ascent: change of λ per unit of E/T − 1 per step. */
  readonly lambdaRate: number;
  /**
   * Held-out images per architecture step (G's gate gradients, RL's rewards); 0 = `--batch`.
   * α's signal against its noise grows with the images an architecture decision sees,
   * so this and the count of architecture steps are two prices for the same thing.
   */
  readonly archBatch: number;
  /** Paths sampled per REINFORCE step. */
  readonly rlSamples: number;
  /** w of the REINFORCE baseline b ← b + w·(R̄ − b) (`batch` estimator). */
  readonly rlBaselineWeight: number;
  /** How the REINFORCE search estimates its gradient. */
  readonly rlEstimator: RlEstimator;
  /** What the REINFORCE search rewards before the cost term. */
  readonly rlReward: RlReward;
  /** SPOS's evolution. */
  readonly population: number;
  readonly topK: number;
  readonly generations: number;
  readonly mutations: number;
  readonly mutationProb: number;
  readonly crossovers: number;
  /** Paths random search scores. */
  readonly randomSamples: number;
  /** G and RL: how the found network is read from α (SPOS and random search: unused). */
  readonly derive: DeriveMode;
  /** `--derive scored`: how many of the most probable paths are scored. */
  readonly derivePaths: number;
  /** Training batches over which BN statistics are re-estimated before a path is scored. */
  readonly bnBatches: number;
  /** Held-out images each path is scored on (and the derived network evaluated on). */
  readonly scoreImages: number;
  /**
   * Random labels for every training image (both splits): the search's null model, whose
   * choices carry no information about the data (src/data/random_labels.ts).
   */
  readonly randomLabels: boolean;
}

/** The CPU default (see the module comment). */
export const DEFAULT_SEARCH_CONFIG: SearchConfig = {
  algo: "proxyless-g", // the paper's main search algorithm (§4, Tables 3 and 4)
  quick: false,
  space: "", // required: the point of the command is to search a given space
  backbone: "proxyless-224", // the backbone of the released search_space.config
  data: "fashion-mnist", // the project's CPU dataset, as in evolve
  trainImages: 19_200, // as evolve: 300 steps an epoch at batch 64
  valSplit: 0.1, // 6,000 held-out images: ProxylessNAS also holds out part of train
  valImages: 0, // all of them for the architecture steps
  batchSize: 64, // as evolve
  warmupEpochs: 1, // ProxylessNAS: 40 warm-up epochs, then 120 search epochs; here 1 + 4
  epochs: 4, // 1,200 weight steps with as many architecture steps at --arch-every 1
  pathSampling: "uniform", // measured: the supernet ranks networks well this way
  // (docs/fidelity.md: Kendall τ 0.48 against stand-alone accuracy, ∝ p 0.38, fair −0.30;
  // balanced 0.61 inside the same interval);
  // ProxylessNAS's own ∝ p is --path-sampling proportional
  lambda: null,
  maddsTarget: null,
  maddsMax: null,
  cost: "madds", // the paper's cost; latency needs a measured table
  latencyTarget: null,
  latencyMax: null,
  latencyBatch: 1, // deployment latency of one image; larger batches take longer to time
  lambdaRate: 1, // λ moves by 1 per unit of relative excess: settles within ~50 steps
  weightLr: 0.05, // as evolve (SGD Nesterov, cosine); ProxylessNAS 0.025 at batch 256
  momentum: 0.9, // ProxylessNAS
  weightDecay: 4e-5, // ProxylessNAS
  labelSmoothing: 0.1, // ProxylessNAS
  archLr: 0.01, // ProxylessNAS: 1e-3 over ~115k architecture steps (120 epochs × 4,800
  // steps / 5). Measured at 1,200 steps: 0.03 peaks p further but its argmax flips more
  // (2 of 7 layers decided, against 4 of 7 at 0.01: docs/experiments.md, "A search that
  // decides")
  archBeta1: 0, // ProxylessNAS
  archBeta2: 0.999, // ProxylessNAS
  archEps: 1e-8, // ProxylessNAS
  archUpdateEvery: 1, // NNI's; ProxylessNAS 5 over ~570k weight steps. At 3 (400
  // architecture steps) 3 of 7 layers held their argmax over the last quarter, at 1 4 of 7
  // (docs/experiments.md, "A search that decides")
  archBatch: 0, // the weight steps' batch
  rlSamples: 4, // ProxylessNAS samples 10 paths a step (rl_batch_size); each is a forward,
  // so 4 keeps the RL search within ~1.5× the gradient search's time
  rlBaselineWeight: 0.99, // ProxylessNAS's rl_baseline_decay_weight
  rlEstimator: "batch", // ProxylessNAS's
  rlReward: "accuracy", // ProxylessNAS's
  population: 16, // SPOS: 50 / 10 / 20 generations / 25+25; a third of the population and
  topK: 4, // a quarter of the generations keep its proportions at 96 scores
  generations: 5,
  mutations: 8,
  mutationProb: 0.1, // SPOS
  crossovers: 8,
  randomSamples: 96, // the same number of scored paths as SPOS's default evolution
  derive: "scored", // the supernet's held-out top-1 ranks networks better than α does
  // (docs/fidelity.md: τ 0.48–0.61 against 0.07–0.28), measured on other networks and
  // seeds than the searches it is then compared in
  derivePaths: 16, // about a minute of scoring at the default --score-images
  bnBatches: 8, // 512 images re-estimate BN well at these widths (SPOS uses more on ImageNet)
  scoreImages: 1_024, // 16 held-out batches per candidate: ±1.5% top-1 resolution
  randomLabels: false,
  seed: 0,
  out: "", // runs/search-<algo>
  resume: false,
  logEvery: 20, // each readback costs ≥ 11 ms
  stopAfter: 0,
};

/** SPOS and random search: uniform single-path training from the first step. */
const SINGLE_PATH_DEFAULTS: Partial<SearchConfig> = {
  warmupEpochs: 0,
  epochs: 5, // the same 1,500 weight steps as the ProxylessNAS searches
};

/** `--quick`: a smoke run on a tiny subset. */
const QUICK_PRESET: Partial<SearchConfig> = {
  quick: true,
  trainImages: 256, // 8 steps an epoch at batch 32
  valImages: 128,
  batchSize: 32,
  epochs: 1,
  archUpdateEvery: 2,
  rlSamples: 2,
  population: 4,
  topK: 2,
  generations: 1,
  mutations: 1,
  crossovers: 1,
  randomSamples: 8,
  derivePaths: 4,
  bnBatches: 2,
  scoreImages: 64,
  logEvery: 4,
};

/** The flags of `parseSearchArgs` with their defaults, for `--help`. */
export const SEARCH_USAGE = (() => {
  const d = DEFAULT_SEARCH_CONFIG;
  const s = { ...d, ...SINGLE_PATH_DEFAULTS };
  return `usage: deno task search --space SPACE [flags]

Searches a network inside a search space (paper §3.3) with ProxylessNAS's gradient (G) or
REINFORCE (RL) search, Single Path One-Shot or random search, under Eq. 6's cost term
(Loss = CE + λ·E[cost], cost = MAdds or latency measured on this adapter) and a hard cap; writes OUT/network.json (for deno task
train --arch), net.config, choices.json, cells/, history.jsonl, curves and report.md.

flags (default in brackets):
  --space FILE|baseline:NAME  a learned search_space.json (deno task evolve), a
                             search_space.config, or baseline:compact-28 /
                             baseline:proxyless-224 (k3/5/7 x e3/6 + zero) [required]
  --algo ${SEARCH_ALGORITHMS.join("|")}  [${d.algo}]
  --backbone NAME            backbone of a search_space.config [${d.backbone}]
  --madds-max C              hard cap on the found network ("10M", "300k") [none]
  --madds-target T           proxyless-g/rl: aim E[MAdds] at T, λ adapted [none]
  --cost madds|latency       what Eq. 6's term and the cap count; latency: the table
                             measured (or read from the cache) on this adapter [${d.cost}]
  --latency-max MS           --cost latency: hard cap on the predicted latency, ms [none]
  --latency-target MS        --cost latency, proxyless-g/rl: aim E[latency] at MS [--latency-max]
  --latency-batch N          --cost latency: batch size the table is timed at [${d.latencyBatch}]
  --lambda L                 Eq. 6's λ per million MAdds (per ms with --cost latency);
                             with a target, its start [none; 0.1]
  --lambda-rate R            the target λ's step per unit of E/T - 1 [${d.lambdaRate}]
  --data fashion-mnist[:DIR]|cifar10:DIR|imagenet:DIR  [${d.data}]
  --train-images N           training images per epoch, 0 = all [${d.trainImages}]
  --val-split F              held-out fraction (architecture steps, scores) [${d.valSplit}]
  --val-images N             held-out images used, 0 = all [${d.valImages}]
  --batch N [${d.batchSize}]  --seed N [${d.seed}]
  --warmup E                 weight-only epochs first [${d.warmupEpochs}; spos/random ${s.warmupEpochs}]
  --epochs E                 epochs after the warm-up [${d.epochs}; spos/random ${s.epochs}]
  --lr [${d.weightLr}]  --momentum [${d.momentum}]  --wd [${d.weightDecay}]  --label-smoothing [${d.labelSmoothing}]
  --arch-lr [${d.archLr}]  --arch-beta1 [${d.archBeta1}]  --arch-beta2 [${d.archBeta2}]  --arch-eps [${d.archEps}]
  --arch-every N             weight steps per architecture step [${d.archUpdateEvery}]
  --arch-batch N             held-out images per architecture step, 0 = --batch [${d.archBatch}]
  --path-sampling MODE       the path a weight step trains: proportional (∝ p), uniform,
                             fair (each candidate once per group of steps, one update), or
                             balanced (fair's order, an update every step) [${d.pathSampling}]
  --rl-samples N             paths per REINFORCE step [${d.rlSamples}]
  --rl-baseline-weight W     b <- b + W·(mean reward - b) [${d.rlBaselineWeight}]
  --rl-estimator batch|paired  proxyless-rl: --rl-samples paths and a baseline, or one
                             path and a one-layer variation of it per layer on the same
                             images [${d.rlEstimator}]
  --rl-reward accuracy|loss  proxyless-rl: held-out top-1 or -cross-entropy [${d.rlReward}]
  --population N [${d.population}]  --top-k N [${d.topK}]  --generations N [${d.generations}]  (SPOS)
  --mutations N [${d.mutations}]  --mutation-prob P [${d.mutationProb}]  --crossovers N [${d.crossovers}]
  --random-samples N         paths random search scores [${d.randomSamples}]
  --derive argmax|scored     proxyless-g/rl: the argmax of α per layer, or the best on
                             held-out top-1 of the --derive-paths most probable networks
                             under the cap [${d.derive}]
  --derive-paths M           --derive scored: paths scored [${d.derivePaths}]
  --bn-batches N             training batches re-estimating BN before a score [${d.bnBatches}]
  --score-images N           held-out images a path is scored on [${d.scoreImages}]
  --out DIR [runs/search-<algo>]  --resume  --log-every N [${d.logEvery}]
  --random-labels            replace every training label by a random class: the search's
                             null model (what it then chooses is bias, not information)
  --quick                    a smoke run on a tiny subset (seconds to minutes)
  --stop-after N             stop after N weight steps as if interrupted [${d.stopAfter}: off]
${CHECKPOINT_EVERY_USAGE}
  -h, --help                 print this text and exit`;
})();

const NUMBER_FLAGS: Readonly<Record<string, NumberRule<keyof SearchConfig>>> = {
  ...SUPERNET_NUMBER_FLAGS,
  warmup: { key: "warmupEpochs", integer: true, min: 0 },
  epochs: { key: "epochs", integer: true, min: 1 },
  lambda: { key: "lambda", min: 0 },
  "latency-max": { key: "latencyMax", above: 0 },
  "latency-target": { key: "latencyTarget", above: 0 },
  "latency-batch": { key: "latencyBatch", integer: true, min: 1 },
  "lambda-rate": { key: "lambdaRate", above: 0 },
  "arch-batch": { key: "archBatch", integer: true, min: 0 },
  "rl-samples": { key: "rlSamples", integer: true, min: 1 },
  "rl-baseline-weight": { key: "rlBaselineWeight", above: 0, max: 1 },
  population: { key: "population", integer: true, min: 1 },
  "top-k": { key: "topK", integer: true, min: 1 },
  generations: { key: "generations", integer: true, min: 0 },
  mutations: { key: "mutations", integer: true, min: 0 },
  "mutation-prob": { key: "mutationProb", min: 0, max: 1 },
  crossovers: { key: "crossovers", integer: true, min: 0 },
  "random-samples": { key: "randomSamples", integer: true, min: 1 },
  "derive-paths": { key: "derivePaths", integer: true, min: 1 },
  "bn-batches": { key: "bnBatches", integer: true, min: 1 },
  "score-images": { key: "scoreImages", integer: true, min: 1 },
};

/** The flags of `deno task search`: those that take a value, and switches. */
export const SEARCH_FLAGS = {
  values: [
    ...Object.keys(NUMBER_FLAGS),
    "algo",
    "space",
    "backbone",
    "data",
    "madds-max",
    "madds-target",
    "cost",
    "out",
    "path-sampling",
    "derive",
    "rl-estimator",
    "rl-reward",
    "checkpoint-every",
  ],
  switches: ["quick", "resume", "random-labels"],
} as const;

function readMAdds(flag: string, text: string): number {
  const count = parseCount(text);
  if (count === null) {
    throw new Error(
      `--${flag} must be a count of MAdds such as "10M", "300k" or 5000000, got "${text}"`,
    );
  }
  return count;
}

/**
 * Reads `deno task search` flags into a config (see `SEARCH_USAGE`). Throws an Error
 * with one line naming the bad flag or combination; nothing is read from disk here.
 */
export function parseSearchArgs(args: readonly string[]): SearchConfig {
  const values = parseFlags(args, SEARCH_FLAGS.values, SEARCH_FLAGS.switches);
  const str = (flag: string) => values[flag] as string | undefined;

  const algo = oneOf("algo", str("algo") ?? DEFAULT_SEARCH_CONFIG.algo, SEARCH_ALGORITHMS);
  const config: Record<string, unknown> = { ...DEFAULT_SEARCH_CONFIG, algo };
  if (algo === "spos" || algo === "random") Object.assign(config, SINGLE_PATH_DEFAULTS);
  if (values.quick) Object.assign(config, QUICK_PRESET);
  for (const [flag, rule] of Object.entries(NUMBER_FLAGS)) {
    const text = str(flag);
    if (text !== undefined) config[rule.key] = readNumber(flag, text, rule);
  }
  config.cost = oneOf("cost", str("cost") ?? DEFAULT_SEARCH_CONFIG.cost, SEARCH_COST_KINDS);
  if (str("derive") !== undefined) {
    if (algo === "spos" || algo === "random") {
      throw new Error(
        `--derive reads the architecture weights of proxyless-g or proxyless-rl; ${algo} ` +
          `already scores its paths on held-out accuracy`,
      );
    }
    config.derive = oneOf("derive", str("derive")!, DERIVATIONS);
  }
  for (
    const [flag, key, allowed] of [
      ["rl-estimator", "rlEstimator", RL_ESTIMATORS],
      ["rl-reward", "rlReward", RL_REWARDS],
    ] as const
  ) {
    if (str(flag) === undefined) continue;
    if (algo !== "proxyless-rl") {
      throw new Error(`--${flag} sets the proxyless-rl search; --algo is ${algo}`);
    }
    config[key] = oneOf(flag, str(flag)!, allowed);
  }
  if (str("path-sampling") !== undefined) {
    config.pathSampling = parsePathSampling(str("path-sampling")!);
  }
  const space = str("space");
  if (space === undefined || space.trim() === "") {
    throw new Error(
      "--space is required: a learned search_space.json (deno task evolve), a " +
        "search_space.config, or baseline:compact-28 / baseline:proxyless-224",
    );
  }
  config.space = space;
  if (str("backbone") !== undefined) config.backbone = str("backbone");
  if (str("data") !== undefined) config.data = str("data");
  parseDataSpec(config.data as string); // throws one line on a bad --data
  if (str("madds-max") !== undefined) config.maddsMax = readMAdds("madds-max", str("madds-max")!);
  if (str("madds-target") !== undefined) {
    config.maddsTarget = readMAdds("madds-target", str("madds-target")!);
  }
  const out = str("out");
  if (out !== undefined && out.trim() === "") {
    throw new Error("--out must name a folder, got an empty value");
  }
  config.out = out ?? `runs/search-${algo}`;
  if (values.resume) config.resume = true;
  if (values["random-labels"]) config.randomLabels = true;
  const every = str("checkpoint-every");
  if (every !== undefined) config.checkpointEvery = parseCheckpointEvery(every);
  return validateSearchConfig(config as unknown as SearchConfig);
}

/** Cross-field checks; returns the config or throws one line naming the conflict. */
export function validateSearchConfig(config: SearchConfig): SearchConfig {
  const latency = config.cost === "latency";
  // One cost at a time: a MAdds budget under --cost latency (or the reverse) would be
  // silently ignored by Eq. 6's term, so it is refused.
  const other = latency
    ? [["--madds-max", config.maddsMax], ["--madds-target", config.maddsTarget]]
    : [["--latency-max", config.latencyMax], ["--latency-target", config.latencyTarget]];
  for (const [flag, value] of other) {
    if (value === null) continue;
    throw new Error(
      latency
        ? `${flag} budgets MAdds, but --cost latency budgets milliseconds; use ` +
          `${flag === "--madds-max" ? "--latency-max" : "--latency-target"} MS instead`
        : `${flag} needs --cost latency (the default cost is MAdds: use ` +
          `${flag === "--latency-max" ? "--madds-max" : "--madds-target"} there)`,
    );
  }
  const unit = latency ? "latency" : "madds";
  const { target, max } = costBudget(config);
  const singlePath = config.algo === "spos" || config.algo === "random";
  if (singlePath && target !== null) {
    throw new Error(
      `--${unit}-target steers the proxyless-g and proxyless-rl searches; ${config.algo} ` +
        `scores paths on held-out accuracy under --${unit}-max (use that instead)`,
    );
  }
  if (target !== null && max !== null && target > max) {
    throw new Error(
      `--${unit}-target ${target} is above --${unit}-max ${max}; aim at or below the cap`,
    );
  }
  if (singlePath && config.pathSampling === "proportional") {
    throw new Error(
      `--path-sampling proportional needs the architecture weights of proxyless-g or ` +
        `proxyless-rl; ${config.algo} trains uniform, fair or balanced paths`,
    );
  }
  if (config.algo === "spos" && config.mutations + config.crossovers > config.population) {
    throw new Error(
      `--mutations + --crossovers (${config.mutations} + ${config.crossovers}) must not exceed ` +
        `--population ${config.population}`,
    );
  }
  return config;
}

/**
 * How Eq. 6's cost term is set for the gradient and RL searches: none, a fixed λ per
 * million MAdds, or a target with an adapted λ (see the module comment).
 */
export type CostTerm =
  | { readonly kind: "none" }
  /** λ per million MAdds (per `SearchCost.lambdaUnit` of cost). */
  | { readonly kind: "fixed"; readonly lambda: number }
  | { readonly kind: "target"; readonly target: number; readonly initialLambda: number };

/** The target and cap of the config's cost (`--cost`), in its units (MAdds or ms). */
export function costBudget(
  config: Pick<
    SearchConfig,
    "cost" | "maddsTarget" | "maddsMax" | "latencyTarget" | "latencyMax"
  >,
): { target: number | null; max: number | null } {
  return config.cost === "latency"
    ? { target: config.latencyTarget, max: config.latencyMax }
    : { target: config.maddsTarget, max: config.maddsMax };
}

/** The cost term a config asks for (in the units of its `--cost`). */
export function costTermOf(config: SearchConfig): CostTerm {
  const target = costBudget(config).target;
  if (target !== null) {
    return { kind: "target", target, initialLambda: config.lambda ?? 0.1 };
  }
  if (config.lambda !== null && config.lambda > 0) {
    return { kind: "fixed", lambda: config.lambda };
  }
  return { kind: "none" };
}

/** The config as plain JSON (run metadata, resume checks). */
export function searchConfigToJson(config: SearchConfig): Record<string, unknown> {
  return { ...config };
}
