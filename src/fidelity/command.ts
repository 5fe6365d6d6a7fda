/**
 * The `deno task fidelity` command line: its flags, each declared once with the field
 * it sets (the `--help` text and its defaults, `DEFAULT_FIDELITY_CONFIG`'s and under
 * `--quick` `quickFidelityConfig`'s, come from them), and `parseFidelityArgs`, which
 * reads flags into a config and reads no file.
 */
import { parseDataSpec } from "../data/data_spec.ts";
import { PATH_SAMPLING_MODES } from "../supernet/path_sampling.ts";
import {
  applyConfigArgs,
  type ConfigCommand,
  configHelp,
  numberFlag,
  readConfigLine,
  readFolder,
  readSeeds,
  switchFlag,
  textFlag,
} from "../util/cli_command.ts";
import {
  DEFAULT_FIDELITY_CONFIG,
  type FidelityConfig,
  parseSettings,
  quickFidelityConfig,
  SETTING_ALGOS,
  type SupernetSetting,
} from "./config.ts";

/** Every `deno task fidelity` flag's value, one field a flag (the config nests them). */
export interface FidelityFlags {
  readonly space: string;
  readonly data: string;
  readonly networks: number;
  readonly sampleSeed: number;
  readonly settings: readonly SupernetSetting[];
  readonly seeds: readonly number[];
  readonly standaloneEpochs: number;
  readonly standaloneImages: number;
  readonly testImages: number;
  readonly supernetImages: number;
  readonly supernetWarmup: number;
  readonly supernetEpochs: number;
  readonly scoredEpochs: number;
  readonly scoreImages: number;
  readonly topK: number;
  readonly out: string;
  readonly resume: boolean;
  readonly quick: boolean;
  readonly reportOnly: boolean;
}

/** The flags' values in `c`. */
export function fidelityFlagsOf(c: FidelityConfig): FidelityFlags {
  return {
    space: c.space,
    data: c.data,
    networks: c.networks,
    sampleSeed: c.sampleSeed,
    settings: c.settings,
    seeds: c.standalone.seeds,
    standaloneEpochs: c.standalone.epochs,
    standaloneImages: c.standalone.trainImages,
    testImages: c.standalone.testImages,
    supernetImages: c.supernet.trainImages,
    supernetWarmup: c.supernet.warmupEpochs,
    supernetEpochs: c.supernet.epochs,
    scoredEpochs: c.supernet.scoredEpochs,
    scoreImages: c.supernet.scoreImages,
    topK: c.topK,
    out: c.out,
    resume: c.resume,
    quick: c.quick,
    reportOnly: false,
  };
}

/** `base` with the flags' values `f`. */
function fidelityConfigOf(base: FidelityConfig, f: FidelityFlags): FidelityConfig {
  return {
    ...base,
    space: f.space,
    data: f.data,
    networks: f.networks,
    sampleSeed: f.sampleSeed,
    standalone: {
      ...base.standalone,
      seeds: f.seeds,
      epochs: f.standaloneEpochs,
      trainImages: f.standaloneImages,
      testImages: f.testImages,
    },
    supernet: {
      ...base.supernet,
      trainImages: f.supernetImages,
      warmupEpochs: f.supernetWarmup,
      epochs: f.supernetEpochs,
      scoredEpochs: f.scoredEpochs,
      scoreImages: f.scoreImages,
    },
    settings: f.settings,
    topK: f.topK,
    out: f.out,
    resume: f.resume,
  };
}

const QUICK_FIDELITY_CONFIG = quickFidelityConfig(DEFAULT_FIDELITY_CONFIG);

/** An integer flag of at least `min`. */
const count = (key: keyof FidelityFlags & string, arg: string, min: number, help: string) =>
  numberFlag<FidelityFlags>(key, arg, { integer: true, min }, help);

