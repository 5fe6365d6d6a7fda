/**
 * The `deno task inspect` command line: its flags, each declared once with the field it
 * sets (the `--help` text and its defaults come from them), and `parseInspectArgs`,
 * which reads no file.
 */
import {
  type ConfigCommand,
  configHelp,
  numberFlag,
  optionalFlag,
  parseConfigLine,
  POSITIVE,
  switchFlag,
  textFlag,
} from "../util/cli_command.ts";
import { BUILTIN_BACKBONES, SEARCH_SPACE_CONFIG_BACKBONE } from "./backbone.ts";
import { builtinTargets } from "./load.ts";

/** What `deno task inspect` was asked. */
export interface InspectRequest {
  /** A built-in, "open-space" or a JSON file. */
  readonly target: string;
  /** Input side length to count at; undefined: the spec's (224 for a net.config). */
  readonly inputSize: number | undefined;
  readonly json: boolean;
  /** Folder to draw the distinct cells in; undefined: none drawn. */
  readonly draw: string | undefined;
  /** Backbone of a SuperProxylessNASNets search-space config. */
  readonly backbone: string;
}

/** The request without flags (the target is positional). */
export const DEFAULT_INSPECT: InspectRequest = {
  target: "",
  inputSize: undefined,
  json: false,
  draw: undefined,
  backbone: SEARCH_SPACE_CONFIG_BACKBONE,
};

/** The flags of `deno task inspect`. */
export const INSPECT_COMMAND: ConfigCommand<InspectRequest> = {
  usage: "deno task inspect <network|file|open-space> [--input N] [--json] [--draw DIR] " +
    "[--backbone NAME]",
  summary:
    "Prints a per-layer table (shapes, op, params, MAdds with the ProxylessNAS convention)\n" +
    "and totals of a network or search space; files are told apart by content.",
  positionals: true,
  flags: {
    input: optionalFlag(
      numberFlag("inputSize", "N", POSITIVE, "input side length to count at"),
      "the spec's input size; 224 for net.config files",
    ),
    json: switchFlag("json", "print the same as JSON"),
    draw: optionalFlag(
      textFlag("draw", "DIR", "draw every distinct cell as SVG and PNG in DIR"),
      "none",
    ),
    backbone: textFlag(
      "backbone",
      "NAME",
      "backbone of a SuperProxylessNASNets search-space config",
    ),
  },
  notes: `built-ins: ${builtinTargets().join(", ")}, open-space\n` +
    `backbones: ${Object.keys(BUILTIN_BACKBONES).join(", ")}`,
};

/** `deno task inspect --help`. */
export const INSPECT_USAGE: string = configHelp(INSPECT_COMMAND, DEFAULT_INSPECT);

/** Reads `deno task inspect` arguments; throws one line naming what is wrong. */
export function parseInspectArgs(args: readonly string[]): InspectRequest {
  const { config, positionals } = parseConfigLine(INSPECT_COMMAND, args, DEFAULT_INSPECT);
  if (positionals.length !== 1) {
    throw new Error(
      `expected one network, got ${positionals.length}. usage: ${INSPECT_COMMAND.usage}`,
    );
  }
  return { ...config, target: positionals[0] };
}
