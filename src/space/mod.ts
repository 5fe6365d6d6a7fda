/**
 * The space layer: cells of the open space, their canonical forms and distances,
 * network and search-space specs, counters, ProxylessNAS interchange and drawings.
 */
export * from "./ops.ts";
export * from "./cell.ts";
export * from "./cell_graph.ts";
export * from "./canonical.ts";
export * from "./hamming.ts";
export * from "./mutation.ts";
export * from "./network_spec.ts";
export * from "./builtins.ts";
export * from "./backbone.ts";
export * from "./counting.ts";
export * from "./search_space_spec.ts";
export * from "./baseline_space.ts";
export * from "./space_size.ts";
export * from "./net_config.ts";
export * from "./search_space_config.ts";
export * from "./search_space_file.ts";
export * from "./load.ts";
export * from "./draw_cell.ts";
export * from "./spec_error.ts";