/** The flags of `deno task fidelity`, each setting one field of `FidelityFlags`. */
export const FIDELITY_COMMAND: ConfigCommand<FidelityFlags> = {
  usage: "deno task fidelity [--space SPACE] [flags]",
  summary: "Measures how well supernet scores rank networks the way stand-alone training does:\n" +
    "samples --networks networks across the space's MAdds range, trains each alone on every\n" +
    "--seeds (the ground truth, trained once and reused), trains a supernet over the space per\n" +
    "--settings entry and scores every network in it after each of its last epochs, then\n" +
    "writes OUT/report.md, OUT/fidelity.json, OUT/scatter.png (Kendall τ, Spearman ρ with\n" +
    "bootstrap intervals, top-k overlap, seed vs seed, and the noise ceiling of the seeds'\n" +
    "mean, the target the scores are compared with).",
  flags: {
    space: textFlag("space", "SPACE", "a learned search_space.json, a spec, or baseline:NAME"),
    data: textFlag("data", "DATA", "fashion-mnist[:DIR] or cifar10:DIR"),
    networks: count("networks", "N", 2, "networks sampled from the space"),
    "sample-seed": count("sampleSeed", "N", 0, "seed of the sample"),
    settings: {
      key: "settings",
      arg: "LIST",
      help: `supernet settings ALGO-MODE, ALGO in ${SETTING_ALGOS.join("/")}, MODE in\n` +
        `${PATH_SAMPLING_MODES.join("/")} (deno task search --algo, --path-sampling)`,
      read: parseSettings,
      show: (settings: readonly SupernetSetting[]) => settings.map((s) => s.name).join(","),
    },
    seeds: {
      key: "seeds",
      arg: "LIST",
      help: "seeds of the stand-alone trainings",
      read: readSeeds,
    },
    "standalone-epochs": count("standaloneEpochs", "E", 1, "epochs of each stand-alone training"),
    "standalone-images": count(
      "standaloneImages",
      "N",
      1,
      "training images of each stand-alone training (a seeded subset per seed)",
    ),
    "test-images": count("testImages", "N", 1, "test images of each stand-alone network"),
    "supernet-images": count("supernetImages", "N", 1, "training images of a supernet epoch"),
    "supernet-warmup": count("supernetWarmup", "E", 0, "weight-only epochs first"),
    "supernet-epochs": count("supernetEpochs", "E", 1, "epochs after the warm-up"),
    "scored-epochs": count(
      "scoredEpochs",
      "N",
      1,
      "score the networks after each of the supernet's last N epochs",
    ),
    "score-images": count(
      "scoreImages",
      "N",
      1,
      "held-out images each network is scored on in the supernet",
    ),
    "top-k": count("topK", "K", 1, "k of the top-k overlap"),
    out: textFlag("out", "DIR", "output folder", (text, flag) => void readFolder(flag, text)),
    resume: switchFlag(
      "resume",
      "continue the run in OUT: finished trainings and settings are kept, new\n" +
        "--settings are added",
    ),
    quick: switchFlag("quick", "a smoke run of a few minutes on tiny subsets"),
    "report-only": switchFlag(
      "reportOnly",
      "train nothing: recompute every statistic of the run in --out from its\n" +
        "fidelity.json and rewrite fidelity.json, report.md and the charts",
    ),
  },
};

/** `deno task fidelity --help`. */
export const FIDELITY_USAGE: string = configHelp(
  FIDELITY_COMMAND,
  fidelityFlagsOf(DEFAULT_FIDELITY_CONFIG),
  [["--quick", fidelityFlagsOf(QUICK_FIDELITY_CONFIG)]],
);

/** What a `deno task fidelity` command line asks: a run, or the report of one rewritten. */
export type FidelityRequest =
  | { readonly reportOnly: true; readonly out: string }
  | { readonly reportOnly: false; readonly config: FidelityConfig };

/** Reads `deno task fidelity` flags; throws one line naming the bad flag. */
export function parseFidelityArgs(args: readonly string[]): FidelityRequest {
  const { values: given } = readConfigLine(FIDELITY_COMMAND, args);
  if (given["report-only"]) {
    const stray = Object.keys(FIDELITY_COMMAND.flags).find((f) =>
      f !== "out" && f !== "report-only" && given[f] !== undefined && given[f] !== false
    );
    if (stray) {
      throw new Error(
        `--report-only reads everything from OUT/fidelity.json; --${stray} does not go with it`,
      );
    }
    return {
      reportOnly: true,
      out: (given.out as string | undefined) ?? DEFAULT_FIDELITY_CONFIG.out,
    };
  }
  const base = given.quick ? QUICK_FIDELITY_CONFIG : DEFAULT_FIDELITY_CONFIG;
  const flags = applyConfigArgs(FIDELITY_COMMAND, given, fidelityFlagsOf(base));
  const config = fidelityConfigOf(base, flags);
  if (config.topK > config.networks) {
    throw new Error(`--top-k ${config.topK} must be <= --networks ${config.networks}`);
  }
  parseDataSpec(config.data);
  return { reportOnly: false, config };
}
