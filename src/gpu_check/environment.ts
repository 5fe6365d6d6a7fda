/**
 * The machine as the GPU check finds it: whether there is an NVIDIA GPU (nvidia-smi,
 * /dev/nvidia*), the variables that decide what a container exposes and what the
 * Vulkan loader loads, whether the loader itself is there, and its ICD files.
 */
import { runChild } from "./child.ts";
import { findIcdFiles, type IcdSearch } from "./vulkan_icds.ts";

/** Variables recorded as they are (null when unset). */
export const RECORDED_ENV = [
  "NVIDIA_DRIVER_CAPABILITIES",
  "NVIDIA_VISIBLE_DEVICES",
  "CUDA_VISIBLE_DEVICES",
  "VK_DRIVER_FILES",
  "VK_ICD_FILENAMES",
  "VK_ADD_DRIVER_FILES",
  "LD_LIBRARY_PATH",
  "DENO_WEBGPU_BACKEND",
  "AUTOSPACE_ADAPTER",
  "AUTOSPACE_KERNELS",
  "LP_NUM_THREADS",
] as const;

/** What `nvidia-smi` said. */
export interface NvidiaSmi {
  status: "ok" | "absent" | "failed" | "timed-out";
  /** Its output (or the error), at most a few KiB. */
  output: string;
}

/** Everything recorded about the machine before any adapter is asked for. */
export interface GpuEnvironment {
  os: string;
  cores: number;
  nvidiaSmi: NvidiaSmi;
  /** /dev/nvidia* device files. */
  devNvidia: string[];
  env: Record<string, string | null>;
  /** Whether libvulkan.so.1 (the loader) is known to ldconfig or on LD_LIBRARY_PATH. */
  vulkanLoader: boolean;
  icds: IcdSearch;
}

const OUTPUT_CAP = 4_096;

/**
 * Collects the environment; `env` is what the check's children get, `timeoutMs` the
 * limit of each command it runs (ldconfig, nvidia-smi).
 */
export async function collectEnvironment(
  env: Readonly<Record<string, string | undefined>>,
  timeoutMs: number,
): Promise<GpuEnvironment> {
  const sharedLibs = await ldconfigLibraries(timeoutMs);
  const recorded: Record<string, string | null> = {};
  for (const name of RECORDED_ENV) recorded[name] = env[name] ?? null;
  return {
    os: Deno.build.target,
    cores: navigator.hardwareConcurrency,
    nvidiaSmi: await nvidiaSmi(timeoutMs),
    devNvidia: await devNvidia(),
    env: recorded,
    vulkanLoader: sharedLibs.has("libvulkan.so.1") ||
      await onLibraryPath(env.LD_LIBRARY_PATH, "libvulkan.so.1"),
    icds: await findIcdFiles(env, sharedLibs),
  };
}

async function nvidiaSmi(timeoutMs: number): Promise<NvidiaSmi> {
  try {
    const r = await runChild("nvidia-smi", [], { timeoutMs, keepStdout: true });
    const output = (r.stdout || r.tail.join("\n")).slice(0, OUTPUT_CAP);
    if (r.timedOut) return { status: "timed-out", output };
    return { status: r.code === 0 ? "ok" : "failed", output };
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return { status: "absent", output: "" };
    return { status: "failed", output: (e as Error).message };
  }
}

async function devNvidia(): Promise<string[]> {
  const found: string[] = [];
  try {
    for await (const e of Deno.readDir("/dev")) {
      if (e.name.startsWith("nvidia")) found.push(`/dev/${e.name}`);
    }
  } catch { /* no /dev to read: none */ }
  return found.sort();
}

/** Library names in ldconfig's cache ("libvulkan.so.1", ...); empty when it fails. */
async function ldconfigLibraries(timeoutMs: number): Promise<Set<string>> {
  for (const cmd of ["ldconfig", "/sbin/ldconfig"]) {
    try {
      const r = await runChild(cmd, ["-p"], { timeoutMs, keepStdout: true });
      if (r.code !== 0) return new Set();
      const names = r.stdout.split("\n").map((line) => line.trim().split(" ")[0]);
      return new Set(names.filter(Boolean));
    } catch { /* not on PATH: try /sbin */ }
  }
  return new Set();
}

async function onLibraryPath(path: string | undefined, lib: string): Promise<boolean> {
  for (const dir of (path ?? "").split(":").filter(Boolean)) {
    if (await Deno.stat(`${dir}/${lib}`).then(() => true, () => false)) return true;
  }
  return false;
}
