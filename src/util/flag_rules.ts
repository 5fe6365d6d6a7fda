import { parseArgs } from "node:util";

/**
 * Checked reading of command-line values for the configs that live in src/ (evolve,
 * search): a numeric flag against its rule, a choice among names, and counts written
 * the papers' way ("5M", "300k"). Every error is one line naming the flag.
 */

/** How a numeric flag is checked; `key` names the config field it sets. */
export interface NumberRule<K extends string = string> {
  readonly key: K;
  readonly integer?: boolean;
  readonly min?: number;
  readonly max?: number;
  /** Strict bounds (exclusive). */
  readonly above?: number;
  readonly below?: number;
}

/** Parses a numeric flag value; throws one line naming the flag and the rule. */
export function readNumber(flag: string, text: string, rule: Omit<NumberRule, "key">): number {
  const value = Number(text);
  const kind = rule.integer ? "an integer" : "a number";
  if (text.trim() === "" || !Number.isFinite(value) || (rule.integer && !Number.isInteger(value))) {
    throw new Error(`--${flag} must be ${kind}, got "${text}"`);
  }
  const bad = (what: string) => new Error(`--${flag} must be ${what}, got ${text}`);
  if (rule.min !== undefined && value < rule.min) throw bad(`>= ${rule.min}`);
  if (rule.max !== undefined && value > rule.max) throw bad(`<= ${rule.max}`);
  if (rule.above !== undefined && !(value > rule.above)) throw bad(`> ${rule.above}`);
  if (rule.below !== undefined && !(value < rule.below)) throw bad(`< ${rule.below}`);
  return value;
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

/**
 * Parses `args` strictly (no positionals) into flag values: `strings` take a value,
 * `booleans` do not, `shorts` maps a one-letter alias to its flag. An unknown or
 * malformed flag is one line ending in "(see --help)".
 */
export function parseFlags(
  args: readonly string[],
  strings: readonly string[],
  booleans: readonly string[],
  shorts: Readonly<Record<string, string>> = {},
): Record<string, string | boolean | undefined> {
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const flag of strings) options[flag] = { type: "string" };
  for (const flag of booleans) options[flag] = { type: "boolean" };
  for (const [short, flag] of Object.entries(shorts)) options[flag].short = short;
  try {
    return parseArgs({ args: [...args], options, strict: true, allowPositionals: false })
      .values as Record<string, string | boolean | undefined>;
  } catch (err) {
    // node:util's messages can span lines (hints); keep them, on one line.
    throw new Error(`${(err as Error).message.replace(/\s*\n\s*/g, " ")} (see --help)`);
  }
}
