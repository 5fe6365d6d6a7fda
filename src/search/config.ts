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
 *   the argmax repaired). It is not a target as well: measured as one (docs/experiments.md,
 *   "A search that decides"), the adapted λ rose while the young supernet's E_p[MAdds] was
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
import {
  applyConfigArgs,
  choiceFlag,
  configArgs,
  type ConfigCommand,
  type ConfigFlag,
  configHelp,
  COUNT,
  numberFlag,
  parseCount,
  POSITIVE,
  readConfigArgs,
  switchFlag,
  textFlag,
} from "../util/cli_command.ts";
import { SEARCH_SPACE_CONFIG_BACKBONE } from "../space/backbone.ts";
import {
  DEFAULT_SUPERNET_SETTINGS,
  SUPERNET_FLAGS,
  type SupernetRunSettings,
} from "../supernet/run_settings.ts";

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
 * on the same images (src/search/paired_reinforce.ts), with one alternative drawn ∝ p per
 * layer (`paired`) or every other candidate of every layer (`paired-all`).
 */
export const RL_ESTIMATORS = ["batch", "paired", "paired-all"] as const;
/** One of `RL_ESTIMATORS`. */
export type RlEstimator = typeof RL_ESTIMATORS[number];

/**
 * Which binary gates the gradient search differentiates a step: two paths drawn ∝ p a layer
 * (ProxylessNAS's `two` mode; the others keep their probabilities), or every candidate
 * (its `full_v2` mode, the default of its ImageNet search): each candidate runs forward on
 * the layer's input, the loss back-propagates through the drawn one only, and Eq. 4 takes
 * the full softmax.
 */
export const GATE_PATHS = ["two", "all"] as const;
/** One of `GATE_PATHS`. */
export type GatePaths = typeof GATE_PATHS[number];

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
  // `pathSampling` (in `SupernetRunSettings`): SPOS and random search have no p: uniform
  // (under the cap), fair or balanced (every candidate, the cap notwithstanding: fairness
  // is per candidate, not per network).
  /** Eq. 6's λ per million MAdds; null = not given. */
  readonly lambda: number | null;
  /** MAdds the gradient and RL searches aim at (λ adapted); null = none. */
  readonly maddsTarget: number | null;
  /** Hard cap on the derived network's MAdds; null = none. */
  readonly maddsMax: number | null;
  /**
   * A floor under the found network's MAdds (null: none): with `--madds-max`, a band that
   * networks compared across spaces at equal MAdds are derived in.
   */
  readonly maddsMin: number | null;
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
  /** The gradient search's gates differentiated a step. */
  readonly gatePaths: GatePaths;
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
  ...DEFAULT_SUPERNET_SETTINGS, // data, subsets, optimisers, path sampling, bookkeeping
  // REINFORCE over every candidate a step: at this budget the search whose choices its own
  // comparisons back (docs/experiments.md, "A search that decides"). The paper's main search,
  // ProxylessNAS's gradient (`proxyless-g`), does not single out a leader here.
  algo: "proxyless-rl",
  quick: false,
  space: "", // required: the point of the command is to search a given space
  backbone: SEARCH_SPACE_CONFIG_BACKBONE,
  warmupEpochs: 1, // ProxylessNAS: 40 warm-up epochs, then 120 search epochs; here 1 + 4
  epochs: 4, // 1,200 weight steps with as many architecture steps at --arch-every 1
  lambda: null,
  maddsTarget: null,
  maddsMax: null,
  maddsMin: null,
  cost: "madds", // the paper's cost; latency needs a measured table
  latencyTarget: null,
  latencyMax: null,
  latencyBatch: 1, // deployment latency of one image; larger batches take longer to time
  lambdaRate: 1, // λ moves by 1 per unit of relative excess: settles within ~50 steps
  archLr: 0.01, // ProxylessNAS: 1e-3 over ~115k architecture steps (120 epochs × 4,800
  // steps / 5). Measured at 1,200 steps: 0.03 peaks p further but its argmax flips more
  // (2 of 7 layers decided, against 4 of 7 at 0.01: docs/experiments.md, "A search that
  // decides")
  archUpdateEvery: 1, // NNI's; ProxylessNAS 5 over ~570k weight steps. At 3 (400
  // architecture steps) 3 of 7 layers held their argmax over the last quarter, at 1 4 of 7
  // (docs/experiments.md, "A search that decides")
  archBatch: 0, // the weight steps' batch
  gatePaths: "two",
  rlSamples: 4, // ProxylessNAS samples 10 paths a step (rl_batch_size); each is a forward,
  // so 4 keeps the RL search within ~1.5× the gradient search's time
  rlBaselineWeight: 0.99, // ProxylessNAS's rl_baseline_decay_weight
  rlEstimator: "paired-all", // measured against its null (docs/experiments.md, "Every
  // candidate, every step"): in the manual space at this budget its last-quarter comparisons
  // backed the leader in 4 of 7 layers, 0 of 7 on random labels; `paired` (one drawn
  // alternative a layer) backed none in any of its runs, at 1/2.9–1/2.7 of the time an epoch
  rlReward: "loss", // continuous, where top-1 on a batch of 64 moves in steps of 1.6%
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
  out: "", // runs/search-<algo>
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

