/**
 * Latency as a search cost: every candidate block of a search space timed on this
 * adapter (forward, eval mode), cached per device and shape, summed per network.
 */
export * from "./parts.ts";
export * from "./device_key.ts";
export * from "./cache.ts";
export * from "./measure_gpu.ts";
export * from "./table.ts";
export * from "./gpu_table.ts";
export * from "./prediction_check.ts";
export * from "./report.ts";
