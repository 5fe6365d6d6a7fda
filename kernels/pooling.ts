/**
 * WGSL for global average pooling's backward (the forward is a segmented row sum,
 * kernels/reduce.ts). One form for llvmpipe and GPUs: one invocation per element.
 */
import { f32, type Grid1D } from "./common.ts";

/** Finalize of the pooling row sum: y[r] = Σ / (H·W). */
export function avgPoolFinalize(hw: number): string {
  return `y[r] = s0 * ${f32(1 / hw)};`;
}

/** dx[n, c, h, w] = dy[n, c] / (H·W). */
export function globalAvgPoolBackwardWgsl(n: number, hw: number, grid: Grid1D, wg: number): string {
  return `
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  dx[i] = dy[i / ${hw}u] * ${f32(1 / hw)};
}`;
}
