/**
 * The parts the GPU bundle and the carried tools folder are made of: the project's
 * tracked files, its npm packages, Debian's Vulkan loader, a slice of Fashion-MNIST, and
 * the commands that fetch and copy them. Packing runs on linux x86_64, the servers'
 * platform, since node_modules holds native binaries.
 */
import { FASHION_MNIST_DEFAULT_DIR } from "../data/fashion_mnist.ts";
import { writeFashionMnistSubset } from "../data/fashion_mnist_subset.ts";

/**
 * Other platforms' native binaries inside onnxruntime-node: not needed on a linux-x64
 * server. (Whole packages stay: Deno checks node_modules against deno.lock.)
 */
export const OTHER_PLATFORMS = [
  /onnxruntime-node\/bin\/napi-v\d+\/(darwin|win32|linux\/arm64)(\/|$)/,
];

/** Runs `cmd args`; its stdout, or one line naming the command and its last error line. */
export async function runCommand(cmd: string, args: string[], cwd?: string): Promise<string> {
  const out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" })
    .output();
  if (!out.success) {
    const err = new TextDecoder().decode(out.stderr).trim().split("\n").at(-1);
    throw new Error(`${cmd} ${args.join(" ")} failed: ${err}`);
  }
  return new TextDecoder().decode(out.stdout);
}

/** Refuses to pack anywhere but linux x86_64. */
export function assertServerPlatform(): void {
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new Error(
      `packing must run on linux x86_64 (the server's platform), not ${Deno.build.target}`,
    );
  }
}

/** Copies a folder, skipping paths that match `skip`; links stay links. */
export async function copyTree(src: string, dst: string, skip: RegExp[]): Promise<void> {
  for await (const e of Deno.readDir(src)) {
    const from = `${src}/${e.name}`;
    const to = `${dst}/${e.name}`;
    if (skip.some((re) => re.test(from))) continue;
    if (e.isDirectory) {
      await Deno.mkdir(to, { recursive: true });
      await copyTree(from, to, skip);
    } else if (e.isSymlink) {
      await Deno.symlink(await Deno.readLink(from), to);
    } else {
      await Deno.copyFile(from, to);
    }
  }
}

/** The files git tracks in the current folder's repository. */
export async function trackedFiles(): Promise<string[]> {
  return (await runCommand("git", ["ls-files"])).trim().split("\n");
}

/** Copies the tracked files into `dst`. */
export async function copyTrackedFiles(dst: string): Promise<void> {
  for (const f of await trackedFiles()) {
    const dir = f.includes("/") ? f.slice(0, f.lastIndexOf("/")) : "";
    if (dir) await Deno.mkdir(`${dst}/${dir}`, { recursive: true });
    await Deno.copyFile(f, `${dst}/${f}`);
  }
}

/** Installs the npm packages of deno.lock into node_modules. */
export async function installNpmPackages(): Promise<void> {
  await runCommand(Deno.execPath(), ["install"]);
}

/** Downloads Debian's libvulkan1 .deb into `dir`; returns its path. */
export async function downloadLibvulkan(dir: string): Promise<string> {
  await runCommand("apt-get", ["download", "libvulkan1"], dir).catch((e) => {
    throw new Error(`${e.message}; run as a user that can use apt-get (Debian/Ubuntu)`);
  });
  for await (const e of Deno.readDir(dir)) {
    if (e.name.startsWith("libvulkan1_") && e.name.endsWith(".deb")) return `${dir}/${e.name}`;
  }
  throw new Error(`apt-get download libvulkan1 left no .deb in ${dir}`);
}

/** Writes the Fashion-MNIST slice the GPU check's evolve step trains on. */
export async function writeDataSlice(dst: string): Promise<void> {
  await writeFashionMnistSubset(FASHION_MNIST_DEFAULT_DIR, dst).catch((e) => {
    throw new Error(
      `${(e as Error).message}; the GPU check needs Fashion-MNIST: deno task setup --data`,
    );
  });
}

/** Size of a file or folder in bytes (links not followed). */
export async function sizeOf(path: string): Promise<number> {
  const info = await Deno.lstat(path);
  if (!info.isDirectory) return info.size;
  let total = 0;
  for await (const e of Deno.readDir(path)) total += await sizeOf(`${path}/${e.name}`);
  return total;
}
