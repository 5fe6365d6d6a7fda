/**
 * The `deno task fidelity` command line: its flag table (the `--help` text, whose
 * defaults are `DEFAULT_FIDELITY_CONFIG`'s and, under `--quick`, `quickFidelityConfig`'s)
 * and `parseFidelityArgs`, which reads flags into a config and reads no file.
 */
import { parseDataSpec } from "../data/data_spec.ts";
import { PATH_SAMPLING_MODES } from "../supernet/path_sampling.ts";
import {
  type CliCommand,
  cliNumber,
  parseCommandArgs,
  readList,
  readSeeds,
} from "../util/cli_command.ts";
import {
  DEFAULT_FIDELITY_CONFIG as D,
  type FidelityConfig,
  parseSetting,
  quickFidelityConfig,
  SETTING_ALGOS,
} from "./config.ts";

const Q = quickFidelityConfig(D);
const text = (v: unknown) => Array.isArray(v) ? v.join(",") : String(v);
const opt = (arg: string, help: string, value: unknown, quick?: unknown) => ({
  type: "string" as const,
  arg,
  help,
  defaultText: `${text(value)}${quick === undefined ? "" : `; --quick: ${text(quick)}`}`,
});

/** The flags of `deno task fidelity`; the defaults `--help` prints are `D`'s and `Q`'s. */
export const FIDELITY_COMMAND = {
  usage: "deno task fidelity [--space SPACE] [flags]",
  summary: "Measures how well supernet scores rank networks the way stand-alone training does:\n" +
    "samples --networks networks across the space's MAdds range, trains each alone on every\n" +
    "--seeds (the ground truth, trained once and reused), trains a supernet over the space per\n" +
    "--settings entry and scores every network in it after each of its last epochs, then\n" +
    "writes OUT/report.md, OUT/fidelity.json, OUT/scatter.png (Kendall τ, Spearman ρ with\n" +
    "bootstrap intervals, top-k overlap, seed vs seed, and the noise ceiling of the seeds'\n" +
    "mean, the target the scores are compared with).",
  flags: {
    space: opt("SPACE", "a learned search_space.json, a spec, or baseline:NAME", D.space),
    data: opt("DATA", "fashion-mnist[:DIR] or cifar10:DIR", D.data),
    networks: opt("N", "networks sampled from the space", D.networks, Q.networks),
    "sample-seed": opt("N", "seed of the sample", D.sampleSeed),
    settings: opt(
      "LIST",
      `supernet settings ALGO-MODE, ALGO in ${SETTING_ALGOS.join("/")}, MODE in\n` +
        `${PATH_SAMPLING_MODES.join("/")} (deno task search --algo, --path-sampling)`,
      D.settings.map((s) => s.name),
      Q.settings.map((s) => s.name),
    ),
    seeds: opt("LIST", "seeds of the stand-alone trainings", D.standalone.seeds),
    "standalone-epochs": opt("E", "epochs of each stand-alone training", D.standalone.epochs),
    "standalone-images": opt(
      "N",
      "training images of each stand-alone training (a seeded subset per seed)",
      D.standalone.trainImages,
      Q.standalone.trainImages,
    ),
    "test-images": opt(
      "N",
      "test images of each stand-alone network",
      D.standalone.testImages,
      Q.standalone.testImages,
    ),
    "supernet-images": opt(
      "N",
      "training images of a supernet epoch",
      D.supernet.trainImages,
      Q.supernet.trainImages,
    ),
    "supernet-warmup": opt("E", "weight-only epochs first", D.supernet.warmupEpochs),
    "supernet-epochs": opt(
      "E",
      "epochs after the warm-up",
      D.supernet.epochs,
      Q.supernet.epochs,
    ),
    "scored-epochs": opt(
      "N",
      "score the networks after each of the supernet's last N epochs",
      D.supernet.scoredEpochs,
      Q.supernet.scoredEpochs,
    ),
    "score-images": opt(
      "N",
      "held-out images each network is scored on in the supernet",
      D.supernet.scoreImages,
      Q.supernet.scoreImages,
    ),
    "top-k": opt("K", "k of the top-k overlap", D.topK, Q.topK),
    out: opt("DIR", "output folder", D.out),
    resume: {
      type: "boolean" as const,
      default: false,
      help: "continue the run in OUT: finished trainings and settings are kept, new\n" +
        "--settings are added",
    },
    quick: {
      type: "boolean" as const,
      default: false,
      help: "a smoke run of a few minutes on tiny subsets",
    },
    "report-only": {
      type: "boolean" as const,
      default: false,
      help: "train nothing: recompute every statistic of the run in --out from its\n" +
        "fidelity.json and rewrite fidelity.json, report.md and the charts",
    },
  },
} as const satisfies CliCommand;

