/**
 * The `deno task setup` command line: its switches, each declared once with the field of
 * `SetupRequest` it sets (the `--help` text comes from them), and `parseSetupArgs`.
 */
import { FASHION_MNIST_DEFAULT_DIR } from "../data/fashion_mnist.ts";
import * as cli from "../util/cli_command.ts";

/** What `deno task setup` was asked. */
export interface SetupRequest {
  readonly quiet: boolean;
  readonly data: boolean;
  readonly slurm: boolean;
  readonly noInstall: boolean;
}

/** The request without flags: check the adapter, install it where it can. */
export const DEFAULT_SETUP: SetupRequest = {
  quiet: false,
  data: false,
  slurm: false,
  noInstall: false,
};

const toggle = cli.switchFlag<SetupRequest>;

/** The switches of `deno task setup`. */
export const SETUP_COMMAND: cli.ConfigCommand<SetupRequest> = {
  usage: "deno task setup [--quiet] [--data] [--slurm] [--no-install]",
  summary:
    "Checks for a Vulkan WebGPU adapter (DENO_WEBGPU_BACKEND=vulkan, the backend every task\n" +
    "uses on Linux) and installs mesa-vulkan-drivers with apt-get when there is none and it\n" +
    "runs as root; otherwise prints one line saying what to install and exits 1.",
  flags: {
    quiet: toggle("quiet", "print only warnings and errors"),
    data: toggle(
      "data",
      `also make sure Fashion-MNIST is in ${FASHION_MNIST_DEFAULT_DIR}\n` +
        "(Debian's dataset-fashion-mnist)",
    ),
    slurm: toggle(
      "slurm",
      "also install Slurm and munge when missing and root (for the cluster test);\n" +
        "where it cannot, say why in one line and go on",
    ),
    "no-install": toggle(
      "noInstall",
      "never install packages: check, and say what is missing (GPU servers)",
    ),
  },
};

/** `deno task setup --help`. */
export const SETUP_USAGE: string = cli.configHelp(SETUP_COMMAND, DEFAULT_SETUP);

/** Reads `deno task setup` arguments; throws one line naming what is wrong. */
export function parseSetupArgs(args: readonly string[]): SetupRequest {
  return cli.parseConfigLine(SETUP_COMMAND, args, DEFAULT_SETUP).config;
}
