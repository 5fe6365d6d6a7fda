/**
 * A command's flags as data: the table a task's `--help` is generated from (so the
 * defaults it prints are the ones used), strict parsing by that table with one-line
 * errors, and number flags. Lives in src/ so that one command can ask another's
 * parser (autospace checks the flags it passes to train and export).
 */
import { parseArgs } from "node:util";

/** One flag of a task: its node:util type plus what `--help` says about it. */
export interface CliFlag {
  type: "string" | "boolean";
  short?: string;
  default?: string | boolean;
  /** Placeholder for the value in `--help` ("N", "DIR"); default "VALUE". */
  arg?: string;
  /** Default shown by `--help` when it is computed rather than fixed. */
  defaultText?: string;
  /** One line (or a few) saying what the flag does. */
  help: string;
}

/** A task's command line: how it is called and its flags. */
export interface CliCommand {
  /** Usage line after "usage: ", e.g. "deno task train [flags]". */
  usage: string;
  /** What the task does, a few lines. */
  summary: string;
  flags: Record<string, CliFlag>;
  /** Whether the task takes positional arguments (named in `usage`). */
  positionals?: boolean;
  /** Extra text after the flags (environment, examples). */
  notes?: string;
}

/** Values of `flags`: strings (undefined when unset without default) or booleans. */
export type CliValues<F extends Record<string, CliFlag>> = {
  [K in keyof F]: F[K]["type"] extends "boolean" ? boolean : string | undefined;
};

/** The `--help` text of a command: usage, summary, then one entry per flag with its default. */
export function helpText(cmd: CliCommand): string {
  const rows: [string, string][] = Object.entries(cmd.flags).map(([name, f]) => {
    const left = `${f.short ? `-${f.short}, ` : ""}--${name}${
      f.type === "string" ? ` ${f.arg ?? "VALUE"}` : ""
    }`;
    const shown = f.defaultText ?? (typeof f.default === "string" ? f.default : undefined);
    return [left, shown === undefined ? f.help : `${f.help} (default: ${shown})`];
  });
  rows.push(["-h, --help", "print this text and exit"]);
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  const lines = rows.map(([left, right]) => {
    const [first, ...rest] = right.split("\n");
    return [`  ${left.padEnd(width)}${first}`, ...rest.map((r) => `  ${" ".repeat(width)}${r}`)]
      .join("\n");
  });
  return [
    `usage: ${cmd.usage}`,
    "",
    cmd.summary,
    "",
    "flags:",
    ...lines,
    ...(cmd.notes ? ["", cmd.notes] : []),
  ].join("\n");
}

/** A command-line token that is a negative number ("-1", "-0.5", "-1e-3"). */
const NEGATIVE_NUMBER = /^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * A negative count written with a unit: "-5M", "-300k" MAdds, "-2x" the reference
 * cell. Every flag that takes such a count wants a positive one.
 */
const NEGATIVE_COUNT = /^-(\d+\.?\d*|\.\d+)(e[+-]?\d+)?[kmgx]$/i;

/**
 * Joins "--flag -1" into "--flag=-1" for flags that take a value: node:util would
 * otherwise refuse "-1" as an ambiguous option, and the number check that follows
 * can say what range the value must be in. A negative count ("--madds-max -5M")
 * throws one line saying the flag must be positive.
 */
export function joinNegativeValues(
  args: readonly string[],
  takesValue: (flag: string) => boolean,
): string[] {
  const out: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      out.push(...args.slice(i));
      break;
    }
    const next = args[i + 1];
    const flag = /^--([^=]+)$/.exec(arg)?.[1];
    if (flag !== undefined && next !== undefined && takesValue(flag)) {
      if (NEGATIVE_COUNT.test(next)) throw new Error(`--${flag} must be positive, got ${next}`);
      if (NEGATIVE_NUMBER.test(next)) {
        out.push(`${arg}=${next}`);
        i++;
        continue;
      }
    }
    out.push(arg);
  }
  return out;
}

/**
 * Parses `args` by `cmd` (no `--help` handling: see scripts/_cli.ts `parseCli`);
 * a bad flag throws one line that points at --help.
 */
export function parseCommandArgs<F extends Record<string, CliFlag>>(
  cmd: CliCommand & { flags: F },
  args: readonly string[],
): { values: CliValues<F>; positionals: string[] } {
  const options: Record<string, { type: "string" | "boolean"; short?: string; default?: never }> =
    {};
  for (const [name, f] of Object.entries(cmd.flags)) {
    options[name] = {
      type: f.type,
      ...(f.short ? { short: f.short } : {}),
      ...(f.default !== undefined ? { default: f.default as never } : {}),
    };
  }
  const joined = joinNegativeValues(args, (flag) => cmd.flags[flag]?.type === "string");
  try {
    const parsed = parseArgs({
      args: joined,
      options,
      strict: true,
      allowPositionals: cmd.positionals ?? false,
    });
    return { values: parsed.values as CliValues<F>, positionals: parsed.positionals };
  } catch (err) {
    // node:util's messages can span lines (hints); keep them, on one line.
    throw new Error(`${(err as Error).message.replace(/\s*\n\s*/g, " ")} (see --help)`);
  }
}

/** Parses a numeric flag or throws one line naming it and the range it must be in. */
export function cliNumber(
  flag: string,
  text: string | undefined,
  opts: { integer?: boolean; min?: number; max?: number } = {},
): number {
  const v = Number(text);
  const kind = opts.integer ? "an integer" : "a number";
  if (text === undefined || text.trim() === "" || !Number.isFinite(v)) {
    throw new Error(`--${flag} must be ${kind}, got "${text}"`);
  }
  if (opts.integer && !Number.isInteger(v)) throw new Error(`--${flag} must be ${kind}, got ${v}`);
  if (opts.min !== undefined && v < opts.min) {
    const what = opts.min === 1 && opts.integer
      ? "a positive integer"
      : opts.min === 0
      ? `${kind} ≥ 0`
      : `≥ ${opts.min}`;
    throw new Error(`--${flag} must be ${what}, got ${v}`);
  }
  if (opts.max !== undefined && v > opts.max) {
    throw new Error(`--${flag} must be ≤ ${opts.max}, got ${v}`);
  }
  return v;
}

/** A numeric flag without a default: undefined when absent, else checked as `cliNumber`. */
export function cliOptionalNumber(
  flag: string,
  text: string | undefined,
  opts: { integer?: boolean; min?: number; max?: number } = {},
): number | undefined {
  return text === undefined ? undefined : cliNumber(flag, text, opts);
}
