/**
 * The `deno task autospace` command line: its own flags, the stages' pass-through
 * flags, and every stage's settings read by that stage's own parser — all before
 * anything is read from disk or written, so that a bad flag of the last stage is
 * refused before the first one starts.
 *
 * Each stage's parser reads the user's `--STAGE.FLAG`s, and takes what autospace sets
 * (the data, the folders, `--quick`, the search's space and cap) as typed settings.
 */
import { type EvolveConfig, parseEvolveArgs } from "../evolve/config.ts";
import { DEFAULT_DATA, parseDataSpec } from "../data/data_spec.ts";
import { parseSearchArgs, readMAdds, type SearchConfig } from "../search/config.ts";
import { type ExportRequest, parseExportArgs } from "../train/export_command.ts";
import { parseTrainArgs, type TrainRequest } from "../train/train_command.ts";
import {
  type ConfigCommand,
  configHelp,
  optionalFlag,
  parseConfigLine,
  switchFlag,
  textFlag,
} from "../util/cli_command.ts";
import { parseStageArgs, passableFlags, splitStageArgs, STAGES } from "./stage_flags.ts";

/** Where each stage of a run writes, under the run's folder. */
export function stageLayout(out: string) {
  return {
    evolve: `${out}/evolve`,
    space: `${out}/evolve/search_space.json`,
    search: `${out}/search`,
    network: `${out}/search/network.json`,
    train: `${out}/train`,
    /** The trained weights the export stage reads (the train stage's last checkpoint). */
    checkpoint: `${out}/train/checkpoint.onnx`,
    model: `${out}/model.onnx`,
    report: `${out}/report.md`,
    record: `${out}/autospace.json`,
  };
}

/** Wraps `words` into lines of at most `width` characters, each starting with `indent`. */
function wrap(words: readonly string[], indent: string, width = 96): string[] {
  const lines: string[] = [];
  let line = indent;
  for (const word of words) {
    if (line.length + word.length + 1 > width && line.trim() !== "") {
      lines.push(line.trimEnd());
      line = indent;
    }
    line += `${word} `;
  }
  if (line.trim() !== "") lines.push(line.trimEnd());
  return lines;
}

/** How pass-through works, and every flag each stage takes that way (for `--help`). */
function passThroughHelp(): string {
  const perStage = STAGES.flatMap((stage) => {
    const { values, switches } = passableFlags(stage);
    const flags = [
      ...values.map((f) => `--${stage}.${f}`),
      ...switches.map((f) => `--${stage}.${f}`),
    ];
    return [`  ${stage} (deno task ${stage} --help):`, ...wrap(flags, "    ")];
  });
  return [
    "stage flags (pass-through):",
    "  --STAGE.FLAG VALUE, --STAGE.FLAG=VALUE or --STAGE.SWITCH gives FLAG to one stage, as",
    "  `deno task STAGE --help` describes it, e.g. --evolve.epochs 3 --search.algo spos",
    "  --train.epochs 10 --export.batch 1. Each is checked by its stage's own parser before",
    "  anything runs. Autospace sets the stages' --data, --out, --quick and --resume, the",
    "  search's --space and --madds-max, the train's --arch and the export's --checkpoint",
    '  and --arch itself. --evolve.madds-max is Eq. 1\'s per-cell cap ("2x"), not the',
    "  network budget (--madds-max).",
    ...perStage,
  ].join("\n");
}

/** The pass-through part of `--help`, built from each stage's own flag list. */
const PASS_THROUGH_HELP: string = passThroughHelp();

/** Autospace's own settings (each stage's are read by that stage's parser). */
export interface AutospaceSettings {
  readonly data: string;
  /** `--madds-max` as given (the search parses it); undefined: no cap. */
  readonly maddsMax: string | undefined;
  readonly out: string;
  readonly quick: boolean;
  readonly resume: boolean;
}

/** `deno task autospace` without flags. */
export const DEFAULT_AUTOSPACE_SETTINGS: AutospaceSettings = {
  data: DEFAULT_DATA,
  maddsMax: undefined,
  out: "runs/autospace",
  quick: false,
  resume: false,
};

