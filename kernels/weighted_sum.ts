/**
 * WGSL for the supernet's path aggregation y = Σ_k w_k·y_k with the weights on the
 * GPU, and its input gradient dy_k = w_k·dy. (The weight gradient Σ y_k·dy is a
 * segmented reduction, kernels/reduce.ts, with one term a path.) Element-wise, so
 * one form serves llvmpipe and GPUs.
 *
 * A dispatch binds at most a few paths (storage-buffer limit, 8 on lavapipe); more
 * paths are folded in by further dispatches that accumulate into y.
 */
import type { Grid1D } from "./common.ts";

/**
 * out[i] (=| +=) Σ_{j < count} w[first + j]·y_j[i]. Bindings: 0 w, 1..count the
 * paths, then out (read_write).
 */
export function weightedSumChunkWgsl(
  n: number,
  first: number,
  count: number,
  accumulate: boolean,
  grid: Grid1D,
  wg: number,
): string {
  const decls = Array.from(
    { length: count },
    (_, j) => `@group(0) @binding(${j + 1}) var<storage, read> y${j}: array<f32>;`,
  ).join("\n");
  const terms = Array.from({ length: count }, (_, j) => `w[${first + j}u] * y${j}[i]`);
  if (accumulate) terms.unshift("out[i]");
  return `
@group(0) @binding(0) var<storage, read> w: array<f32>;
${decls}
@group(0) @binding(${count + 1}) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  out[i] = ${terms.join(" + ")};
}`;
}

/**
 * d_j[i] = w[paths[j]]·dy[i] for each listed path. Bindings: 0 w, 1 dy, then one
 * output a listed path.
 */
export function scaleByWeightsWgsl(
  n: number,
  paths: readonly number[],
  grid: Grid1D,
  wg: number,
): string {
  const decls = paths.map((_, j) =>
    `@group(0) @binding(${j + 2}) var<storage, read_write> d${j}: array<f32>;`
  ).join("\n");
  const stores = paths.map((k, j) => `d${j}[i] = w[${k}u] * g;`).join("\n  ");
  return `
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
${decls}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  let g = dy[i];
  ${stores}
}`;
}