/** The flag builders, for this config. */
const num = numberFlag<SearchConfig>;
const choice = choiceFlag<SearchConfig>;
const toggle = switchFlag<SearchConfig>;
const text = textFlag<SearchConfig>;

/** A flag that takes a count of MAdds ("10M", "300k", 5000000); null (none) by default. */
function maddsFlag(
  key: "maddsMax" | "maddsMin" | "maddsTarget",
  help: string,
): ConfigFlag<SearchConfig> {
  return { key, arg: "C", help, read: (text, flag) => readMAdds(flag, text) };
}

/** The flags of `deno task search`, each declared once; defaults come from the config. */
export const SEARCH_COMMAND: ConfigCommand<SearchConfig> = {
  usage: "deno task search --space SPACE [flags]",
  summary:
    "Searches a network inside a search space (paper §3.3) with ProxylessNAS's gradient (G) or\n" +
    "REINFORCE (RL) search, Single Path One-Shot or random search, under Eq. 6's cost term\n" +
    "(Loss = CE + λ·E[cost], cost = MAdds or latency measured on this adapter) and a hard cap;\n" +
    "writes OUT/network.json (for deno task train --arch), net.config, choices.json, cells/,\n" +
    "history.jsonl, curves and report.md.",
  flags: {
    space: {
      ...text(
        "space",
        "FILE|baseline:NAME",
        "a learned search_space.json (deno task evolve), a search_space.config, or\n" +
          "baseline:compact-28 / baseline:proxyless-224 (k3/5/7 x e3/6 + zero)",
      ),
      defaultText: "required",
    },
    algo: choice("algo", SEARCH_ALGORITHMS, "the search algorithm"),
    quick: toggle("quick", "a smoke run on a tiny subset (seconds to minutes)"),
    backbone: text("backbone", "NAME", "backbone of a search_space.config"),
    "madds-max": maddsFlag("maddsMax", 'hard cap on the found network ("10M", "300k")'),
    "madds-min": maddsFlag(
      "maddsMin",
      "floor under the found network: with --madds-max a band, for comparing\n" +
        "spaces at equal MAdds (the derivation keeps the most probable network inside)",
    ),
    "madds-target": maddsFlag("maddsTarget", "proxyless-g/rl: aim E[MAdds] at C, λ adapted"),
    cost: choice(
      "cost",
      SEARCH_COST_KINDS,
      "what Eq. 6's term and the cap count; latency: the table measured (or read from the\n" +
        "cache) on this adapter",
    ),
    "latency-max": num(
      "latencyMax",
      "MS",
      { above: 0 },
      "--cost latency: hard cap on the predicted latency, ms",
    ),
    "latency-target": num(
      "latencyTarget",
      "MS",
      { above: 0 },
      "--cost latency, proxyless-g/rl: aim E[latency] at MS",
    ),
    "latency-batch": num(
      "latencyBatch",
      "N",
      POSITIVE,
      "--cost latency: batch size the table is timed at",
    ),
    lambda: num(
      "lambda",
      "L",
      { min: 0 },
      "Eq. 6's λ per million MAdds (per ms with --cost latency); with a target, its\n" +
        "start (0.1 when not given)",
    ),
    "lambda-rate": num("lambdaRate", "R", { above: 0 }, "the target λ's step per unit of E/T - 1"),
    ...SUPERNET_FLAGS,
    out: { ...SUPERNET_FLAGS.out, defaultText: "runs/search-<algo>" },
    "arch-batch": num(
      "archBatch",
      "N",
      COUNT,
      "held-out images per architecture step (0: --batch)",
    ),
    warmup: num("warmupEpochs", "E", COUNT, "weight-only epochs first"),
    epochs: num("epochs", "E", POSITIVE, "epochs after the warm-up"),
    "gate-paths": choice(
      "gatePaths",
      GATE_PATHS,
      "proxyless-g: the gate gradients of two paths drawn a layer, or of every candidate\n" +
        "(ProxylessNAS's full_v2: each runs forward, the drawn one backward)",
    ),
    "rl-samples": num(
      "rlSamples",
      "N",
      POSITIVE,
      "paths per REINFORCE step (--rl-estimator batch)",
    ),
    "rl-baseline-weight": num(
      "rlBaselineWeight",
      "W",
      { above: 0, max: 1 },
      "b <- b + W·(mean reward - b)",
    ),
    "rl-estimator": choice(
      "rlEstimator",
      RL_ESTIMATORS,
      "proxyless-rl: --rl-samples paths and a baseline, or one path and a one-layer\n" +
        "variation of it per layer on the same images (paired: one drawn alternative a\n" +
        "layer; paired-all: every other candidate of every layer)",
    ),
    "rl-reward": choice("rlReward", RL_REWARDS, "proxyless-rl: held-out top-1 or -cross-entropy"),
    population: num("population", "N", POSITIVE, "SPOS: population"),
    "top-k": num("topK", "N", POSITIVE, "SPOS: parents kept"),
    generations: num("generations", "N", COUNT, "SPOS: generations"),
    mutations: num("mutations", "N", COUNT, "SPOS: children by mutation per generation"),
    "mutation-prob": num(
      "mutationProb",
      "P",
      { min: 0, max: 1 },
      "SPOS: probability that a mutation changes a layer",
    ),
    crossovers: num("crossovers", "N", COUNT, "SPOS: children by crossover per generation"),
    "random-samples": num("randomSamples", "N", POSITIVE, "paths random search scores"),
    derive: choice(
      "derive",
      DERIVATIONS,
      "proxyless-g/rl: the argmax of α per layer, or the best on held-out top-1 of the\n" +
        "--derive-paths most probable networks under the cap",
    ),
    "derive-paths": num("derivePaths", "M", POSITIVE, "--derive scored: paths scored"),
    "bn-batches": num(
      "bnBatches",
      "N",
      POSITIVE,
      "training batches re-estimating BN before a score",
    ),
    "score-images": num("scoreImages", "N", POSITIVE, "held-out images a path is scored on"),
    "random-labels": toggle(
      "randomLabels",
      "replace every training label by a random class: the search's null model (what it\n" +
        "then chooses is bias, not information)",
    ),
  } satisfies Record<string, ConfigFlag<SearchConfig>>,
};