/** Autospace's own flags, each setting one field of `AutospaceSettings`. */
export const AUTOSPACE_COMMAND: ConfigCommand<AutospaceSettings> = {
  usage: "deno task autospace [--data DATA] [--madds-max C] [--out DIR] [flags] [--STAGE.FLAG ...]",
  summary:
    "One command from data to a deployable network: evolve a search space (deno task evolve),\n" +
    "search a network in it under the MAdds budget (deno task search), train it from scratch\n" +
    "(deno task train) and export it (deno task export). Each stage writes into its own\n" +
    "folder of OUT (evolve/, search/, train/, then model.onnx); OUT/report.md links their\n" +
    "reports and ends with the found network's MAdds, params, test accuracy, latency on this\n" +
    "adapter and the ONNX file. --resume continues an interrupted run: finished stages are\n" +
    "skipped, the one in progress continues from its checkpoint.",
  flags: {
    data: textFlag(
      "data",
      "DATA",
      "fashion-mnist[:DIR], cifar10:DIR or imagenet:DIR, for every stage",
      (text) => void parseDataSpec(text), // one line on a bad --data, before any stage
    ),
    "madds-max": optionalFlag(
      textFlag(
        "maddsMax",
        "C",
        'hard cap on the found network\'s MAdds ("10M", "300k"): the search\'s --madds-max',
        (text, flag) => void readMAdds(flag, text),
      ),
      "none",
    ),
    out: textFlag("out", "DIR", "the run's folder"),
    quick: switchFlag("quick", "a smoke run of a few minutes: every stage's --quick"),
    resume: switchFlag(
      "resume",
      "continue the run in OUT: finished stages are skipped, the interrupted one\n" +
        "resumes from its checkpoint (the settings must be the ones it was started with)",
    ),
  },
  notes: PASS_THROUGH_HELP,
};

/** `deno task autospace --help`. */
export const AUTOSPACE_USAGE: string = configHelp(AUTOSPACE_COMMAND, DEFAULT_AUTOSPACE_SETTINGS);

/** A checked `deno task autospace` command line. */
export interface AutospaceConfig extends AutospaceSettings {
  /** Every stage's settings, as its own parser read them (without `--resume`). */
  readonly evolve: EvolveConfig;
  readonly search: SearchConfig;
  readonly train: TrainRequest;
  readonly export: ExportRequest;
}

/**
 * Reads a `deno task autospace` command line (see `AUTOSPACE_COMMAND`). Throws one
 * line naming the bad flag; reads and writes nothing.
 */
export function parseAutospaceArgs(args: readonly string[]): AutospaceConfig {
  const split = splitStageArgs(args);
  const own = parseConfigLine(AUTOSPACE_COMMAND, split.own, DEFAULT_AUTOSPACE_SETTINGS).config;
  const out = own.out.replace(/\/+$/, "");
  if (out.trim() === "") throw new Error("--out must name a folder, got an empty value");
  const paths = stageLayout(out);
  const { quick, data, maddsMax } = own;
  const cap = maddsMax === undefined ? null : readMAdds("madds-max", maddsMax);
  const { stages } = split;
  // Each stage's parser reads the user's --STAGE.FLAGs; what autospace sets is typed.
  return {
    data,
    maddsMax,
    out,
    quick,
    resume: own.resume,
    evolve: parseStageArgs(
      "evolve",
      stages.evolve,
      (args) => parseEvolveArgs(args, { quick, data, out: paths.evolve }),
    ),
    search: parseStageArgs(
      "search",
      stages.search,
      (args) =>
        parseSearchArgs(args, {
          quick,
          data,
          space: paths.space,
          maddsMax: cap,
          out: paths.search,
        }),
    ),
    train: parseStageArgs(
      "train",
      stages.train,
      (args) => parseTrainArgs(args, { quick, data, arch: paths.network, out: paths.train }),
    ),
    export: parseStageArgs(
      "export",
      stages.export,
      (args) => parseExportArgs(args, { checkpoint: paths.checkpoint, out: paths.model }),
    ),
  };
}
