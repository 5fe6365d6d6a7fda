/**
 * The `deno task null-evolve` command line: its flags, each declared once with the field
 * it sets (the `--help` text and its defaults come from them), and `parseNullEvolveArgs`,
 * which reads no file.
 */
import {
  type ConfigCommand,
  configHelp,
  optionalFlag,
  parseConfigLine,
  readSeeds,
  textFlag,
} from "../util/cli_command.ts";

/** What `deno task null-evolve` was asked. */
export interface NullEvolveRequest {
  /** The finished evolve run's folder (search_space.json, history.jsonl). */
  readonly run: string;
  readonly out: string;
  readonly seeds: readonly number[];
}

/** The request without flags (the run and `--out` must be given). */
export const DEFAULT_NULL_EVOLVE: NullEvolveRequest = {
  run: "",
  out: "",
  seeds: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
};

/** The flags of `deno task null-evolve`. */
export const NULL_EVOLVE_COMMAND: ConfigCommand<NullEvolveRequest> = {
  usage: "deno task null-evolve RUN --out DIR [--seeds LIST]",
  summary: "The evolution's null model for a finished run (RUN holds its search_space.json\n" +
    "and history.jsonl): the same populations, tournaments, mutations and τ phases, with\n" +
    "each supernet's α steps, taken from the run's history, given to random cells.\n" +
    "Writes DIR/seedS/search_space.json (and initial_space.json, its initial populations)\n" +
    "and DIR/chance.json, and prints how alike the null spaces are pair by pair: the\n" +
    "chance level for `deno task compare-spaces` of real runs.",
  positionals: true,
  flags: {
    out: optionalFlag(textFlag("out", "DIR", "where the null spaces go"), "required"),
    seeds: { key: "seeds", arg: "LIST", help: "seeds of the null runs", read: readSeeds },
  },
};

/** `deno task null-evolve --help`. */
export const NULL_EVOLVE_USAGE: string = configHelp(NULL_EVOLVE_COMMAND, DEFAULT_NULL_EVOLVE);

/** Reads `deno task null-evolve` arguments; throws one line naming what is wrong. */
export function parseNullEvolveArgs(args: readonly string[]): NullEvolveRequest {
  const line = parseConfigLine(NULL_EVOLVE_COMMAND, args, DEFAULT_NULL_EVOLVE);
  const { config: request, positionals } = line;
  if (positionals.length !== 1) {
    throw new Error("give one finished evolve run folder (it holds search_space.json)");
  }
  if (request.out.trim() === "") throw new Error("--out DIR is required");
  return { ...request, run: positionals[0] };
}