/** `deno task search --help`. */
export const SEARCH_USAGE = configHelp(SEARCH_COMMAND, DEFAULT_SEARCH_CONFIG, [
  ["spos/random", { ...DEFAULT_SEARCH_CONFIG, ...SINGLE_PATH_DEFAULTS }],
  ["--quick", { ...DEFAULT_SEARCH_CONFIG, ...QUICK_PRESET }],
]);

/** A count of MAdds ("10M", "300k", 5000000); one line naming `--flag` when it is not one. */
export function readMAdds(flag: string, text: string): number {
  const count = parseCount(text);
  if (count === null) {
    throw new Error(
      `--${flag} must be a count of MAdds such as "10M", "300k" or 5000000, got "${text}"`,
    );
  }
  return count;
}

/**
 * The config a search starts from before its flags: the defaults, the algorithm's own
 * (SPOS and random search: no warm-up) and `--quick`'s.
 */
export function searchDefaults(algo: SearchAlgorithm, quick: boolean): SearchConfig {
  const singlePath = algo === "spos" || algo === "random";
  return {
    ...DEFAULT_SEARCH_CONFIG,
    algo,
    ...(singlePath ? SINGLE_PATH_DEFAULTS : {}),
    ...(quick ? QUICK_PRESET : {}),
  };
}

