/**
 * WGSL for global average pooling's backward (the forward is a segmented row sum,
 * kernels/reduce.ts). One form for llvmpipe and GPUs: one invocation per element (per vec4 where H·W
 * allows).
 */
import { f32, type Grid1D } from "./common.ts";

/** Finalize of the pooling row sum: y[r] = Σ / (H·W). */
export function avgPoolFinalize(hw: number): string {
  return `y[r] = s0 * ${f32(1 / hw)};`;
}

/**
 * Invocations of the backward for n elements: one per vec4 of dx when H·W % 4 = 0
 * (a vec4 then lies in one plane; llvmpipe stores lane by lane, so four scalar
 * stores cost about twice one vec4 store), else one per element.
 */
export function globalAvgPoolBackwardUnits(n: number, hw: number): number {
  return hw % 4 === 0 ? n / 4 : n;
}

/** dx[n, c, h, w] = dy[n, c] / (H·W), `grid` over `globalAvgPoolBackwardUnits`. */
export function globalAvgPoolBackwardWgsl(n: number, hw: number, grid: Grid1D, wg: number): string {
  const vec = hw % 4 === 0;
  const units = globalAvgPoolBackwardUnits(n, hw);
  const value = `dy[i / ${vec ? hw / 4 : hw}u] * ${f32(1 / hw)}`;
  return `
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<${vec ? "vec4<f32>" : "f32"}>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${units}u) { return; }
  dx[i] = ${vec ? `vec4<f32>(${value})` : value};
}`;
}
