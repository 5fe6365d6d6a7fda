/**
 * The latency table of a space on the engine's GPU, through the cache file: the one
 * call a hardware-aware search needs (`latencyTable` with the GPU measurers and the
 * default cache filled in).
 */
import type { TimerMethod, TimingOptions } from "../gpu/timing.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import { initEngine } from "../tensor/init.ts";
import { defaultCachePath, LatencyCache } from "./cache.ts";
import { gpuMeasurers } from "./measure_gpu.ts";
import { type LatencyTable, latencyTable, type LatencyTableOptions } from "./table.ts";

export interface GpuLatencyOptions {
  batch: number;
  /** Cache file (default `defaultCachePath()`). */
  cachePath?: string;
  timer?: TimerMethod;
  timing?: Partial<TimingOptions>;
  refresh?: boolean;
  onProgress?: LatencyTableOptions["onProgress"];
}

/** Measures (or reads from the cache) the table of `space` on the engine's GPU. */
export async function gpuLatencyTable(
  space: SearchSpaceSpec,
  options: GpuLatencyOptions,
): Promise<LatencyTable> {
  const cache = await LatencyCache.open(options.cachePath ?? defaultCachePath());
  const measurers = gpuMeasurers(await initEngine(), options);
  return latencyTable(space, {
    batch: options.batch,
    cache,
    device: measurers.device,
    measure: measurers.part,
    refresh: options.refresh,
    onProgress: options.onProgress,
  });
}
