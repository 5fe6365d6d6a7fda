/**
 * Where the Vulkan loader looks for drivers (ICDs: small JSON files naming a driver
 * library) and what it finds there. A GPU machine whose WebGPU adapter is lavapipe
 * almost always lacks the vendor's ICD or the library it names: an NVIDIA container
 * started for CUDA only mounts neither.
 */

/** The usual folders of ICD files, in the loader's order, NVIDIA's container mount last. */
export const ICD_DIRS = [
  "/etc/vulkan/icd.d",
  "/usr/local/share/vulkan/icd.d",
  "/usr/share/vulkan/icd.d",
  "/usr/local/nvidia/share/vulkan/icd.d",
] as const;

/** Variables that replace (the first two) or extend the loader's search: files or folders. */
export const ICD_ENV = ["VK_DRIVER_FILES", "VK_ICD_FILENAMES", "VK_ADD_DRIVER_FILES"] as const;

/** One ICD file. */
export interface IcdFile {
  path: string;
  /** The folder or variable it was found through. */
  via: string;
  /** The driver library it names ("libGLX_nvidia.so.0", an absolute path, ...). */
  library?: string;
  /** Whether that library is there (its path exists, or ldconfig knows its name). */
  libraryFound?: boolean;
  error?: string;
}

/** The places searched and the ICD files found. */
export interface IcdSearch {
  searched: string[];
  files: IcdFile[];
}

/**
 * Lists the ICD files in the usual folders and in the loader's variables. `sharedLibs`
 * holds the library names ldconfig knows (empty when it could not be asked).
 */
export async function findIcdFiles(
  env: Readonly<Record<string, string | undefined>>,
  sharedLibs: ReadonlySet<string>,
): Promise<IcdSearch> {
  const places: [string, string][] = ICD_DIRS.map((dir) => [dir, dir]);
  for (const name of ICD_ENV) {
    for (const entry of (env[name] ?? "").split(":").filter(Boolean)) places.push([entry, name]);
  }
  const files: IcdFile[] = [];
  for (const [place, via] of places) {
    for (const path of await jsonFilesAt(place)) {
      if (files.some((f) => f.path === path)) continue;
      files.push(await readIcd(path, via, sharedLibs));
    }
  }
  return {
    searched: places.map(([place, via]) => via === place ? place : `${via}=${place}`),
    files,
  };
}

/** `place` itself when it is a file, its *.json files when it is a folder, else none. */
async function jsonFilesAt(place: string): Promise<string[]> {
  try {
    if ((await Deno.stat(place)).isFile) return [place];
    const names: string[] = [];
    for await (const e of Deno.readDir(place)) {
      if (e.name.endsWith(".json")) names.push(`${place}/${e.name}`);
    }
    return names.sort();
  } catch {
    return [];
  }
}

async function readIcd(path: string, via: string, sharedLibs: ReadonlySet<string>) {
  const icd: IcdFile = { path, via };
  try {
    const library = JSON.parse(await Deno.readTextFile(path))?.ICD?.library_path;
    if (typeof library !== "string") throw new Error("no ICD.library_path");
    icd.library = library;
    icd.libraryFound = library.includes("/")
      ? await Deno.stat(library).then(() => true, () => false)
      : sharedLibs.has(library);
  } catch (e) {
    icd.error = (e as Error).message.split("\n")[0];
  }
  return icd;
}

/** Whether an ICD is NVIDIA's (by its file or its library). */
export function isNvidiaIcd(icd: IcdFile): boolean {
  return /nvidia/i.test(icd.path) || /nvidia/i.test(icd.library ?? "");
}
