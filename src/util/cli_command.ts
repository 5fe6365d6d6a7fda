/**
 * The flag toolkit of every command: a command's flags as data — the table its `--help`
 * is generated from (so the defaults it prints are the ones used) — strict parsing by
 * that table with one-line errors, number rules, choices and counts ("5M"). A table of
 * `ConfigFlag`s declares each flag once (name, what it reads, its range, the config
 * field it sets, its help line); the default it prints is that field's value in the
 * command's default config. Lives in src/ so that one command can call another's.
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
  // A flag too long for the column has its help on the lines below.
  const width = Math.min(Math.max(...rows.map(([left]) => left.length)), 26) + 2;
  const lines = rows.map(([left, right]) => {
    const help = right.split("\n");
    const head = left.length + 2 <= width ? [`  ${left.padEnd(width)}${help.shift()}`] : [
      `  ${left}`,
    ];
    return [...head, ...help.map((r) => `  ${" ".repeat(width)}${r}`)].join("\n");
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

/** How a numeric flag is checked: an integer or any number, and its bounds. */
export interface NumberRule {
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Strict bounds (exclusive). */
  readonly above?: number;
  readonly below?: number;
}

/** Integers ≥ 0 (image counts, seeds, steps where 0 means "off" or "all"). */
export const COUNT: NumberRule = { integer: true, min: 0 };
/** Integers ≥ 1. */
export const POSITIVE: NumberRule = { integer: true, min: 1 };
/** Numbers in [0, 1) (momentum, β, label smoothing). */
export const FRACTION: NumberRule = { min: 0, below: 1 };

/** Parses a numeric flag value; throws one line naming the flag and the rule it breaks. */
export function readNumber(flag: string, text: string | undefined, rule: NumberRule = {}): number {
  const v = Number(text);
  const kind = rule.integer ? "an integer" : "a number";
  if (
    text === undefined || text.trim() === "" || !Number.isFinite(v) ||
    (rule.integer && !Number.isInteger(v))
  ) {
    throw new Error(`--${flag} must be ${kind}, got "${text}"`);
  }
  const bad = (what: string) => new Error(`--${flag} must be ${what}, got ${v}`);
  if (rule.min !== undefined && v < rule.min) {
    throw bad(
      rule.min === 1 && rule.integer
        ? "a positive integer"
        : rule.min === 0
        ? `${kind} ≥ 0`
        : `≥ ${rule.min}`,
    );
  }
  if (rule.max !== undefined && v > rule.max) throw bad(`≤ ${rule.max}`);
  if (rule.above !== undefined && !(v > rule.above)) throw bad(`> ${rule.above}`);
  if (rule.below !== undefined && !(v < rule.below)) throw bad(`< ${rule.below}`);
  return v;
}

/** Parses a numeric flag or throws one line naming it and the range it must be in. */
export function cliNumber(flag: string, text: string | undefined, rule: NumberRule = {}): number {
  return readNumber(flag, text, rule);
}

/** A numeric flag without a default: undefined when absent, else checked as `cliNumber`. */
export function cliOptionalNumber(
  flag: string,
  text: string | undefined,
  rule: NumberRule = {},
): number | undefined {
  return text === undefined ? undefined : readNumber(flag, text, rule);
}

/** `text` when it is one of `allowed`; else one line naming the flag and the choices. */
export function oneOf<T extends string>(flag: string, text: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new Error(`--${flag} must be one of ${allowed.join(", ")}, got "${text}"`);
  }
  return text as T;
}

/** A positive count with an optional k/M/G suffix ("5M", "300k", "5000000"); null if not one. */
export function parseCount(text: string): number | null {
  const match = /^([0-9]*\.?[0-9]+(?:e[0-9]+)?)([kmg]?)$/.exec(text.trim().toLowerCase());
  if (!match) return null;
  const scale = { "": 1, k: 1e3, m: 1e6, g: 1e9 }[match[2] as "" | "k" | "m" | "g"];
  const count = Number(match[1]) * scale;
  return count > 0 && Number.isFinite(count) ? count : null;
}

/** An output folder's flag value: any non-empty text. */
export function readFolder(flag: string, text: string): string {
  if (text.trim() === "") throw new Error(`--${flag} must name a folder, got an empty value`);
  return text;
}

