/**
 * The offline bundle for a GPU server (`deno task pack-gpu`): one tar.gz whose folder
 * runs any task (`./run.sh TASK`) and the GPU check (`./gpu-check.sh OUTDIR`) with
 * nothing from the server but its GPU driver.
 *
 *   autospace-gpu/
 *     run.sh, gpu-check.sh      entry points (gpu-check.sh links scripts/gpu_check.sh)
 *     bin/deno                  this Deno
 *     debs/libvulkan1_*.deb     Debian's Vulkan loader, unpacked when the server lacks one
 *     data/fashion-mnist/       4,000 + 1,000 images for the check's evolve step
 *     node_modules/             the npm packages, linux-x64 binaries only
 *     (the tracked files)
 */
import { GPU_BUNDLE_RUN_SH } from "./gpu_bundle_run_sh.ts";
import {
  assertServerPlatform,
  copyTrackedFiles,
  copyTree,
  downloadLibvulkan,
  installNpmPackages,
  OTHER_PLATFORMS,
  runCommand,
  writeDataSlice,
} from "./pack_parts.ts";

/** The folder inside the tar.gz. */
export const BUNDLE_FOLDER = "autospace-gpu";

/** Packs the bundle into `out` (a .tar.gz path); returns its size in bytes. */
export async function packGpuBundle(out: string, log: (line: string) => void): Promise<number> {
  assertServerPlatform();
  log("pack: installing npm packages (deno install) ...");
  await installNpmPackages();
  const stage = await Deno.makeTempDir({ prefix: "autospace-pack-" });
  try {
    const root = `${stage}/${BUNDLE_FOLDER}`;
    await Deno.mkdir(`${root}/bin`, { recursive: true });
    await Deno.mkdir(`${root}/debs`, { recursive: true });
    log("pack: downloading libvulkan1 (apt-get download) ...");
    await downloadLibvulkan(`${root}/debs`);
    await copyTrackedFiles(root);
    log("pack: copying node_modules (linux-x64 binaries only) ...");
    await Deno.mkdir(`${root}/node_modules`, { recursive: true });
    await copyTree("node_modules", `${root}/node_modules`, OTHER_PLATFORMS);
    log("pack: writing a slice of Fashion-MNIST for the GPU check ...");
    await writeDataSlice(`${root}/data/fashion-mnist`);
    await Deno.copyFile(Deno.execPath(), `${root}/bin/deno`);
    await Deno.chmod(`${root}/bin/deno`, 0o755);
    await Deno.writeTextFile(`${root}/run.sh`, GPU_BUNDLE_RUN_SH);
    await Deno.chmod(`${root}/run.sh`, 0o755);
    await Deno.symlink("scripts/gpu_check.sh", `${root}/gpu-check.sh`);
    const dir = out.includes("/") ? out.slice(0, out.lastIndexOf("/")) : ".";
    await Deno.mkdir(dir, { recursive: true });
    const abs = out.startsWith("/") ? out : `${Deno.cwd()}/${out}`;
    log("pack: compressing ...");
    await runCommand("tar", ["czf", `${abs}.tmp`, "-C", stage, BUNDLE_FOLDER]);
    await Deno.rename(`${abs}.tmp`, abs);
    return (await Deno.stat(abs)).size;
  } finally {
    await Deno.remove(stage, { recursive: true });
  }
}
