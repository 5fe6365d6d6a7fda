/**
 * Writing files so that a reader never sees half of one: write a temporary file in
 * the same directory, flush it, then rename it over the target (atomic on POSIX).
 * A temporary file is known to src/util/interrupt.ts until renamed, so that a process
 * told to exit at once removes it first.
 */
import { testSignalPoint, trackTempFile, untrackTempFile } from "./interrupt.ts";

/** Bytes per write call: a large checkpoint is written in pieces. */
const WRITE_CHUNK = 1 << 24;

/** Temporary name beside `path`, unique per process and call. */
function tempPath(path: string): string {
  return `${path}.tmp-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`;
}

/** Writes `data` to a temporary file beside `path` (synced); returns its name. */
export async function writeTemp(path: string, data: Uint8Array | string): Promise<string> {
  const tmp = tempPath(path);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  trackTempFile(tmp);
  try {
    const file = await Deno.open(tmp, { write: true, create: true, truncate: true });
    try {
      let written = 0;
      while (written < bytes.length) {
        const first = written === 0;
        written += await file.write(bytes.subarray(written, written + WRITE_CHUNK));
        if (first) testSignalPoint("write"); // a test's signal lands mid-file
      }
      await file.sync();
    } finally {
      file.close();
    }
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    untrackTempFile(tmp);
    throw new Error(`cannot write ${path}: ${(err as Error).message}`);
  }
  return tmp;
}

/** Renames a file from `writeTemp` into place (removing it if that fails). */
export async function commitTemp(tmp: string, path: string): Promise<void> {
  try {
    await Deno.rename(tmp, path);
  } catch (err) {
    await Deno.remove(tmp).catch(() => {});
    throw new Error(`cannot write ${path}: ${(err as Error).message}`);
  } finally {
    untrackTempFile(tmp);
  }
}

/** Writes `data` to `path` atomically (temporary file, then rename). */
export async function atomicWrite(path: string, data: Uint8Array | string): Promise<void> {
  await commitTemp(await writeTemp(path, data), path);
}

/**
 * Rewrites a JSON-lines file (one record a line) atomically: a resumed run rewrites its
 * whole history and never duplicates lines.
 */
export async function writeJsonLines(path: string, records: readonly unknown[]): Promise<void> {
  await atomicWrite(path, records.map((r) => JSON.stringify(r)).join("\n") + "\n");
}
