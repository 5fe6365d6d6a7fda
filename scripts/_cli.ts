/** Shared CLI plumbing: one-line errors with a non-zero exit, and number flags. */

/** Runs `main`; any error becomes one line on stderr and exit code 1. */
export async function runCli(name: string, main: () => Promise<void>): Promise<void> {
  try {
    await main();
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    console.error(`${name}: ${msg.split("\n")[0]}`);
    if (Deno.env.get("AUTOSPACE_DEBUG")) console.error(e);
    Deno.exit(1);
  }
}

/** Parses a numeric flag or throws one line naming it. */
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
    throw new Error(`--${flag} must be ≥ ${opts.min}, got ${v}`);
  }
  if (opts.max !== undefined && v > opts.max) {
    throw new Error(`--${flag} must be ≤ ${opts.max}, got ${v}`);
  }
  return v;
}
