/**
 * Acquiring the WebGPU adapter and device, and turning WebGPU's asynchronous error
 * reports into thrown errors that name the op and the shapes.
 *
 * Adapter choice: high-performance preference. `AUTOSPACE_ADAPTER=cpu` (or
 * `{ adapter: "cpu" }`) forces the fallback adapter (Mesa's lavapipe on Linux);
 * `DENO_WEBGPU_BACKEND=vulkan|gl` picks the backend (read by Deno itself); on Linux
 * it defaults to vulkan here, so a missing Vulkan driver is an error that says what
 * to install, not a silent fall back to the far slower GL backend (backend.ts).
 */
import {
  applyBackendDefault,
  type BackendChoice,
  GL_BACKEND_WARNING,
  VULKAN_HINT,
} from "./backend.ts";
import { applyLlvmpipeThreadsDefault } from "./llvmpipe_threads.ts";

/** Which adapter to ask for. */
export type AdapterPreference = "auto" | "cpu" | "gpu";

/** Kernel family to prefer: register-blocked (CPU adapters) or workgroup tiles (GPUs). */
export type KernelVariant = "register" | "tiled";

export interface DeviceOptions {
  adapter?: AdapterPreference;
  /** Forces a kernel variant (default: by adapter, or `AUTOSPACE_KERNELS`). */
  variant?: KernelVariant;
}

/** Raised for anything the GPU rejects; the message names the op and shapes. */
export class GpuError extends Error {
  override name = "GpuError";
}

/** What the rest of the engine needs to know about the device. */
export interface DeviceInfo {
  description: string;
  vendor: string;
  architecture: string;
  /** True on software adapters (llvmpipe / lavapipe, SwiftShader, WARP). */
  isCpu: boolean;
  /** The backend asked for through DENO_WEBGPU_BACKEND ("unset": Deno's own choice). */
  backend: BackendChoice;
  hasTimestamps: boolean;
  variant: KernelVariant;
  limits: GPUSupportedLimits;
}

function envAdapterPreference(): AdapterPreference {
  const v = readEnv("AUTOSPACE_ADAPTER");
  if (v === undefined || v === "") return "auto";
  if (v === "cpu" || v === "gpu" || v === "auto") return v;
  throw new GpuError(`AUTOSPACE_ADAPTER must be cpu, gpu or auto, got "${v}"`);
}

function envVariant(): KernelVariant | undefined {
  const v = readEnv("AUTOSPACE_KERNELS");
  if (v === undefined || v === "") return undefined;
  if (v === "register" || v === "tiled") return v;
  throw new GpuError(`AUTOSPACE_KERNELS must be register or tiled, got "${v}"`);
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: behave as unset
  }
}

/** Names of software (CPU) adapters: Mesa's llvmpipe / lavapipe, SwiftShader, WARP. */
export const SOFTWARE_ADAPTER = /llvmpipe|lavapipe|swiftshader|warp|software/i;

/** Requests an adapter and a device with the adapter's own limits. */
export async function requestGpuDevice(
  options: DeviceOptions = {},
): Promise<{ adapter: GPUAdapter; device: GPUDevice; info: DeviceInfo }> {
  if (typeof navigator === "undefined" || !navigator.gpu) {
    throw new GpuError("WebGPU is not available in this runtime (navigator.gpu is missing)");
  }
  const preference = options.adapter ?? envAdapterPreference();
  // Headless machines have no runtime dir; wgpu's Vulkan loader warns without one.
  try {
    if (!Deno.env.get("XDG_RUNTIME_DIR")) Deno.env.set("XDG_RUNTIME_DIR", "/tmp");
  } catch { /* no --allow-env: the warning is harmless */ }
  const backend = applyBackendDefault();
  applyLlvmpipeThreadsDefault();
  const adapter = await navigator.gpu.requestAdapter({
    powerPreference: "high-performance",
    forceFallbackAdapter: preference === "cpu",
  });
  if (!adapter) {
    throw new GpuError(
      `no ${backend === "vulkan" ? "Vulkan" : "WebGPU"} adapter found; ${VULKAN_HINT}`,
    );
  }
  if (backend === "gl") console.warn(GL_BACKEND_WARNING);
  const desc = adapter.info.description || adapter.info.device || adapter.info.vendor;
  const isCpu = adapter.info.isFallbackAdapter || SOFTWARE_ADAPTER.test(desc);
  if (preference === "gpu" && isCpu) {
    throw new GpuError(`AUTOSPACE_ADAPTER=gpu but the only adapter is a CPU one (${desc})`);
  }
  const hasTimestamps = adapter.features.has("timestamp-query");
  // wgpu hands out its conservative defaults unless we ask for the adapter's limits.
  const requiredLimits: Record<string, number> = {};
  for (
    const key of [
      "maxStorageBufferBindingSize",
      "maxBufferSize",
      "maxComputeWorkgroupStorageSize",
      "maxComputeInvocationsPerWorkgroup",
      "maxComputeWorkgroupSizeX",
      "maxComputeWorkgroupSizeY",
      "maxComputeWorkgroupsPerDimension",
      "maxStorageBuffersPerShaderStage",
      "maxBindGroups",
    ] as const
  ) {
    requiredLimits[key] = adapter.limits[key];
  }
  const device = await adapter.requestDevice({
    requiredLimits,
    requiredFeatures: hasTimestamps ? ["timestamp-query"] : [],
  });
  const variant = options.variant ?? envVariant() ?? (isCpu ? "register" : "tiled");
  const info: DeviceInfo = {
    description: desc,
    vendor: adapter.info.vendor,
    architecture: adapter.info.architecture,
    isCpu,
    backend,
    hasTimestamps,
    variant,
    limits: device.limits,
  };
  return { adapter, device, info };
}
