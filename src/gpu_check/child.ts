/**
 * One child process under a deadline. Its output is appended to the check's log as it
 * arrives, so a step that is killed still leaves what it printed; the last lines are
 * kept for the summary. A child that outlives its time gets SIGTERM, then SIGKILL, so
 * one hang cannot eat the check's budget.
 */

/** What a child did. */
export interface ChildResult {
  /** Exit code; null when it was killed by a signal. */
  code: number | null;
  timedOut: boolean;
  seconds: number;
  /** Its last non-empty output lines (stdout and stderr as they arrived). */
  tail: string[];
  /** Its whole stdout, when asked for (`keepStdout`). */
  stdout: string;
}

/** How to run a child. */
export interface ChildOptions {
  cwd?: string;
  /** Added to the inherited environment. */
  env?: Record<string, string>;
  timeoutMs: number;
  /** Where its output goes as it arrives. */
  log?: LogSink;
  keepStdout?: boolean;
  tailLines?: number;
}

/** Appends bytes to one file in arrival order (two streams write to it at once). */
export class LogSink {
  #queue: Promise<void> = Promise.resolve();
  constructor(private readonly file: Deno.FsFile) {}

  static async open(path: string): Promise<LogSink> {
    return new LogSink(await Deno.open(path, { create: true, append: true }));
  }

  write(data: Uint8Array | string): Promise<void> {
    const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
    this.#queue = this.#queue.then(async () => {
      let written = 0;
      while (written < bytes.length) written += await this.file.write(bytes.subarray(written));
    });
    return this.#queue;
  }

  async close(): Promise<void> {
    await this.#queue;
    this.file.close();
  }
}

/** Seconds between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 5_000;

/** How long output may still arrive after the child has exited. */
const PIPE_GRACE_MS = 2_000;

/** The tail kept in memory: enough for a few dozen lines. */
const TAIL_BYTES = 8_192;

/**
 * Runs `cmd args` until it exits or `timeoutMs` passes. Throws only when the command
 * cannot start at all (Deno.errors.NotFound when it does not exist).
 */
export async function runChild(
  cmd: string,
  args: readonly string[],
  options: ChildOptions,
): Promise<ChildResult> {
  const started = performance.now();
  const child = new Deno.Command(cmd, {
    args: [...args],
    cwd: options.cwd,
    env: options.env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  let killer: ReturnType<typeof setTimeout> | undefined;
  const timer = setTimeout(() => {
    timedOut = true;
    signal(child, "SIGTERM");
    killer = setTimeout(() => signal(child, "SIGKILL"), KILL_GRACE_MS);
  }, options.timeoutMs);
  let tail = "";
  const stdoutParts: string[] = [];
  const readers = [child.stdout.getReader(), child.stderr.getReader()];
  const pump = async (reader: ReadableStreamDefaultReader<Uint8Array>, isStdout: boolean) => {
    const decoder = new TextDecoder();
    for (;;) {
      const { done, value } = await reader.read().catch(() => ({ done: true, value: undefined }));
      if (done || value === undefined) return;
      await options.log?.write(value);
      const text = decoder.decode(value, { stream: true });
      if (isStdout && options.keepStdout) stdoutParts.push(text);
      tail = (tail + text).slice(-TAIL_BYTES);
    }
  };
  const pumps = Promise.all([pump(readers[0], true), pump(readers[1], false)]);
  try {
    const status = await child.status;
    // A grandchild that inherited the pipes could keep them open for ever: stop reading.
    let late: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([pumps, new Promise((done) => late = setTimeout(done, PIPE_GRACE_MS))]);
    clearTimeout(late);
    await Promise.all(readers.map((r) => r.cancel().catch(() => {})));
    return {
      code: status.signal === null ? status.code : null,
      timedOut,
      seconds: (performance.now() - started) / 1000,
      tail: lastLines(tail, options.tailLines ?? 12),
      stdout: stdoutParts.join(""),
    };
  } finally {
    clearTimeout(timer);
    clearTimeout(killer);
  }
}

function signal(child: Deno.ChildProcess, sig: Deno.Signal): void {
  try {
    child.kill(sig);
  } catch { /* it has exited already */ }
}

/** Terminal colour codes, which Deno prints when it thinks it writes to a terminal. */
const ANSI = new RegExp(String.fromCharCode(27) + "\\[[0-9;]*[A-Za-z]", "g");

/** The last `n` non-empty lines of `text`, progress-bar carriage returns resolved. */
export function lastLines(text: string, n: number): string[] {
  return text.replace(ANSI, "").split("\n")
    .map((line) => line.split("\r").filter((part) => part.trim() !== "").at(-1) ?? "")
    .map((line) => line.trimEnd())
    .filter((line) => line.trim() !== "")
    .slice(-n);
}