/** What a `deno task fidelity` command line asks: a run, or the report of one rewritten. */
export type FidelityRequest =
  | { readonly reportOnly: true; readonly out: string }
  | { readonly reportOnly: false; readonly config: FidelityConfig };

/** Reads `deno task fidelity` flags; throws one line naming the bad flag. */
export function parseFidelityArgs(args: readonly string[]): FidelityRequest {
  const { values } = parseCommandArgs(FIDELITY_COMMAND, args);
  if (values["report-only"]) {
    const stray = (Object.keys(FIDELITY_COMMAND.flags) as (keyof typeof FIDELITY_COMMAND.flags)[])
      .find((f) =>
        f !== "out" && f !== "report-only" && values[f] !== undefined && values[f] !== false
      );
    if (stray) {
      throw new Error(
        `--report-only reads everything from OUT/fidelity.json; --${stray} does not go with it`,
      );
    }
    return { reportOnly: true, out: (values.out as string | undefined) ?? D.out };
  }
  const base = values.quick ? Q : D;
  const str = (name: keyof typeof FIDELITY_COMMAND.flags) => values[name] as string | undefined;
  const int = (name: keyof typeof FIDELITY_COMMAND.flags, fallback: number, min: number) =>
    str(name) === undefined ? fallback : cliNumber(name, str(name), { integer: true, min });
  const seeds = str("seeds") === undefined
    ? base.standalone.seeds
    : readSeeds(str("seeds")!, "seeds");
  const settings = str("settings") === undefined
    ? base.settings
    : readList(str("settings")!).map(parseSetting);
  if (settings.length === 0) throw new Error("--settings must name at least one setting");
  const networks = int("networks", base.networks, 2);
  const cfg: FidelityConfig = {
    ...base,
    space: str("space") ?? base.space,
    data: str("data") ?? base.data,
    networks,
    sampleSeed: int("sample-seed", base.sampleSeed, 0),
    standalone: {
      ...base.standalone,
      seeds,
      epochs: int("standalone-epochs", base.standalone.epochs, 1),
      trainImages: int("standalone-images", base.standalone.trainImages, 1),
      testImages: int("test-images", base.standalone.testImages, 1),
    },
    supernet: {
      ...base.supernet,
      trainImages: int("supernet-images", base.supernet.trainImages, 1),
      warmupEpochs: int("supernet-warmup", base.supernet.warmupEpochs, 0),
      epochs: int("supernet-epochs", base.supernet.epochs, 1),
      scoredEpochs: int("scored-epochs", base.supernet.scoredEpochs, 1),
      scoreImages: int("score-images", base.supernet.scoreImages, 1),
    },
    settings,
    topK: int("top-k", base.topK, 1),
    out: str("out") ?? base.out,
    resume: values.resume,
  };
  if (cfg.topK > networks) throw new Error(`--top-k ${cfg.topK} must be <= --networks ${networks}`);
  if (cfg.out.trim() === "") throw new Error("--out must name a folder, got an empty value");
  parseDataSpec(cfg.data);
  return { reportOnly: false, config: cfg };
}
