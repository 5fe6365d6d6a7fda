/**
 * The experiments as data: each plan is a list of runs. A run is either one
 * `deno task search` followed by one `deno task train` of the network it found, one
 * `deno task draw` (a random network at the MAdds of another run's found network)
 * followed by its training, or one `deno task evolve` (learning a space), given as the
 * commands' own flags (so every run can be repeated by hand, and each stage's parser
 * checks them). Runs are independent but for a draw, which needs the run it matches. `deno task experiment
 * PLAN` executes a plan, or one shard of it (shard.ts); `summary.ts` turns the finished
 * runs into tables.
 *
 * Budgets were chosen for a 2-core machine without a GPU (see docs/experiments.md, "Does the
 * learned space help?"): a search costs 2–4 minutes, a training of the found network
 * 4–8; the comparison's 8 runs fit in about an hour and a half.
 */

/**
 * One search + train; or, with `drawMatching`, one random draw at the MAdds of another
 * run's found network + train (the control a found network is measured against).
 */
export interface SearchTrainRun {
  readonly kind: "search-train";
  /** Folder name inside the plan's output folder; unique in the plan. */
  readonly id: string;
  /**
   * What the tables compare, as they name it: the space searched ("learned", "manual"),
   * or how the network was chosen ("found", "random-draw") where the plan says so.
   */
  readonly arm: string;
  /** The tables' sections: the search algorithm, or the space where arms are methods. */
  readonly algo: string;
  readonly seed: number;
  /**
   * `deno task search` flags, less --out and --resume; with `drawMatching`, `deno task
   * draw` flags, less --match and --out.
   */
  readonly searchArgs: readonly string[];
  /**
   * The id of an earlier search run of the plan: this run's first stage is `deno task
   * draw --match` that run's search/network.json instead of a search. Sharding keeps the
   * two in one shard, the draw after the search (src/experiments/shard.ts).
   */
  readonly drawMatching?: string;
  /**
   * The first stage is `deno task draw` with `searchArgs` (a target of its own, `--madds`)
   * instead of a search; `drawMatching` implies a draw too.
   */
  readonly draw?: boolean;
  /** `deno task train` flags, less --arch, --out and --resume. */
  readonly trainArgs: readonly string[];
  /**
   * An earlier search run of the plan and a network file in its search folder: this run
   * has no first stage of its own and trains that file (e.g. `argmax/network.json`, the
   * argmax derivation's network of a `--derive scored` search, so that both derivations
   * of one search are trained). Sharding keeps it with that run.
   */
  readonly trainFrom?: { readonly run: string; readonly network: string };
  /**
   * The run ends with its search (a study of the search itself: does it decide, do seeds
   * agree); `trainArgs` are then unused. Default false.
   */
  readonly searchOnly?: boolean;
}

/** One evolution: learns a search space. */
export interface EvolveRun {
  readonly kind: "evolve";
  /** Folder name inside the plan's output folder; unique in the plan. */
  readonly id: string;
  /** The setting compared, as the table names it ("reference", "no-reference"). */
  readonly arm: string;
  readonly algo: "evolve";
  readonly seed: number;
  /** `deno task evolve` flags, less --out and --resume. */
  readonly evolveArgs: readonly string[];
}

export type ExperimentRun = SearchTrainRun | EvolveRun;

export interface ExperimentPlan {
  readonly name: string;
  /** What it answers, one or two sentences for --list and the results table. */
  readonly question: string;
  /** The space each arm searches (the flag value); empty in a plan of evolutions. */
  readonly spaces: Readonly<Record<string, string>>;
  readonly runs: readonly ExperimentRun[];
  /**
   * Comparisons beyond every arm against the manual space, each `arm` − `baseline` paired
   * by seed (the null arm asks about the learned arm, not the manual one).
   */
  readonly comparisons?: readonly ArmComparison[];
  /**
   * Search-only plans: each arm's null arm (the same searches on random labels), whose seed
   * agreement the arm's is read against.
   */
  readonly nullArms?: Readonly<Record<string, string>>;
  /** What the tables' first column calls an arm (default "space"). */
  readonly armTitle?: string;
}

