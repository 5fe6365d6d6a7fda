/**
 * Shared CLI plumbing of the scripts: `--help` (printed from the command's flag
 * table, then exit 0), and errors as one line with a non-zero exit. The flag tables,
 * their parser and number flags are in src/util/cli_command.ts.
 */
import {
  type CliCommand,
  type CliFlag,
  type CliValues,
  helpText,
  parseCommandArgs,
} from "../src/util/cli_command.ts";
import { InterruptedError } from "../src/util/interrupt.ts";

export {
  type CliCommand,
  type CliFlag,
  cliNumber,
  cliOptionalNumber,
  type CliValues,
  helpText,
  joinNegativeValues,
} from "../src/util/cli_command.ts";

/** True when `args` ask for help ("--help" or "-h" before any "--"). */
export function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf("--");
  const head = end < 0 ? args : args.slice(0, end);
  return head.includes("--help") || head.includes("-h");
}

/**
 * Parses `args` by `cmd`. With --help/-h, prints the help text and exits 0 before
 * anything else is checked; a bad flag throws one line that points at --help.
 */
export function parseCli<F extends Record<string, CliFlag>>(
  cmd: CliCommand & { flags: F },
  args: readonly string[],
): { values: CliValues<F>; positionals: string[] } {
  if (wantsHelp(args)) {
    console.log(helpText(cmd));
    Deno.exit(0);
  }
  return parseCommandArgs(cmd, args);
}

/** An argument as a shell reads it back: quoted only when it must be. */
function shellWord(arg: string): string {
  return /^[A-Za-z0-9_.,:+@%/=-]+$/.test(arg) ? arg : `'${arg.replaceAll("'", `'\\''`)}'`;
}

/** The command that continues an interrupted run: the same task and flags, plus --resume. */
export function resumeCommand(task: string, args: readonly string[]): string {
  const words = args.includes("--resume") ? [...args] : [...args, "--resume"];
  return [`deno task ${task}`, ...words.map(shellWord)].join(" ");
}

/**
 * Runs `main`; any error becomes one line on stderr and exit code 1. A run stopped by a
 * signal (after its checkpoint) says where, and how to continue, in one line and exits
 * with the signal's code (130, 143, 138).
 */
export async function runCli(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    if (e instanceof InterruptedError) {
      console.error(`${name}: ${e.message}; continue with: ${resumeCommand(name, Deno.args)}`);
      Deno.exit(e.exitCode);
    }
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`${name}: ${msg.split("\n")[0]}`);
    if (Deno.env.get("AUTOSPACE_DEBUG")) console.error(e);
    Deno.exit(1);
  }
}
