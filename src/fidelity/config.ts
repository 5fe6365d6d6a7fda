/**
 * Settings of `deno task fidelity`: the space and its sample, the stand-alone recipe
 * that gives the ground truth, and the supernet settings whose scores are compared
 * with it. A supernet setting is `ALGO-MODE`: the search loop of `deno task search
 * --algo ALGO` (g = proxyless-g, rl = proxyless-rl, spos) with `--path-sampling MODE`.
 *
 * Sized for this project's 2-core CPU adapter (figures measured on it, nothing else
 * running): a stand-alone training of a ~5M-MAdds network on 10,000 images takes about
 * a minute with its test pass, so the ground truth of 16 networks × 2 seeds is about
 * 35 minutes, once; a supernet of 900 weight steps is about 9 minutes, plus about a
 * minute per scoring of the 16 networks.
 */
import { DEFAULT_DATA } from "../data/data_spec.ts";
import type { SearchAlgorithm } from "../search/config.ts";
import { parsePathSampling, type PathSampling } from "../supernet/path_sampling.ts";
import { DEFAULT_SUPERNET_SETTINGS } from "../supernet/run_settings.ts";
import { readList } from "../util/cli_command.ts";

/** One supernet setting: the search loop and the weight-step path choice. */
export interface SupernetSetting {
  /** "g-fair", "spos-uniform": names its folder and its row. */
  readonly name: string;
  readonly algo: SearchAlgorithm;
  readonly pathSampling: PathSampling;
}

const ALGO_NAMES: Readonly<Record<string, SearchAlgorithm>> = {
  g: "proxyless-g",
  rl: "proxyless-rl",
  spos: "spos",
};

/** Reads "g-fair" etc.; one line naming the accepted forms otherwise. */
export function parseSetting(text: string): SupernetSetting {
  const m = /^([a-z]+)-([a-z]+)$/.exec(text.trim());
  const algo = m ? ALGO_NAMES[m[1]] : undefined;
  if (!m || !algo) {
    throw new Error(
      `--settings: "${text}" is not ALGO-MODE with ALGO one of ${
        Object.keys(ALGO_NAMES).join(", ")
      } (e.g. g-proportional, g-fair, spos-uniform)`,
    );
  }
  const pathSampling = parsePathSampling(m[2]);
  if (algo === "spos" && pathSampling === "proportional") {
    throw new Error(`--settings ${text}: SPOS has no architecture weights to sample ∝ p from`);
  }
  return { name: `${m[1]}-${m[2]}`, algo, pathSampling };
}

/** Settings from a comma list ("g-fair,spos-uniform"); one line when none or one is bad. */
export function parseSettings(text: string): SupernetSetting[] {
  const settings = readList(text).map(parseSetting);
  if (settings.length === 0) throw new Error("--settings must name at least one setting");
  return settings;
}

/** How every sampled network is trained alone (the ground truth). */
export interface StandaloneRecipe {
  readonly epochs: number;
  /** Training images, a seeded subset per seed (`deno task train --train-images`). */
  readonly trainImages: number;
  readonly batchSize: number;
  /** Test images each network is evaluated on (whole batches). */
  readonly testImages: number;
  /** One training per seed: their mean is the target; the first two give seed vs seed. */
  readonly seeds: readonly number[];
}

/** How each supernet is trained and how its networks are scored. */
export interface SupernetBudget {
  readonly trainImages: number;
  readonly batchSize: number;
  readonly warmupEpochs: number;
  readonly epochs: number;
  /** Training batches re-estimating BN before a network is scored. */
  readonly bnBatches: number;
  /** Held-out images each network is scored on. */
  readonly scoreImages: number;
  /** Score the sample after each of the last this many epochs (τ against supernet length). */
  readonly scoredEpochs: number;
  readonly seed: number;
}

export interface FidelityConfig {
  readonly quick: boolean;
  /** A learned search_space.json, a spec, or baseline:NAME (as `search --space`). */
  readonly space: string;
  readonly data: string;
  /** Networks sampled from the space. */
  readonly networks: number;
  /** Seed of the sample. */
  readonly sampleSeed: number;
  readonly standalone: StandaloneRecipe;
  readonly supernet: SupernetBudget;
  readonly settings: readonly SupernetSetting[];
  /** Top-k overlap's k. */
  readonly topK: number;
  readonly out: string;
  readonly resume: boolean;
}

/** The CPU default (see the module comment). */
export const DEFAULT_FIDELITY_CONFIG: FidelityConfig = {
  quick: false,
  space: "docs/runs/evolve-default/search_space.json", // the default evolve run's space
  data: DEFAULT_DATA,
  networks: 16, // τ's sampling error at N = 16 is still ±0.3: fewer says little
  sampleSeed: 0,
  standalone: {
    epochs: 1, // the budget: 32 trainings in about 35 minutes
    trainImages: 10_000,
    batchSize: 64, // 156 steps: the short schedule needs steps more than a big batch
    testImages: 5_120, // ±0.6% top-1 resolution, a sixth of the time of the whole test set
    seeds: [0, 1],
  },
  supernet: {
    // The search's: 300 steps an epoch at batch 64.
    trainImages: DEFAULT_SUPERNET_SETTINGS.trainImages,
    batchSize: DEFAULT_SUPERNET_SETTINGS.batchSize,
    warmupEpochs: 1,
    epochs: 2, // 900 weight steps, 200 architecture steps (search defaults: 1 + 4)
    bnBatches: 8,
    scoreImages: 2_048, // twice the search's: these scores are the measurement
    scoredEpochs: 2,
    seed: 0,
  },
  settings: ["g-proportional", "g-uniform", "g-fair"].map(parseSetting),
  topK: 4, // the top quarter of 16
  out: "runs/fidelity",
  resume: false,
};

/** `--quick`: the whole chain in a few minutes on tiny subsets. */
export function quickFidelityConfig(base: FidelityConfig): FidelityConfig {
  return {
    ...base,
    quick: true,
    networks: 4,
    standalone: { ...base.standalone, trainImages: 256, batchSize: 32, testImages: 128 },
    supernet: {
      ...base.supernet,
      trainImages: 256,
      batchSize: 32,
      warmupEpochs: 1,
      epochs: 1,
      bnBatches: 2,
      scoreImages: 64,
      scoredEpochs: 1,
    },
    settings: ["g-proportional", "g-fair"].map(parseSetting),
    topK: 2,
  };
}

/** What fixes the sample and the ground truth: a resumed run must share it. */
export function groundTruthDefinition(cfg: FidelityConfig): Record<string, unknown> {
  return {
    space: cfg.space,
    data: cfg.data,
    networks: cfg.networks,
    sampleSeed: cfg.sampleSeed,
    standalone: { ...cfg.standalone, seeds: [...cfg.standalone.seeds] },
  };
}

/** The algorithms a setting may name, for help texts. */
export const SETTING_ALGOS = Object.keys(ALGO_NAMES);
