/**
 * One-line errors for malformed JSON inputs (network specs, net.config files, search
 * spaces), and the small typed readers that produce them. Every message names the
 * file, the path inside it and what is wrong, e.g.
 * `net.config: blocks[3].mobile_inverted_conv.build_graph[2][1]: unknown Motif op code 6`.
 */

/** A problem at a path inside a JSON document. */
export class SpecError extends Error {
  constructor(
    readonly path: string,
    readonly problem: string,
    readonly file?: string,
  ) {
    super(`${file ?? "<input>"}: ${path || "(root)"}: ${problem}`);
    this.name = "SpecError";
  }

  /** The same error, attributed to `file`. */
  inFile(file: string): SpecError {
    return new SpecError(this.path, this.problem, file);
  }
}

/** Runs `read`, attributing any `SpecError` it throws to `file`. */
export function withFile<T>(file: string | undefined, read: () => T): T {
  try {
    return read();
  } catch (err) {
    if (err instanceof SpecError && file !== undefined && err.file === undefined) {
      throw err.inFile(file);
    }
    throw err;
  }
}

/** Parses JSON text, reporting syntax errors as a `SpecError` on `file`. */
export function parseJsonText(text: string, file?: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    throw new SpecError("", `invalid JSON (${why})`, file);
  }
}

/** Joins a path and a key: `join("blocks[2]", "cell")` → `blocks[2].cell`; numbers index. */
export function at(path: string, key: string | number): string {
  if (typeof key === "number") return `${path}[${key}]`;
  return path ? `${path}.${key}` : key;
}

/** Short rendering of a JSON value for messages. */
export function show(value: unknown): string {
  const text = JSON.stringify(value);
  if (text === undefined) return String(value);
  return text.length > 60 ? text.slice(0, 57) + "..." : text;
}

/** The value as a plain object, or a `SpecError`. */
export function readObject(value: unknown, path: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new SpecError(path, `expected an object, got ${show(value)}`);
  }
  return value as Record<string, unknown>;
}

/** The value as an array, or a `SpecError`. */
export function readArray(value: unknown, path: string, length?: number): unknown[] {
  if (!Array.isArray(value)) throw new SpecError(path, `expected an array, got ${show(value)}`);
  if (length !== undefined && value.length !== length) {
    throw new SpecError(path, `expected ${length} entries, got ${value.length}`);
  }
  return value;
}

/** The value as an integer in [min, max], or a `SpecError`. */
export function readInt(value: unknown, path: string, min = -Infinity, max = Infinity): number {
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw new SpecError(path, `expected an integer, got ${show(value)}`);
  }
  if (value < min || value > max) {
    const range = max === Infinity ? `>= ${min}` : `in [${min}, ${max}]`;
    throw new SpecError(path, `expected an integer ${range}, got ${value}`);
  }
  return value;
}

/** The value as a finite number, or a `SpecError`. */
export function readNumber(value: unknown, path: string): number {
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw new SpecError(path, `expected a number, got ${show(value)}`);
  }
  return value;
}

/** The value as a boolean, or a `SpecError`. */
export function readBool(value: unknown, path: string): boolean {
  if (typeof value !== "boolean") {
    throw new SpecError(path, `expected true or false, got ${show(value)}`);
  }
  return value;
}

/** The value as a string, or a `SpecError`. */
export function readString(value: unknown, path: string): string {
  if (typeof value !== "string") throw new SpecError(path, `expected a string, got ${show(value)}`);
  return value;
}

/** The value as one of `choices`, or a `SpecError` listing them. */
export function readEnum<T extends string | number>(
  value: unknown,
  path: string,
  choices: readonly T[],
  what = "value",
): T {
  if (!choices.includes(value as T)) {
    throw new SpecError(
      path,
      `unknown ${what} ${show(value)} (expected one of ${choices.map((c) => show(c)).join(", ")})`,
    );
  }
  return value as T;
}

/** Field `key` of `obj`, required. */
export function field(obj: Record<string, unknown>, key: string, path: string): unknown {
  if (!(key in obj)) throw new SpecError(at(path, key), "missing field");
  return obj[key];
}