/**
 * One flag that sets one field of a config, declared once: the field, how the text is
 * read and checked (absent: a switch that sets `true`), the help line, and how the
 * field's value is written back in `--help` (the default shown is the default config's
 * value of the field, so `--help` cannot disagree with the run).
 */
export interface ConfigFlag<C> {
  readonly key: keyof C & string;
  /** Placeholder of the value in `--help` ("N", "DIR"); absent for a switch. */
  readonly arg?: string;
  readonly short?: string;
  readonly help: string;
  /** Reads the flag's text into the field's value; throws one line naming the flag. */
  readonly read?: (text: string, flag: string) => unknown;
  /** The field's value as `--help` writes it; default: `showValue`. */
  readonly show?: (value: never) => string;
  /** The default as `--help` writes it, where it is computed rather than a field's value. */
  readonly defaultText?: string;
}

/** A command whose flags set the fields of a config `C`. */
export interface ConfigCommand<C> {
  /** Usage line after "usage: ". */
  readonly usage: string;
  /** What the task does, a few lines. */
  readonly summary: string;
  readonly flags: Readonly<Record<string, ConfigFlag<C>>>;
  /** Whether the task takes positional arguments (named in `usage`). */
  readonly positionals?: boolean;
  /** Extra text after the flags (environment, examples). */
  readonly notes?: string;
}

/** A value as `--help` writes it: null is "none", a list is comma-separated. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined) return "none";
  if (Array.isArray(value)) return value.join(",");
  return String(value);
}

/** A numeric flag of field `key`, checked by `rule`. */
export function numberFlag<C>(
  key: keyof C & string,
  arg: string,
  rule: NumberRule,
  help: string,
): ConfigFlag<C> {
  return { key, arg, help, read: (text, flag) => readNumber(flag, text, rule) };
}

/** A flag whose value is one of `choices`. */
export function choiceFlag<C>(
  key: keyof C & string,
  choices: readonly string[],
  help: string,
  arg = choices.join("|"),
): ConfigFlag<C> {
  return { key, arg, help, read: (text, flag) => oneOf(flag, text, choices) };
}

/** A flag that takes text, checked by `check` (which throws one line) where given. */
export function textFlag<C>(
  key: keyof C & string,
  arg: string,
  help: string,
  check?: (text: string, flag: string) => void,
): ConfigFlag<C> {
  return {
    key,
    arg,
    help,
    read: (text, flag) => {
      check?.(text, flag);
      return text;
    },
  };
}

/** `flag` where its field has no default value: `--help` says what leaving it out means. */
export function optionalFlag<C>(flag: ConfigFlag<C>, absent: string): ConfigFlag<C> {
  return { ...flag, defaultText: absent };
}

/** A switch: given, it sets field `key` to true. */
export function switchFlag<C>(key: keyof C & string, help: string): ConfigFlag<C> {
  return { key, help };
}

/** Reads `args` strictly by the command's flags: the text (or `true`) of each flag given. */
export function readConfigArgs<C>(
  cmd: ConfigCommand<C>,
  args: readonly string[],
): Record<string, string | boolean | undefined> {
  return readConfigLine(cmd, args).values;
}

/** `readConfigArgs`, and the positional arguments where the command takes them. */
export function readConfigLine<C>(
  cmd: ConfigCommand<C>,
  args: readonly string[],
): { values: Record<string, string | boolean | undefined>; positionals: string[] } {
  const flags: Record<string, CliFlag> = {};
  for (const [name, f] of Object.entries(cmd.flags)) {
    flags[name] = { type: f.arg === undefined ? "boolean" : "string", short: f.short, help: "" };
  }
  const line = { usage: cmd.usage, summary: "", flags, positionals: cmd.positionals };
  return parseCommandArgs(line, args);
}

/**
 * Reads a command line by `cmd`: `base` with every given flag's field set, the flags as
 * given (for checks of which go together) and the positional arguments.
 */
export function parseConfigLine<C>(
  cmd: ConfigCommand<C>,
  args: readonly string[],
  base: C,
): {
  config: C;
  given: Record<string, string | boolean | undefined>;
  positionals: string[];
} {
  const { values, positionals } = readConfigLine(cmd, args);
  return { config: applyConfigArgs(cmd, values, base), given: values, positionals };
}

