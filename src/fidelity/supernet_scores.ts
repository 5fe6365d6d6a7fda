/**
 * One supernet setting's scores of the sampled networks: the search loop of `deno task
 * search` (the same code and checkpoints) trains the supernet over the space, and after
 * each of its last epochs every sampled network is scored in it — held-out top-1 after
 * BN recalibration and, where the setting learns α, the path's summed log p. Scores are
 * written after every scored epoch; a resumed setting keeps them and continues training
 * from the search's checkpoint.
 */
import {
  searchArgsOf,
  type SearchConfig,
  searchDefaults,
  validateSearchConfig,
} from "../search/config.ts";
import { prepareSearch, runSearch, searchCheckpointPath } from "../search/search.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { pathExists } from "../util/output_folder.ts";
import type { FidelityConfig, SupernetSetting } from "./config.ts";

/** The sample's scores after one supernet epoch. */
export interface EpochScores {
  /** Epochs done, warm-up included. */
  readonly epoch: number;
  readonly steps: number;
  /** Held-out top-1 of each sampled network, in sample order. */
  readonly heldOutTop1: number[];
  /** Σ_l log p_l(path_l) of each network (null where the setting learns no α). */
  readonly logP: number[] | null;
  /** Seconds the scoring took. */
  readonly scoreSeconds: number;
}

/** A setting's file: its search's flags and its scores by epoch. */
export interface SettingScores {
  readonly setting: SupernetSetting;
  readonly searchArgs: string[];
  readonly epochs: EpochScores[];
  /** Whether the supernet finished training. */
  readonly finished: boolean;
  /** Wall seconds of training and scoring in the process that finished it. */
  readonly seconds: number | null;
}

/** Where a setting's search writes, and its scores file. */
export function settingLayout(out: string, setting: SupernetSetting) {
  return {
    search: `${out}/supernet/${setting.name}`,
    scores: `${out}/supernet/${setting.name}/scores.json`,
  };
}

/**
 * The search config of a setting: the search's own defaults for its algorithm (and
 * `--quick`'s), with the fidelity budget, the setting's path sampling and its folder.
 */
export function settingSearchConfig(
  cfg: FidelityConfig,
  setting: SupernetSetting,
  resume = false,
): SearchConfig {
  const b = cfg.supernet;
  const spos = setting.algo === "spos";
  return validateSearchConfig({
    ...searchDefaults(setting.algo, cfg.quick),
    space: cfg.space,
    data: cfg.data,
    pathSampling: setting.pathSampling,
    trainImages: b.trainImages,
    batchSize: b.batchSize,
    // SPOS trains as many weight steps, all of them single-path.
    warmupEpochs: spos ? 0 : b.warmupEpochs,
    epochs: spos ? b.warmupEpochs + b.epochs : b.epochs,
    bnBatches: b.bnBatches,
    scoreImages: b.scoreImages,
    seed: b.seed,
    // The α steps the recorded fidelity runs were measured with (the search's defaults
    // then); SPOS has none, and --quick keeps the search's smoke preset.
    ...(spos || cfg.quick ? {} : { archUpdateEvery: 3, archLr: 0.01 }),
    // ProxylessNAS's REINFORCE step, as the recorded rl settings ran.
    ...(setting.algo === "proxyless-rl"
      ? { rlEstimator: "batch" as const, rlReward: "accuracy" as const }
      : {}),
    out: settingLayout(cfg.out, setting).search,
    resume,
  });
}

/** Reads a setting's scores file, or null when there is none. */
export async function readSettingScores(path: string): Promise<SettingScores | null> {
  if (!await pathExists(path)) return null;
  return JSON.parse(await Deno.readTextFile(path)) as SettingScores;
}

/**
 * Trains the setting's supernet (or continues it) and scores `paths` after each of the
 * last `supernet.scoredEpochs` epochs; returns the scores file's content.
 */
export async function scoreSetting(
  cfg: FidelityConfig,
  setting: SupernetSetting,
  paths: readonly (readonly number[])[],
  log: (line: string) => void,
): Promise<SettingScores> {
  const layout = settingLayout(cfg.out, setting);
  const saved = await readSettingScores(layout.scores);
  if (saved?.finished) return saved;
  const resume = await pathExists(searchCheckpointPath(layout.search));
  const searchCfg = settingSearchConfig(cfg, setting, resume);
  // What a user would type to run this setting's search (recorded, never parsed back).
  const searchArgs = searchArgsOf({ ...searchCfg, resume: false });
  const prepared = await prepareSearch(searchCfg);
  const totalEpochs = searchCfg.warmupEpochs + searchCfg.epochs;
  const firstScored = totalEpochs - Math.min(cfg.supernet.scoredEpochs, totalEpochs) + 1;
  const epochs: EpochScores[] = [...(saved?.epochs ?? [])];
  const t0 = performance.now();
  const write = (finished: boolean) =>
    atomicWrite(
      layout.scores,
      JSON.stringify(
        {
          setting,
          searchArgs,
          epochs,
          finished,
          seconds: finished ? (performance.now() - t0) / 1000 : null,
        } satisfies SettingScores,
        null,
        1,
      ),
    );
  log(`fidelity: supernet ${setting.name} — deno task search ${searchArgs.join(" ")}`);
  await runSearch(prepared, log, {
    derive: false,
    onEpoch: async (trained) => {
      if (trained.epoch < firstScored || epochs.some((e) => e.epoch === trained.epoch)) return;
      const started = performance.now();
      const heldOutTop1: number[] = [];
      for (const path of paths) heldOutTop1.push(await trained.heldOutTop1(path));
      const p = trained.probabilities();
      const logP = p
        ? paths.map((path) => path.reduce((s, c, l) => s + Math.log(p[l][c]), 0))
        : null;
      epochs.push({
        epoch: trained.epoch,
        steps: trained.step,
        heldOutTop1,
        logP,
        scoreSeconds: (performance.now() - started) / 1000,
      });
      await write(false);
      const mean = heldOutTop1.reduce((a, b) => a + b, 0) / heldOutTop1.length;
      log(
        `fidelity: ${setting.name} epoch ${trained.epoch}: ${paths.length} networks scored, ` +
          `mean held-out top-1 ${(100 * mean).toFixed(2)}%`,
      );
    },
  });
  await write(true);
  return (await readSettingScores(layout.scores))!;
}
