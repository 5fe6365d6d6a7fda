/**
 * Output folders that a refused or failed run leaves behind empty: a run that stops
 * before writing anything should leave no trace, so that the next try (or `ls runs/`)
 * does not meet an empty folder that looks like a result.
 */
import { dirname, resolve } from "node:path";

/** Whether anything (file, folder, link) is at `path`. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** Whether every one of `paths` exists (a stage's last files: the stage is done). */
export async function allPathsExist(paths: readonly string[]): Promise<boolean> {
  for (const path of paths) if (!(await pathExists(path))) return false;
  return true;
}

async function isEmptyFolder(path: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(path)) return false;
    return true;
  } catch {
    return false;
  }
}

/** `dir` and those of its ancestors that do not exist yet, deepest first. */
export async function missingFolders(dir: string): Promise<string[]> {
  const missing: string[] = [];
  let current = resolve(dir);
  while (!(await pathExists(current))) {
    missing.push(current);
    const parent = dirname(current);
    if (parent === current) break;
    current = parent;
  }
  return missing;
}

/**
 * Runs `work`, which may create `dir`. When it throws, the folders on the way to
 * `dir` that did not exist before and are empty now are removed (deepest first),
 * then the error goes on. Folders that hold anything are kept.
 */
export async function removeEmptyFoldersOnFailure<T>(
  dir: string,
  work: () => Promise<T>,
): Promise<T> {
  const created = await missingFolders(dir);
  try {
    return await work();
  } catch (err) {
    for (const folder of created) {
      if (!(await isEmptyFolder(folder))) break;
      await Deno.remove(folder).catch(() => {});
    }
    throw err;
  }
}
