/**
 * The one line a GPU machine gets when WebGPU does not reach its GPU: the GPU is there
 * (nvidia-smi works, or /dev/nvidia* exists) but the adapter is a CPU one or there is
 * none. Then every number the check takes would be lavapipe's, so the line names where
 * the Vulkan driver was looked for and the usual cause: a container started for CUDA
 * only (NVIDIA_DRIVER_CAPABILITIES without "graphics") mounts no Vulkan ICD.
 */

/** What the verdict is decided from. */
export interface VerdictInput {
  nvidiaSmiWorks: boolean;
  devNvidia: readonly string[];
  /** The adapter WebGPU gave; null when it gave none. */
  adapter: { description: string; isCpu: boolean } | null;
  /** The places the ICD files were looked for. */
  icdSearched: readonly string[];
  /** NVIDIA's ICD files found, each with whether the library it names is there. */
  nvidiaIcds: readonly { path: string; library?: string; libraryFound?: boolean }[];
  /** NVIDIA_DRIVER_CAPABILITIES; undefined when unset. */
  driverCapabilities: string | undefined;
}

/** The line, or null when there is nothing to say (a GPU adapter, or no GPU at all). */
export function gpuAdapterVerdict(input: VerdictInput): string | null {
  const gpu = input.nvidiaSmiWorks
    ? "nvidia-smi works"
    : input.devNvidia.length > 0
    ? `${input.devNvidia[0]} exists`
    : null;
  if (gpu === null || (input.adapter !== null && !input.adapter.isCpu)) return null;
  const adapter = input.adapter === null
    ? "there is no WebGPU adapter"
    : `the WebGPU adapter is a CPU one (${input.adapter.description})`;
  const icd = input.nvidiaIcds.find((f) => f.libraryFound) ?? input.nvidiaIcds[0];
  const driver = icd === undefined
    ? `no NVIDIA Vulkan ICD in ${input.icdSearched.join(", ")}`
    : icd.libraryFound
    ? `NVIDIA's ICD ${icd.path} is there but was not used (a Vulkan loader too old for it?)`
    : `NVIDIA's ICD ${icd.path} names ${icd.library ?? "no library"}, which is missing`;
  const caps = input.driverCapabilities;
  const cause = caps === undefined
    ? "NVIDIA_DRIVER_CAPABILITIES is unset"
    : /\b(graphics|all)\b/.test(caps)
    ? `NVIDIA_DRIVER_CAPABILITIES=${caps}`
    : `NVIDIA_DRIVER_CAPABILITIES=${caps} lacks graphics: the container exposes CUDA only`;
  return `GPU present (${gpu}) but ${adapter}: ${driver}; ${cause}; start the container ` +
    "with NVIDIA_DRIVER_CAPABILITIES=all (or add graphics), or point VK_DRIVER_FILES at " +
    "NVIDIA's nvidia_icd.json";
}
