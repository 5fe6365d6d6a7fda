/**
 * Shared pieces of WGSL generation: 1-D launch geometry for element-wise kernels
 * and float literal formatting. Every shape is baked into the shader as a constant
 * (and into the pipeline cache key), so kernels need no uniform buffers.
 */

/** Workgroup size of element-wise kernels: a multiple of llvmpipe's 8 lanes. */
export const ELEMENTWISE_WG = 256;

/** Launch geometry covering `n` invocations of a 1-D kernel. */
export interface Grid1D {
  /** Workgroups along x and y (y > 1 only past the per-dimension limit). */
  groups: [number, number];
  /** WGSL expression for the flat invocation index, given `gid: vec3<u32>`. */
  index: string;
}

/** Spreads `n` invocations over x (and y when x would exceed `maxPerDim`). */
export function grid1D(n: number, wg = ELEMENTWISE_WG, maxPerDim = 65535): Grid1D {
  const groups = Math.max(1, Math.ceil(n / wg));
  if (groups <= maxPerDim) return { groups: [groups, 1], index: "gid.x" };
  const gx = 32768;
  const gy = Math.ceil(groups / gx);
  return { groups: [gx, gy], index: `(gid.x + gid.y * ${gx * wg}u)` };
}

/** A WGSL f32 literal. */
export function f32(v: number): string {
  if (!Number.isFinite(v)) throw new Error(`non-finite constant ${v} in a kernel`);
  const s = String(v);
  return s.includes(".") || s.includes("e") ? s : s + ".0";
}