/** The items of a comma list, trimmed, empty ones left out. */
export function readList(text: string): string[] {
  return text.split(",").map((item) => item.trim()).filter((item) => item !== "");
}

/** A comma list of distinct seeds (integers ≥ 0); one line naming the flag otherwise. */
export function readSeeds(text: string, flag: string): number[] {
  const seeds = readList(text).map((s) => readNumber(flag, s, COUNT));
  if (seeds.length === 0 || new Set(seeds).size !== seeds.length) {
    throw new Error(`--${flag} must name distinct seeds, got "${text}"`);
  }
  return seeds;
}

/** `base` with the field of every flag in `values` set from its text. */
export function applyConfigArgs<C>(
  cmd: ConfigCommand<C>,
  values: Record<string, string | boolean | undefined>,
  base: C,
): C {
  const config: Record<string, unknown> = { ...base as Record<string, unknown> };
  for (const [name, f] of Object.entries(cmd.flags)) {
    const given = values[name];
    if (given === undefined || given === false) continue;
    config[f.key] = f.read === undefined ? true : f.read(given as string, name);
  }
  return config as C;
}

/** The `--help` default of one flag in `config`. */
export function shownDefault<C>(flag: ConfigFlag<C>, config: C): string {
  if (flag.defaultText !== undefined) return flag.defaultText;
  const value = config[flag.key];
  return flag.show ? flag.show(value as never) : showValue(value);
}

/**
 * The flags that turn `base` into `config`, as a user would type them: for logs and
 * records of what a stage ran (`deno task search ...`); the program passes the config
 * itself, never this text.
 */
export function configArgs<C>(cmd: ConfigCommand<C>, config: C, base: C): string[] {
  const args: string[] = [];
  for (const [name, f] of Object.entries(cmd.flags)) {
    if (f.arg === undefined) {
      if (config[f.key] === true && base[f.key] !== true) args.push(`--${name}`);
      continue;
    }
    const shown = f.show ? f.show(config[f.key] as never) : showValue(config[f.key]);
    const before = f.show ? f.show(base[f.key] as never) : showValue(base[f.key]);
    if (shown !== before) args.push(`--${name}`, shown);
  }
  return args;
}

/**
 * The `--help` text of a config command: each flag's default is its field in `defaults`;
 * `variants` (a label and the config it starts from, e.g. `--quick`) add their value
 * where it differs.
 */
export function configHelp<C>(
  cmd: ConfigCommand<C>,
  defaults: C,
  variants: readonly (readonly [string, C])[] = [],
): string {
  const flags: Record<string, CliFlag> = {};
  for (const [name, f] of Object.entries(cmd.flags)) {
    if (f.arg === undefined) {
      flags[name] = { type: "boolean", short: f.short, help: f.help };
      continue;
    }
    const shown = shownDefault(f, defaults);
    const others = variants
      .map(([label, config]) => [label, shownDefault(f, config)] as const)
      .filter(([, text]) => text !== shown)
      .map(([label, text]) => `; ${label}: ${text}`);
    flags[name] = {
      type: "string",
      short: f.short,
      arg: f.arg,
      help: f.help,
      defaultText: shown + others.join(""),
    };
  }
  return helpText({ usage: cmd.usage, summary: cmd.summary, flags, notes: cmd.notes });
}

/**
 * The defaults a `--help` text prints, by flag name ("(default: X)" at the end of the
 * flag's entry); for tests that check them against the config a task runs with.
 */
export function helpDefaults(help: string): Map<string, string> {
  const out = new Map<string, string>();
  const entries = help.split(/\n(?= {2}(?:-[A-Za-z], )?--)/);
  for (const entry of entries) {
    const name = /^\s*(?:-[A-Za-z], )?--([a-z0-9.-]+)/.exec(entry)?.[1];
    const shown = /\(default: ([^]*)\)\s*$/.exec(entry)?.[1];
    if (name !== undefined && shown !== undefined) out.set(name, shown.replace(/\s+/g, " "));
  }
  return out;
}
