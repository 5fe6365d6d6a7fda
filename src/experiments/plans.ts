/**
 * The experiments of issue 13 as data: each plan is a list of runs, and a run is one
 * `deno task search` followed by one `deno task train` of the network it found, given
 * as the two commands' own flags (so every run can be repeated by hand, and each stage's
 * parser checks them). `deno task experiment PLAN` executes a plan; `summary.ts` turns
 * the finished runs into tables.
 *
 * Budgets were chosen for a 2-core machine without a GPU (see the README's "Does the
 * learned space help?"): a search costs 2–4 minutes, a training of the found network
 * 4–8; the comparison's 8 runs fit in about an hour and a half.
 */

/** One search + train. */
export interface ExperimentRun {
  /** Folder name inside the plan's output folder; unique in the plan. */
  readonly id: string;
  /** The space it searches, as the table names it ("learned", "manual"). */
  readonly arm: string;
  readonly algo: string;
  readonly seed: number;
  /** `deno task search` flags, less --out and --resume. */
  readonly searchArgs: readonly string[];
  /** `deno task train` flags, less --arch, --out and --resume. */
  readonly trainArgs: readonly string[];
}

export interface ExperimentPlan {
  readonly name: string;
  /** What it answers, one or two sentences for --list and the results table. */
  readonly question: string;
  /** The space each arm searches (the flag value). */
  readonly spaces: Readonly<Record<string, string>>;
  readonly runs: readonly ExperimentRun[];
}

/** The space the default evolve run learned (committed). */
export const LEARNED_SPACE = "docs/runs/evolve-default/search_space.json";
/** The hand-made inverted-residual space over the same backbone (k3/5/7 × e3/6 + zero). */
export const MANUAL_SPACE = "baseline:compact-28";

/**
 * Search budget shared by every run of the comparison: 6,400 training images an epoch,
 * architecture steps and scores on a 1,280-image held-out subset. `--lambda-rate 0.1`:
 * with the default rate 1 the dual ascent drove λ from 0.1 to 9.9 within the ~50
 * architecture steps of such a short search and G picked the cheapest network (docs/runs/
 * search-proxyless-g); a tenth of that keeps λ near 1 so that the target binds without
 * swamping the cross-entropy.
 */
const SEARCH_BUDGET = [
  "--madds-max",
  "6M",
  "--train-images",
  "6400",
  "--val-images",
  "1280",
  "--score-images",
  "512",
  "--bn-batches",
  "4",
];
const ALGO_ARGS: Readonly<Record<string, readonly string[]>> = {
  "proxyless-g": ["--warmup", "1", "--epochs", "2", "--lambda-rate", "0.1"],
  "proxyless-rl": ["--warmup", "1", "--epochs", "2", "--lambda-rate", "0.1"],
  spos: [
    "--epochs",
    "2",
    "--population",
    "8",
    "--top-k",
    "3",
    "--generations",
    "3",
    "--mutations",
    "4",
    "--crossovers",
    "4",
  ],
};
/**
 * The training recipe of every found network: 2 epochs of a seeded 15,000-image subset
 * (the trainer's defaults otherwise: SGD-Nesterov, cosine, label smoothing 0.1, no
 * augmentation), tested on all 10,000 test images. Short, so that all eight networks
 * train in this machine's budget; it ranks early learners, not converged accuracy.
 */
const TRAIN_RECIPE = [
  "--epochs",
  "2",
  "--train-images",
  "15000",
  "--batch",
  "128",
  "--lr",
  "0.1",
  "--warmup",
  "0.3",
];

/**
 * G with the cap alone (`--lambda 0`: no cost term, the argmax repaired under the cap):
 * with the target's λ, both spaces' G searches ended at their cheapest networks (E stays
 * above T for the whole short search, so λ only grows), which compares 4.4M against
 * 2.7M MAdds rather than the two spaces at one budget.
 */
const CAP_ONLY = { label: "proxyless-g-cap", extra: ["--lambda", "0"] };

function comparisonRun(
  arm: string,
  space: string,
  algo: string,
  seed: number,
  variant?: typeof CAP_ONLY,
): ExperimentRun {
  const label = variant?.label ?? algo;
  return {
    id: `${arm}-${label}-seed${seed}`,
    arm,
    algo: label,
    seed,
    searchArgs: [
      "--space",
      space,
      "--algo",
      algo,
      "--seed",
      String(seed),
      ...SEARCH_BUDGET,
      ...ALGO_ARGS[algo],
      ...(variant?.extra ?? []),
    ],
    trainArgs: [...TRAIN_RECIPE, "--seed", String(seed)],
  };
}