/** One arm against another in a plan's tables. */
export interface ArmComparison {
  readonly arm: string;
  readonly baseline: string;
  /**
   * The Holm family the comparison's p is adjusted in: "primary" (the default, and every
   * arm − manual) or "secondary", declared in the plan before its first run so that the
   * questions it asks first are not diluted by the ones it reports beside them.
   */
  readonly family?: "primary" | "secondary";
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
/**
 * The α steps the space comparisons and best-10m-long ran with, before the search's
 * defaults became the deciding budget (one architecture step per 3 weight steps at lr
 * 0.01, ProxylessNAS's argmax derivation): pinned so that their recorded runs repeat.
 */
const EARLIER_ALPHA_STEPS = ["--arch-every", "3", "--arch-lr", "0.01", "--derive", "argmax"];
const ALGO_ARGS: Readonly<Record<string, readonly string[]>> = {
  "proxyless-g": ["--warmup", "1", "--epochs", "2", "--lambda-rate", "0.1", ...EARLIER_ALPHA_STEPS],
  "proxyless-rl": [
    ...["--warmup", "1", "--epochs", "2", "--lambda-rate", "0.1"],
    ...EARLIER_ALPHA_STEPS,
    ...["--rl-estimator", "batch", "--rl-reward", "accuracy"], // ProxylessNAS's, as they ran
  ],
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
 * The space `best-10m-long` searches: the one whose networks scored best in
 * `space-comparison-long` (docs/experiments.md says by how much).
 */
const BEST_LONG_ARM = "manual";
const BEST_LONG_SPACE = MANUAL_SPACE;

/** Batch and learning-rate schedule of both comparisons' trainings. */
const TRAIN_OPTIMISER = ["--batch", "128", "--lr", "0.1", "--warmup", "0.3"];

/**
 * The training recipe of every found network: 2 epochs of a seeded 15,000-image subset
 * (the trainer's defaults otherwise: SGD-Nesterov, cosine, label smoothing 0.1, no
 * augmentation), tested on all 10,000 test images. Short, so that all eight networks
 * train in this machine's budget; it ranks early learners, not converged accuracy.
 */
const TRAIN_RECIPE = ["--epochs", "2", "--train-images", "15000", ...TRAIN_OPTIMISER];

/**
 * G with the cap alone (`--lambda 0`: no cost term, the argmax repaired under the cap):
 * with the target's λ, both spaces' G searches ended at their cheapest networks (E stays
 * above T for the whole short search, so λ only grows), which compares 4.4M against
 * 2.7M MAdds rather than the two spaces at one budget.
 */
const CAP_ONLY = { label: "proxyless-g-cap", extra: ["--lambda", "0"] };

/**
 * The search flags of `search-decision` and of `search-vs-random`'s `found` runs: the
 * search's own defaults (the deciding budget: docs/experiments.md, "A search that
 * decides") under a 6M MAdds cap. Its `--madds-max` is the cap random search runs under too.
 */
export const DECIDING_SEARCH: readonly string[] = ["--madds-max", "6M"];

function comparisonRun(
  arm: string,
  space: string,
  algo: string,
  seed: number,
  variant?: typeof CAP_ONLY,
): ExperimentRun {
  const label = variant?.label ?? algo;
  return {
    kind: "search-train",
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
      // The cap was these searches' target too (the search's earlier default).
      ...(!variant && algo.startsWith("proxyless") ? ["--madds-target", "6M"] : []),
      ...(variant?.extra ?? []),
    ],
    trainArgs: [...TRAIN_RECIPE, "--seed", String(seed)],
  };
}

/**
 * The space comparison: learned vs manual space under G (two seeds), RL and SPOS (one),
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
 * The training of a best-network run: SGD Nesterov at lr 0.1, cosine after half an
 * epoch of warm-up, weight decay 5e-5, label smoothing 0.1, batch 128, dropout 0.1
 * before the classifier, random crop (pad 2) among the augmentations.
 */
function bestNetworkTraining(epochs: number, augment: string): string[] {
  return [
    ...["--epochs", String(epochs), "--batch", "128", "--lr", "0.1", "--warmup", "0.5"],
    ...["--wd", "5e-5", "--label-smoothing", "0.1", "--augment", augment, "--crop-pad", "2"],
    ...["--dropout", "0.1", "--seed", "0"],
  ];
}

/**
 * The best network under 10M MAdds that this machine can train — SPOS in
 * the learned space (the cheapest search that respects a hard cap), then the longest
 * cosine schedule that fits in about an hour alone (6 epochs of all 60,000 images) with
 * random crop, flip and dropout. Random erasing is left out: it pays off over the long
 * schedules of the literature (hundreds of epochs), not over six.
 */
const BEST_10M: ExperimentPlan = {
  name: "best-10m",
  question: "How accurate a network under 10M MAdds can the learned space give on this " +
    "machine's budget?",
  spaces: { learned: LEARNED_SPACE },
  runs: [{
    kind: "search-train",
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
    trainArgs: bestNetworkTraining(6, "crop,flip"),
  }],
};

/**
 * The best network under 10M MAdds again, at the longest schedule this machine allows: G
 * with the cap alone (the comparison's search, at a 10M cap) in the space that gave the
 * best networks in `space-comparison-long`, then 20 epochs of all 60,000 images with
 * random crop, flip and random erasing (the augmentations of the Fashion-MNIST results it
 * is measured against) and dropout 0.1: about 2.5 hours alone on 2 cores, resumable.
 */
const BEST_10M_LONG: ExperimentPlan = {
  name: "best-10m-long",
  question: "How accurate a network under 10M MAdds does the best space give at 20 epochs " +
    "with random erasing?",
  spaces: { [BEST_LONG_ARM]: BEST_LONG_SPACE },
  runs: [{
    kind: "search-train",
    id: `${BEST_LONG_ARM}-proxyless-g-cap-10m`,
    arm: BEST_LONG_ARM,
    algo: CAP_ONLY.label,
    seed: 0,
    searchArgs: [
      "--space",
      BEST_LONG_SPACE,
      "--algo",
      "proxyless-g",
      "--seed",
      "0",
      ...SEARCH_BUDGET.map((arg) => arg === "6M" ? "10M" : arg),
      ...ALGO_ARGS["proxyless-g"],
      ...CAP_ONLY.extra,
    ],
    trainArgs: bestNetworkTraining(20, "crop,flip,erase"),
  }],
};

/** evolve at its defaults but `extra`, on `seed`: one run of arm `arm` (id `<arm>-seed<S>`). */
function evolveRun(arm: string, seed: number, extra: readonly string[] = []): EvolveRun {
  return {
    kind: "evolve",
    id: `${arm}-seed${seed}`,
    arm,
    algo: "evolve",
    seed,
    evolveArgs: [...extra, "--seed", String(seed)],
  };
}

/**
 * What evolve learns with its defaults (uniform weight steps) on three seeds, plus one run
 * without the reference DAG (the paper's Table 5 ablation at this scale): about 15
 * minutes a run alone on 2 cores. `space-comparison-long` searches the three spaces.
 */
const EVOLVE_SEEDS: ExperimentPlan = {
  name: "evolve-seeds",
  question: "What does evolve learn with its defaults on three seeds, and what changes " +
    "without the reference DAG?",
  spaces: {},
  runs: [
    ...[0, 1, 2].map((seed) => evolveRun("default", seed)),
    evolveRun("no-reference", 0, ["--reference", "none"]),
  ],
};

/** The space evolve-seeds learned on `seed`, as its results folder keeps it. */
export function evolvedSpace(seed: number): string {
  return `docs/results/${EVOLVE_SEEDS.name}/default-seed${seed}/evolve/search_space.json`;
}

/**
 * The null model's space for evolve-seeds' run on `seed`: `deno task null-evolve
 * docs/results/evolve-seeds/default-seed<S>/evolve --seeds 0` (the same populations,
 * tournaments and τ phases, with the run's α steps given to random cells), committed.
 */
export function nullEvolvedSpace(seed: number): string {
  return `docs/results/${EVOLVE_SEEDS.name}-null/default-seed${seed}/search_space.json`;
}

/** The space evolve-seeds learned without the reference DAG (seed 0). */
export const NO_REFERENCE_SPACE =
  `docs/results/${EVOLVE_SEEDS.name}/no-reference-seed0/evolve/search_space.json`;

/**
 * The longer recipe of the second comparison: 4 epochs of all 60,000 training images
 * with random crop (pad 2) and flip, so that accuracies are near convergence for this
 * size and a seed's noise is smaller than at 2 epochs of 15,000 (about 25 minutes a
 * 5M-MAdds network alone on 2 cores).
 */
const LONG_RECIPE = [
  "--epochs",
  "4",
  ...TRAIN_OPTIMISER,
  "--augment",
  "crop,flip",
  "--crop-pad",
  "2",
];

/**
 * The comparison asked again: the spaces evolve learns with its defaults (seed s searched
 * in the space evolve learned on seed s) against the manual space, G with the cap alone (uniform weight steps,
 * the default: in `deno task fidelity` only `balanced` ranked higher, inside the same
 * interval), three
 * seeds an arm, paired by seed; then the space learned without the reference DAG (the
 * paper's Table 5), the null evolution's spaces (selection at chance) and the committed
 * default run's space (LEARNED_SPACE, arm "learned-old") on the same seeds.
 */
const SPACE_COMPARISON_LONG: ExperimentPlan = (() => {
  const runs: ExperimentRun[] = [];
  const withRecipe = (run: ExperimentRun): ExperimentRun =>
    run.kind === "search-train"
      ? { ...run, trainArgs: [...LONG_RECIPE, "--seed", String(run.seed)] }
      : run;
  for (const seed of [0, 1, 2]) {
    runs.push(
      withRecipe(comparisonRun("learned", evolvedSpace(seed), "proxyless-g", seed, CAP_ONLY)),
    );
    runs.push(withRecipe(comparisonRun("manual", MANUAL_SPACE, "proxyless-g", seed, CAP_ONLY)));
  }
  // Table 5 at this scale: what the space learned without the reference DAG gives.
  for (const seed of [0, 1, 2]) {
    runs.push(
      withRecipe(comparisonRun("no-reference", NO_REFERENCE_SPACE, "proxyless-g", seed, CAP_ONLY)),
    );
  }
  // Does selection beat chance: the null evolution's space of each learned space's run.
  for (const seed of [0, 1, 2]) {
    runs.push(
      withRecipe(comparisonRun("null", nullEvolvedSpace(seed), "proxyless-g", seed, CAP_ONLY)),
    );
  }
  for (const seed of [0, 1, 2]) {
    runs.push(
      withRecipe(comparisonRun("learned-old", LEARNED_SPACE, "proxyless-g", seed, CAP_ONLY)),
    );
  }
  return {
    name: "space-comparison-long",
    question: "With uniform weight steps in evolve and search and a 4-epoch training on all " +
      "images, do the learned spaces give better networks than the manual space (6M MAdds cap, " +
      "three seeds, paired)?",
    spaces: {
      learned: evolvedSpace(0).replace("seed0", "seed<S>"),
      manual: MANUAL_SPACE,
      "no-reference": NO_REFERENCE_SPACE,
      null: nullEvolvedSpace(0).replace("seed0", "seed<S>"),
      "learned-old": LEARNED_SPACE,
    },
    runs,
    comparisons: [{ arm: "null", baseline: "learned" }],
  };
})();

/** The value of `flag` in a list of flags (the last one given), or undefined. */
function flagValue(args: readonly string[], flag: string): string | undefined {
  const at = args.lastIndexOf(flag);
  return at < 0 ? undefined : args[at + 1];
}

/** The seeds of `search-vs-random`, fixed before any of its runs. */
export const SEARCH_VS_RANDOM_SEEDS = [10, 11, 12, 13, 14, 15, 16, 17] as const;
/** The random draw's MAdds window around the found network's: ±3%. */
const DRAW_TOLERANCE = "0.03";

/**
 * The deciding question: does the network a search finds beat a uniform random draw of its
 * space at the same MAdds ±3% (`random-draw`, no supernet) and random search under the same
 * cap (`random-search`: the same supernet budget, single-path training, 96 paths scored)?
 * `found` is G with DECIDING_SEARCH and `--derive scored`; `found-argmax` trains the network
 * the argmax derivation gives from the same search (its argmax/network.json), so both
 * derivations are reported. `found-rl` is REINFORCE with the same flags (its default
 * estimator, `paired-all`: the one whose choices its own comparisons back at this budget;
 * docs/experiments.md, "Every candidate, every step"), with
 * its own draw at its MAdds (`random-draw-rl`). In the learned space (evolve-seeds' seed 0)
 * and the manual one, 8 seeds fixed in advance; the networks of a seed train with the same
 * recipe and training seed, so the differences pair by seed within each space. Primary
 * comparisons (Holm over them): each search against its draw and against random search, in
 * each space; secondary: the argmax derivation against the same two baselines. Arms are the
 * methods and the tables' sections the spaces. The default search's runs (RL) and both its
 * baselines come first, seed by seed and both spaces, so that a partial plan is already a
 * comparison of the search `deno task search` runs; G's searches, their argmax trainings
 * and their draws follow, seed by seed. A draw and the argmax training follow the search
 * they use (and share its shard).
 */
const SEARCH_VS_RANDOM: ExperimentPlan = (() => {
  const spaces = { learned: evolvedSpace(0), manual: MANUAL_SPACE };
  const cap = flagValue(DECIDING_SEARCH, "--madds-max");
  if (cap === undefined) throw new Error("DECIDING_SEARCH must set --madds-max");
  const rlRuns: ExperimentRun[] = [];
  const gRuns: ExperimentRun[] = [];
  for (const seed of SEARCH_VS_RANDOM_SEEDS) {
    const trainArgs = [...LONG_RECIPE, "--seed", String(seed)];
    for (const [space, path] of Object.entries(spaces)) {
      const run = (arm: string, rest: Partial<SearchTrainRun>): SearchTrainRun => ({
        kind: "search-train",
        id: `${space}-${arm}-seed${seed}`,
        arm,
        algo: space,
        seed,
        searchArgs: [],
        trainArgs,
        ...rest,
      });
      // A deciding search (`--derive scored`), and a uniform draw at its found network's MAdds.
      const search = (arm: string, algo: string) =>
        run(arm, {
          searchArgs: [
            ...["--space", path, "--algo", algo, "--seed", String(seed)],
            ...DECIDING_SEARCH,
            ...["--derive", "scored"],
          ],
        });
      const drawAt = (arm: string, matched: SearchTrainRun) =>
        run(arm, {
          searchArgs: ["--space", path, "--tolerance", DRAW_TOLERANCE, "--seed", String(seed)],
          drawMatching: matched.id,
        });
      const found = search("found", "proxyless-g");
      const foundRl = search("found-rl", "proxyless-rl");
      rlRuns.push(
        foundRl,
        drawAt("random-draw-rl", foundRl),
        run("random-search", {
          // The search's defaults train the supernet for as many weight steps as G's and RL's.
          searchArgs: [
            ...["--space", path, "--algo", "random", "--seed", String(seed)],
            ...["--madds-max", cap],
          ],
        }),
      );
      gRuns.push(
        found,
        run("found-argmax", { trainFrom: { run: found.id, network: "argmax/network.json" } }),
        drawAt("random-draw", found),
      );
    }
  }
  const runs = [...rlRuns, ...gRuns];
  return {
    name: "search-vs-random",
    question: "Do the networks G and RL find beat a random draw of their space at the same " +
      "MAdds (±3%) and random search under the same cap, in the learned and the manual space " +
      "(8 seeds, paired)?",
    spaces,
    runs,
    comparisons: [
      { arm: "found", baseline: "random-draw" },
      { arm: "found", baseline: "random-search" },
      { arm: "found-rl", baseline: "random-draw-rl" },
      { arm: "found-rl", baseline: "random-search" },
      { arm: "found-argmax", baseline: "random-draw", family: "secondary" },
      { arm: "found-argmax", baseline: "random-search", family: "secondary" },
      { arm: "found", baseline: "found-argmax", family: "secondary" },
    ],
    armTitle: "network",
  };
})();

/** The seeds of `search-decision`: none of them is a seed of `search-vs-random`. */
export const SEARCH_DECISION_SEEDS = [0, 1, 2] as const;

/**
 * The searches `search-decision` runs, by the label its tables give them: G, and REINFORCE
 * with each paired estimator (`paired` was the default when its runs were made).
 */
const DECISION_SEARCHES: Readonly<Record<string, readonly string[]>> = {
  "proxyless-g": ["--algo", "proxyless-g"],
  "proxyless-rl": ["--algo", "proxyless-rl", "--rl-estimator", "paired"],
  "proxyless-rl-all": ["--algo", "proxyless-rl", "--rl-estimator", "paired-all"],
};

/**
 * Does the default search decide, and do its seeds agree beyond what biases alone give?
 * G and RL (both paired estimators) with `deno task search`'s other defaults under the
 * 6M cap, in the learned space (evolve-seeds' seed 0) and the manual one, three seeds
 * each; and the same searches on random labels (`--random-labels`: the cost term and the
 * cells' speed of learning still act, the data says nothing), whose seed agreement is the
 * null. Search only: what is measured is the search's own decision, not a trained network.
 */
const SEARCH_DECISION: ExperimentPlan = (() => {
  const spaces = { learned: evolvedSpace(0), manual: MANUAL_SPACE };
  const runs: ExperimentRun[] = [];
  for (const [algo, flags] of Object.entries(DECISION_SEARCHES)) {
    for (const seed of SEARCH_DECISION_SEEDS) {
      for (const [arm, space] of Object.entries(spaces)) {
        for (const random of [false, true]) {
          runs.push({
            kind: "search-train",
            id: `${arm}${random ? "-random-labels" : ""}-${algo}-seed${seed}`,
            arm: random ? `${arm}-random-labels` : arm,
            algo,
            seed,
            searchArgs: [
              ...["--space", space, ...flags, "--seed", String(seed)],
              ...DECIDING_SEARCH,
              ...(random ? ["--random-labels"] : []),
            ],
            trainArgs: [],
            searchOnly: true,
          });
        }
      }
    }
  }
  return {
    name: "search-decision",
    question: "Do the default G and RL searches decide (argmax held over the last quarter of " +
      "the architecture steps in ≥ 80% of layers), and do three seeds agree more than the " +
      "same searches on random labels?",
    spaces,
    runs,
    nullArms: { learned: "learned-random-labels", manual: "manual-random-labels" },
  };
})();

/** A plan of seconds for tests: each stage's --quick on both spaces. */
const SMOKE: ExperimentPlan = {
  name: "smoke",
  question: "Does the experiment machinery run end to end (each stage's --quick)?",
  spaces: { learned: LEARNED_SPACE, manual: MANUAL_SPACE },
  runs: ["learned", "manual"].map((arm) => ({
    kind: "search-train" as const,
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

/**
 * The space-learning stage fanned out: the evolution with the paper's inverted-residual
 * reference DAG (Eq. 2's constraint, for the first half of the run) against none, two seeds each, at the
 * CPU defaults (about an hour a run on 2 cores; four array tasks on a cluster). The
 * table compares the supernet's held-out top-1 at the end of each run; each run's
 * search_space.json can then be searched by a search-train plan.
 */
const SPACE_LEARNING: ExperimentPlan = {
  name: "space-learning",
  question: "Does the reference DAG help the evolution: how well does the supernet of the " +
    "learned space do with the inverted-residual reference against none, over two seeds?",
  spaces: {},
  runs: [0, 1].flatMap((seed) =>
    (["inverted-residual", "none"] as const).map((reference): EvolveRun => ({
      kind: "evolve",
      id: `${reference === "none" ? "no-reference" : "reference"}-seed${seed}`,
      arm: reference === "none" ? "no-reference" : "reference",
      algo: "evolve",
      seed,
      evolveArgs: ["--reference", reference, "--seed", String(seed)],
    }))
  ),
};

/**
 * The smoke plan at the smallest budgets that still run every stage (a few search and
 * training steps on a few dozen images), plus an evolution of a few steps with two
 * regenerations: what the Slurm cluster test submits as a job array and runs again in
 * one process, where each run costs mostly start-up.
 */
const TINY: ExperimentPlan = {
  name: "tiny",
  question: "Does a plan give the same results sharded over processes as in one (each " +
    "stage, evolve included, at a few steps)?",
  spaces: { learned: LEARNED_SPACE, manual: MANUAL_SPACE },
  runs: SMOKE.runs.map((run) =>
    run.kind === "search-train"
      ? {
        ...run,
        searchArgs: [
          ...run.searchArgs,
          "--train-images",
          "64",
          "--val-images",
          "64",
          "--score-images",
          "32",
          "--bn-batches",
          "1",
        ],
        trainArgs: ["--quick", "--max-steps", "2", "--eval-batches", "2"],
      }
      : run
  ).concat({
    kind: "evolve",
    id: "reference-evolve-seed0",
    arm: "reference",
    algo: "evolve",
    seed: 0,
    evolveArgs: [
      "--quick",
      "--train-images",
      "64",
      "--val-images",
      "32",
      "--epochs",
      "2",
      "--warmup",
      "1",
      "--regenerate-every",
      "2",
      "--seed",
      "0",
    ],
  }),
};

/**
 * Does an evolution beat its null with another fitness? evolve at its defaults with the
 * supernet's held-out losses of single paths through each cell (`--fitness accuracy`),
 * seeds 0–2: about 15–25 minutes a run alone on 2 cores; and with each cell compared
 * against its layer's others in one context (`--fitness paired`, the comparison that
 * made REINFORCE's choices informed), seeds 0–2, about twice as long. The paper's fitness (`alpha`,
 * the default: Eq. 4's α folded by Eq. 5) on the same seeds is evolve-seeds' default runs,
 * the same command. Each arm's spaces are read against each other and against
 * `deno task null-evolve` of its seed-0 run (`compare-spaces --null`, docs/fidelity.md),
 * and with `--figures` against the runs' initial_space.json.
 */
const FITNESS_VS_NULL: ExperimentPlan = {
  name: "fitness-vs-null",
  question: "With the supernet's held-out path losses as fitness (single paths, or paired " +
    "within a context), does evolve keep cells and ratios more alike across seeds than its " +
    "null runs do (the α fitness: evolve-seeds)?",
  spaces: {},
  armTitle: "fitness",
  runs: (["accuracy", "paired"] as const).flatMap((fitness) =>
    [0, 1, 2].map((seed) => evolveRun(fitness, seed, ["--fitness", fitness]))
  ),
};

/** Confirmation seeds of the default evolution, disjoint from the seeds its figures were chosen on. */
export const EVOLVE_CONFIRM_SEEDS = [3, 4, 5] as const;

/**
 * Does what the default evolution keeps beyond chance on seeds 0–2 (evolve-seeds,
 * read against its null in docs/fidelity.md) hold on seeds it was not chosen on? evolve
 * at its defaults on seeds 3–5; read against `deno task null-evolve` of the seed-3 run
 * with `compare-spaces --null`, the same test as seeds 0–2's.
 */
const EVOLVE_CONFIRM: ExperimentPlan = {
  name: "evolve-confirm",
  question: "Do the default evolution's figures beyond chance on seeds 0–2 stay beyond chance " +
    "on seeds 3–5?",
  spaces: {},
  armTitle: "setting",
  runs: EVOLVE_CONFIRM_SEEDS.map((seed) => evolveRun("default", seed)),
};

/** Evolution lengths of `evolve-length`, in evolution epochs (the default's 6 is 1×). */
export const EVOLVE_LENGTHS = { "2x": 12, "4x": 24 } as const;

/**
 * How long must the default evolution run for its choices to repeat? evolve at its
 * defaults with 2× and 4× the evolution epochs (at the default f, 2× and 4× the
 * regenerations), seeds 0–2; 1× is evolve-seeds. Each length's three spaces are read
 * against the null of its seed-0 run (`null-evolve`, `compare-spaces --null`): the
 * stability-vs-length curve of docs/fidelity.md. About 30 and 60 minutes a run alone.
 */
const EVOLVE_LENGTH: ExperimentPlan = {
  name: "evolve-length",
  question: "At 2× and 4× the default's regenerations, do the default evolution's cells, " +
    "ratios and mixes repeat across seeds beyond its null?",
  spaces: {},
  armTitle: "length",
  runs: Object.entries(EVOLVE_LENGTHS).flatMap(([length, epochs]) =>
    [0, 1, 2].map((seed) => evolveRun(length, seed, ["--epochs", String(epochs)]))
  ),
};

/** The seeds of `learned-vs-null-draws`, fixed before any of its runs. */
export const LEARNED_VS_NULL_SEEDS = [20, 21, 22, 23, 24, 25, 26, 27] as const;

/** Both draws' target and window: each within ±1.5% of 5M MAdds, so within 3% of each other. */
const EQUAL_MADDS_DRAW = ["--madds", "5M", "--tolerance", "0.015"];

/**
 * Are the cells evolution keeps better than its null's, in networks trained alone? A
 * uniform draw of the learned space (evolve-seeds' seed 0: the α fitness at the default
 * length) and one of its null space (`deno task null-evolve` of that run, seed 0: the
 * same populations, tournaments and α step sizes given to random cells), both at 5M
 * MAdds ±1.5%, trained alone with the long recipe and the seed's training seed; 8 seeds
 * fixed in advance, paired by seed: learned − null. No supernet and no search: what is
 * compared is the spaces' cells.
 */
const LEARNED_VS_NULL_DRAWS: ExperimentPlan = (() => {
  const spaces = { learned: evolvedSpace(0), null: nullEvolvedSpace(0) };
  return {
    name: "learned-vs-null-draws",
    question: "Do random networks of the learned space beat random networks of its null " +
      "space at equal MAdds (5M ±1.5% each), trained alone (8 seeds, paired)?",
    spaces,
    runs: LEARNED_VS_NULL_SEEDS.flatMap((seed) =>
      Object.entries(spaces).map(([arm, space]): SearchTrainRun => ({
        kind: "search-train",
        id: `${arm}-draw-seed${seed}`,
        arm,
        algo: "draw",
        seed,
        searchArgs: ["--space", space, ...EQUAL_MADDS_DRAW, "--seed", String(seed)],
        draw: true,
        trainArgs: [...LONG_RECIPE, "--seed", String(seed)],
      }))
    ),
    comparisons: [{ arm: "learned", baseline: "null" }],
    armTitle: "space",
  };
})();

/** The seeds of `space-equal-madds`, fixed before any of its runs. */
export const SPACE_EQUAL_MADDS_SEEDS = [30, 31, 32, 33, 34, 35, 36, 37] as const;

/**
 * The band every arm's network is derived in: 5.83M–6M MAdds, so that any two of a seed's
 * networks lie within 3% of each other (6 / 5.83 = 1.029).
 */
export const EQUAL_MADDS_BAND = ["--madds-min", "5.83M", "--madds-max", "6M"] as const;

/**
 * Does the learned space help, asked at equal MAdds: the learned space (evolve-seeds' seed
 * 0, the α fitness at the default length), the manual one and the learned run's null
 * space (its cells chosen at chance), each searched by REINFORCE at its defaults (the
 * `paired-all` estimator, whose choices its own comparisons back at the default budget:
 * docs/experiments.md, "Every candidate, every step"), with the default scored derivation
 * inside `EQUAL_MADDS_BAND`; trained alone
 * with the long recipe and the seed's training seed. 8 seeds fixed in advance, paired by
 * seed: learned − manual, null − manual (every arm against the manual space) and learned −
 * null, Holm over the three.
 */
const SPACE_EQUAL_MADDS: ExperimentPlan = (() => {
  const spaces = {
    learned: evolvedSpace(0),
    manual: MANUAL_SPACE,
    null: nullEvolvedSpace(0),
  };
  return {
    name: "space-equal-madds",
    question: "At equal MAdds (every network in 5.83M–6M), do networks found in the learned " +
      "space beat those found in the manual space and in the learned run's null space (8 " +
      "seeds, paired)?",
    spaces,
    runs: SPACE_EQUAL_MADDS_SEEDS.flatMap((seed) =>
      Object.entries(spaces).map(([arm, space]): SearchTrainRun => ({
        kind: "search-train",
        id: `${arm}-proxyless-rl-seed${seed}`,
        arm,
        algo: "proxyless-rl",
        seed,
        searchArgs: [
          ...["--space", space, "--algo", "proxyless-rl", "--seed", String(seed)],
          ...EQUAL_MADDS_BAND,
        ],
        trainArgs: [...LONG_RECIPE, "--seed", String(seed)],
      }))
    ),
    comparisons: [{ arm: "learned", baseline: "null" }],
  };
})();

export const EXPERIMENT_PLANS: Readonly<Record<string, ExperimentPlan>> = Object.fromEntries(
  [
    SPACE_COMPARISON,
    BEST_10M,
    BEST_10M_LONG,
    SPACE_LEARNING,
    EVOLVE_SEEDS,
    SPACE_COMPARISON_LONG,
    SEARCH_VS_RANDOM,
    SEARCH_DECISION,
    SMOKE,
    TINY,
    FITNESS_VS_NULL,
    EVOLVE_CONFIRM,
    EVOLVE_LENGTH,
    LEARNED_VS_NULL_DRAWS,
    SPACE_EQUAL_MADDS,
  ].map((plan) => [plan.name, plan]),
);

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
