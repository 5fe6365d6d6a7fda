/**
 * The tools folder a checkout carries to a lent GPU machine (`deno task pack-gpu
 * --tools .tools/gpu`): what the bundle adds to the tracked files, small enough to
 * travel with them under a device tool's 64 MiB. scripts/gpu_check.sh finds and
 * unpacks it.
 *
 *   .tools/gpu/
 *     deno.xz                  this Deno (95 MiB, 30 compressed; 44 MiB in all)
 *     libvulkan1_*.deb         Debian's Vulkan loader
 *     node_modules.tar.xz      the npm packages less what the check never loads
 *                              (onnxruntime-node's native binaries: bench --compare, ONNX tests)
 *     fashion-mnist/           4,000 + 1,000 images for the check's evolve step
 */
import {
  assertServerPlatform,
  downloadLibvulkan,
  installNpmPackages,
  runCommand,
  sizeOf,
  trackedFiles,
  writeDataSlice,
} from "./pack_parts.ts";

/** What a device tool carries in all: the tracked files and the carried folders. */
export const DEVICE_TOOL_LIMIT_BYTES = 64 * 2 ** 20;

/**
 * node_modules paths left out of the tools folder (their packages stay, as Deno checks
 * them): onnxruntime-node's native binaries, and the musl build of sharp's libvips
 * (GPU servers run glibc).
 */
const NOT_CARRIED = [
  "node_modules/.deno/onnxruntime-node@*/node_modules/onnxruntime-node/bin",
  "node_modules/.deno/@img+sharp-libvips-linuxmusl-*/node_modules/@img/*/lib",
];

/**
 * Writes the tools folder into `dir` (replacing what was there); returns its size and
 * that of the tracked files, which travel with it.
 */
export async function writeGpuTools(
  dir: string,
  log: (line: string) => void,
): Promise<{ tools: number; tracked: number }> {
  assertServerPlatform();
  log("pack: installing npm packages (deno install) ...");
  await installNpmPackages();
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  log("pack: downloading libvulkan1 (apt-get download) ...");
  await downloadLibvulkan(dir);
  log("pack: writing a slice of Fashion-MNIST for the GPU check ...");
  await writeDataSlice(`${dir}/fashion-mnist`);
  log("pack: compressing node_modules and Deno with xz (a minute or two) ...");
  const excludes = NOT_CARRIED.map((p) => `--exclude=${p}`);
  await runCommand("bash", [
    "-o",
    "pipefail",
    "-c",
    `tar cf - --wildcards ${excludes.map(quote).join(" ")} node_modules | xz -T0 -6 > ${
      quote(`${dir}/node_modules.tar.xz`)
    }`,
  ]);
  await runCommand("bash", [
    "-c",
    `xz -T0 -6 -c ${quote(Deno.execPath())} > ${quote(`${dir}/deno.xz`)}`,
  ]);
  let tracked = 0;
  for (const f of await trackedFiles()) tracked += (await Deno.stat(f)).size;
  return { tools: await sizeOf(dir), tracked };
}

function quote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}
