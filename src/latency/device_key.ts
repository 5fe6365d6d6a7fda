/**
 * What a latency measurement depends on besides the block itself: the adapter, the
 * kernel family the engine picked for it (register or tiled) and the timer. Entries
 * measured under one of these never answer for another.
 */
import type { TimerMethod } from "../gpu/timing.ts";
import type { KernelVariant } from "../gpu/device.ts";
import type { Gpu } from "../gpu/gpu.ts";

/** The device side of a latency cache key. */
export interface LatencyDevice {
  /** Adapter description, with the WebGPU backend when one is forced. */
  readonly adapter: string;
  readonly variant: KernelVariant;
  readonly timer: TimerMethod;
}

/** The adapter as the cache names it: description, vendor, architecture, forced backend. */
export function adapterName(
  info: { description: string; vendor: string; architecture: string },
  backend: string | undefined,
): string {
  const extra = [info.vendor && `vendor ${info.vendor}`, info.architecture]
    .filter((s) => s).join(", ");
  // Vulkan's lavapipe and GL's llvmpipe share a description but not their speed.
  return `${info.description}${extra ? ` (${extra})` : ""}${backend ? ` [${backend}]` : ""}`;
}

/** The device of the engine's GPU, timed with `timer`. */
export function latencyDevice(gpu: Gpu, timer: TimerMethod): LatencyDevice {
  let backend: string | undefined;
  try {
    backend = Deno.env.get("DENO_WEBGPU_BACKEND") || undefined;
  } catch { /* no env access: the default backend */ }
  return { adapter: adapterName(gpu.info, backend), variant: gpu.info.variant, timer };
}

/** One string per device, the cache file's key: "llvmpipe (…) · register · timestamp". */
export function deviceKey(device: LatencyDevice): string {
  return `${device.adapter} · ${device.variant} · ${device.timer}`;
}
