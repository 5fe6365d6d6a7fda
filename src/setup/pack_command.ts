/**
 * The `deno task pack-gpu` command line: its flags, each declared once with the field of
 * `PackRequest` it sets (the `--help` text and its defaults come from them), and
 * `parsePackArgs`.
 */
import * as cli from "../util/cli_command.ts";
import { BUNDLE_FOLDER } from "./gpu_bundle.ts";

/** What `deno task pack-gpu` was asked. */
export interface PackRequest {
  /** The bundle for an offline GPU server. */
  readonly out: string;
  /** Instead: the tools folder a checkout carries to a lent GPU machine; null: the bundle. */
  readonly tools: string | null;
}

/** The request without flags. */
export const DEFAULT_PACK: PackRequest = { out: "out/autospace-gpu.tar.gz", tools: null };

const text = cli.textFlag<PackRequest>;

/** The flags of `deno task pack-gpu`. */
export const PACK_COMMAND: cli.ConfigCommand<PackRequest> = {
  usage: "deno task pack-gpu [--out FILE | --tools DIR]",
  summary: "Packs an offline bundle for a headless GPU server: the project's tracked files, its\n" +
    "linux-x64 npm packages, the Deno binary, Debian's Vulkan loader (libvulkan1) and a slice\n" +
    `of Fashion-MNIST. On the server: tar xzf FILE && cd ${BUNDLE_FOLDER} && ./run.sh bench,\n` +
    "or ./gpu-check.sh OUTDIR (the GPU check; docs/performance.md). Run scripts check for a\n" +
    "Vulkan adapter first and say what to install when there is none.",
  flags: {
    out: text("out", "FILE", "the bundle to write"),
    tools: cli.optionalFlag(
      text(
        "tools",
        "DIR",
        "write the tools folder a checkout carries to a lent GPU machine instead\n" +
          "(Deno and node_modules xz-compressed, libvulkan1, the data slice; e.g. .tools/gpu),\n" +
          "for scripts/gpu_check.sh",
      ),
      "none: the bundle",
    ),
  },
};

/** `deno task pack-gpu --help`. */
export const PACK_USAGE: string = cli.configHelp(PACK_COMMAND, DEFAULT_PACK);

/** Reads `deno task pack-gpu` arguments; throws one line naming what is wrong. */
export function parsePackArgs(args: readonly string[]): PackRequest {
  const { config, given } = cli.parseConfigLine(PACK_COMMAND, args, DEFAULT_PACK);
  if (given.out !== undefined && config.tools !== null) {
    throw new Error("give --out (the bundle) or --tools (the tools folder), not both");
  }
  return config;
}
