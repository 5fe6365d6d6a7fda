/**
 * The `deno task compare-spaces` command line: its flags, each declared once with the
 * field of `CompareRequest` it sets (the `--help` text comes from them), and
 * `parseCompareArgs`, which reads no file.
 */
import * as cli from "../util/cli_command.ts";

/** What `deno task compare-spaces` was asked. */
export interface CompareRequest {
  /** The search_space.json files, in the order given. */
  readonly spaces: readonly string[];
  /** Also write BASE.md and BASE.json; null: print only. */
  readonly out: string | null;
  readonly pairs: boolean;
  /** A `deno task null-evolve` folder to test the spaces against; null: no test. */
  readonly null: string | null;
  readonly figures: boolean;
}

/** The request without flags (the spaces must be given). */
export const DEFAULT_COMPARE: CompareRequest = {
  spaces: [],
  out: null,
  pairs: false,
  null: null,
  figures: false,
};

const text = cli.textFlag<CompareRequest>;
const toggle = cli.switchFlag<CompareRequest>;

/** The flags of `deno task compare-spaces`. */
export const COMPARE_COMMAND: cli.ConfigCommand<CompareRequest> = {
  usage: "deno task compare-spaces SPACE.json SPACE.json [...] [--pairs] [--figures] " +
    "[--null DIR] [--out BASE]",
  summary: "Compares learned search spaces (deno task evolve's search_space.json) layer by\n" +
    "layer: cells shared by all, mean pairwise Jaccard overlap of the cell sets, and the\n" +
    "total-variation distance between their mixes of edge ops, ratios and aggregations.\n" +
    "With --figures, also what each space's cells are like (one space is enough): op mix\n" +
    "of the live edges, ratios, product nodes, MAdds a cell, depth. A run's\n" +
    "initial_space.json holds its initial populations.",
  positionals: true,
  flags: {
    out: cli.optionalFlag(
      text("out", "BASE", "also write BASE.md and BASE.json"),
      "none: print the table only",
    ),
    pairs: toggle(
      "pairs",
      "also each figure's mean and range over the pairs of spaces, as\n" +
        "deno task null-evolve reports its chance level",
    ),
    null: cli.optionalFlag(
      text(
        "null",
        "DIR",
        "also test the spaces given against the null spaces in DIR/*/search_space.json\n" +
          "(deno task null-evolve's folders): each figure's mean over their pairs against\n" +
          "every group of as many null spaces, one-sided p, Holm over the figures",
      ),
      "none",
    ),
    figures: toggle(
      "figures",
      "also each space's op mix of the live edges, ratios, product nodes, MAdds\n" +
        "a cell and depth (the means of its layers)",
    ),
  },
};

/** `deno task compare-spaces --help`. */
export const COMPARE_USAGE: string = cli.configHelp(COMPARE_COMMAND, DEFAULT_COMPARE);

/** Reads `deno task compare-spaces` arguments; throws one line naming what is wrong. */
export function parseCompareArgs(args: readonly string[]): CompareRequest {
  const { config, positionals } = cli.parseConfigLine(COMPARE_COMMAND, args, DEFAULT_COMPARE);
  const least = config.figures ? 1 : 2;
  if (positionals.length < least) {
    throw new Error(
      config.figures
        ? "give at least one search_space.json file"
        : "give at least two search_space.json files to compare (or one with --figures)",
    );
  }
  return { ...config, spaces: positionals };
}