/**
 * Experiments 1 and 2: learned vs manual space under G (two seeds), RL and SPOS (one),
 * then G with the cap alone (two seeds).
 */
const SPACE_COMPARISON: ExperimentPlan = (() => {
  const spaces = { learned: LEARNED_SPACE, manual: MANUAL_SPACE };
  const runs: ExperimentRun[] = [];
  // G first, both arms interleaved, so that a partial plan is already a comparison.
  for (const seed of [0, 1]) {
    for (const [arm, space] of Object.entries(spaces)) {
      runs.push(comparisonRun(arm, space, "proxyless-g", seed));
    }
  }
  for (const algo of ["proxyless-rl", "spos"]) {
    for (const [arm, space] of Object.entries(spaces)) {
      runs.push(comparisonRun(arm, space, algo, 0));
    }
  }
  for (const seed of [0, 1]) {
    for (const [arm, space] of Object.entries(spaces)) {
      runs.push(comparisonRun(arm, space, "proxyless-g", seed, CAP_ONLY));
    }
  }
  return {
    name: "space-comparison",
    question: "Does the learned space give better networks than the manual inverted-residual " +
      "space under the same search, MAdds cap (6M), seeds and training recipe?",
    spaces,
    runs,
  };
})();

/**
 * Experiment 5: the best network under 10M MAdds that this machine can train — SPOS in
 * the learned space (the cheapest search that respects a hard cap), then the longest
 * cosine schedule that fits one session (6 epochs of all 60,000 images, about an hour
 * alone) with random crop, flip and dropout. Random erasing is left out: it pays off
 * over the long schedules of the literature (hundreds of epochs), not over six.
 */
const BEST_10M: ExperimentPlan = {
  name: "best-10m",
  question: "How accurate a network under 10M MAdds can the learned space give on this " +
    "machine's budget?",
  spaces: { learned: LEARNED_SPACE },
  runs: [{
    id: "learned-spos-10m",
    arm: "learned",
    algo: "spos",
    seed: 0,
    searchArgs: [
      "--space",
      LEARNED_SPACE,
      "--algo",
      "spos",
      "--seed",
      "0",
      "--madds-max",
      "10M",
      "--train-images",
      "9600",
      "--val-images",
      "2560",
      "--score-images",
      "1024",
      "--epochs",
      "3",
    ],
    trainArgs: [
      "--epochs",
      "6",
      "--batch",
      "128",
      "--lr",
      "0.1",
      "--warmup",
      "0.5",
      "--wd",
      "5e-5",
      "--label-smoothing",
      "0.1",
      "--augment",
      "crop,flip",
      "--crop-pad",
      "2",
      "--dropout",
      "0.1",
      "--seed",
      "0",
    ],
  }],
};

/** A plan of seconds for tests: each stage's --quick on both spaces. */
const SMOKE: ExperimentPlan = {
  name: "smoke",
  question: "Does the experiment machinery run end to end (each stage's --quick)?",
  spaces: { learned: LEARNED_SPACE, manual: MANUAL_SPACE },
  runs: ["learned", "manual"].map((arm) => ({
    id: `${arm}-spos-seed0`,
    arm,
    algo: "spos",
    seed: 0,
    searchArgs: [
      "--space",
      arm === "learned" ? LEARNED_SPACE : MANUAL_SPACE,
      "--algo",
      "spos",
      "--quick",
      "--madds-max",
      "8M",
    ],
    trainArgs: ["--quick", "--max-steps", "4"],
  })),
};

export const EXPERIMENT_PLANS: Readonly<Record<string, ExperimentPlan>> = {
  [SPACE_COMPARISON.name]: SPACE_COMPARISON,
  [BEST_10M.name]: BEST_10M,
  [SMOKE.name]: SMOKE,
};

/** The plan called `name`, or one line listing the plans. */
export function experimentPlan(name: string | undefined): ExperimentPlan {
  const plan = name === undefined ? undefined : EXPERIMENT_PLANS[name];
  if (!plan) {
    throw new Error(
      `${name === undefined ? "no plan given" : `unknown plan "${name}"`}; plans: ` +
        `${Object.keys(EXPERIMENT_PLANS).join(", ")} (deno task experiment --list)`,
    );
  }
  return plan;
}