/** The `deno task search` flags of a config, as a user would type them (logs, records). */
export function searchArgsOf(config: SearchConfig): string[] {
  // --algo and --quick are written as given; every other flag against their defaults.
  const { algo, quick } = DEFAULT_SEARCH_CONFIG;
  const base = { ...searchDefaults(config.algo, config.quick), algo, quick };
  return configArgs(SEARCH_COMMAND, config, base);
}

/**
 * Reads `deno task search` flags into a config (see `SEARCH_USAGE`); `set` holds the
 * settings a caller fixes itself (autospace: the data, the space, the cap, the folder,
 * `--quick`), typed, over the flags. Throws an Error with one line naming the bad flag
 * or combination; nothing is read from disk here.
 */
export function parseSearchArgs(
  args: readonly string[],
  set: Partial<Pick<SearchConfig, "quick" | "data" | "space" | "maddsMax" | "out">> = {},
): SearchConfig {
  const values: Record<string, string | boolean | undefined> = readConfigArgs(SEARCH_COMMAND, args);
  if (set.quick) values.quick = true;
  const algo = values.algo === undefined
    ? DEFAULT_SEARCH_CONFIG.algo
    : SEARCH_COMMAND.flags.algo.read!(values.algo as string, "algo") as SearchAlgorithm;
  const singlePath = algo === "spos" || algo === "random";
  if (values.derive !== undefined && singlePath) {
    throw new Error(
      `--derive reads the architecture weights of proxyless-g or proxyless-rl; ${algo} ` +
        `already scores its paths on held-out accuracy`,
    );
  }
  for (const flag of ["rl-estimator", "rl-reward"]) {
    if (values[flag] !== undefined && algo !== "proxyless-rl") {
      throw new Error(`--${flag} sets the proxyless-rl search; --algo is ${algo}`);
    }
  }
  if (values["gate-paths"] !== undefined && algo !== "proxyless-g") {
    throw new Error(`--gate-paths sets the proxyless-g search; --algo is ${algo}`);
  }
  const config = {
    ...applyConfigArgs(SEARCH_COMMAND, values, searchDefaults(algo, !!values.quick)),
    ...set,
  };
  if (config.space.trim() === "") {
    throw new Error(
      "--space is required: a learned search_space.json (deno task evolve), a " +
        "search_space.config, or baseline:compact-28 / baseline:proxyless-224",
    );
  }
  return validateSearchConfig({ ...config, out: config.out || `runs/search-${algo}` });
}

/** Cross-field checks; returns the config or throws one line naming the conflict. */
export function validateSearchConfig(config: SearchConfig): SearchConfig {
  const latency = config.cost === "latency";
  // One cost at a time: a MAdds budget under --cost latency (or the reverse) would be
  // silently ignored by Eq. 6's term, so it is refused.
  const other = latency
    ? [
      ["--madds-max", config.maddsMax],
      ["--madds-min", config.maddsMin],
      ["--madds-target", config.maddsTarget],
    ]
    : [["--latency-max", config.latencyMax], ["--latency-target", config.latencyTarget]];
  for (const [flag, value] of other) {
    if (value === null) continue;
    throw new Error(
      latency
        ? flag === "--madds-min"
          ? "--madds-min bounds MAdds and has no latency form; leave it out with --cost latency"
          : `${flag} budgets MAdds, but --cost latency budgets milliseconds; use ` +
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
  if (config.maddsMin !== null && config.maddsMax !== null && config.maddsMin > config.maddsMax) {
    throw new Error(
      `--madds-min ${config.maddsMin} is above --madds-max ${config.maddsMax}; the floor must ` +
        "lie at or below the cap",
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
