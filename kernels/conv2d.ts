/**
 * Shared pieces of the dense 2-D convolution kernels: the geometry of a 'same'-padded
 * conv, weight repacking, and the deterministic reduction of weight-gradient partials.
 * The kernels live beside this file: `conv2d_register.ts` (register blocking, for CPU
 * adapters: the strip kernel of the forward conv and the input gradient) with
 * `conv2d_register_weight_grad.ts` (its weight gradient), and `conv2d_tiled.ts`
 * (workgroup-memory tiles, for GPUs).
 *
 * Layouts: x [N, C, H, W], w [Co, C, k, k], y [N, Co, Ho, Wo], all row-major.
 */
import type { Grid1D } from "./common.ts";

/** Every static fact of one convolution; kernels bake these in. */
export interface ConvShape {
  n: number;
  c: number;
  h: number;
  w: number;
  co: number;
  k: number;
  stride: number;
  pad: number;
  ho: number;
  wo: number;
}

/** Output size of a 'same'-padded conv: floor((size + 2·pad − k) / stride) + 1. */
export function convOutputSize(size: number, k: number, stride: number): number {
  const pad = (k - 1) / 2;
  return Math.floor((size + 2 * pad - k) / stride) + 1;
}

/** The geometry of conv(x [n,c,h,w], w [co,c,k,k]) with the given stride. */
export function convShape(
  x: readonly number[],
  w: readonly number[],
  stride: number,
): ConvShape {
  const [n, c, h, wd] = x;
  const [co, , k] = w;
  return {
    n,
    c,
    h,
    w: wd,
    co,
    k,
    stride,
    pad: (k - 1) / 2,
    ho: convOutputSize(h, k, stride),
    wo: convOutputSize(wd, k, stride),
  };
}

/** "n,c,h,w,co,k,s" — the part of every conv kernel key that names the shape. */
export function shapeKey(s: ConvShape): string {
  return `${s.n},${s.c},${s.h},${s.w},${s.co},${s.k},${s.stride}`;
}

/**
 * Repacks conv weights w [Co, C, k, k] into output-channel blocks of `block` channels:
 * packed[ob][r][tap][i] = w[o, c, tap] with `o` the block's i-th "output" channel and
 * `r` the reduction channel. Forward: o = ob·block + i, c = r. Input gradient
 * (`transpose`): the conv runs from Co channels to C channels, so the roles swap:
 * c = ob·block + i, o = r. Channels past the end are zero-filled, so a kernel can load
 * whole vec4s of a partial last block. `block` is a multiple of 4: an invocation
 * writes one vec4 of packed (four i of one (ob, r, tap)), a quarter of the scalar
 * stores llvmpipe runs lane by lane.
 */
export function packWeightsWgsl(
  co: number,
  c: number,
  k: number,
  block: number,
  transpose: boolean,
  grid: Grid1D,
  wg: number,
): string {
  const layout = { co, c, k, block, transpose };
  return `
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> packed: array<vec4<f32>>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q = ${grid.index};
  if (q >= ${packedWeightCount(co, c, k, block, transpose) / 4}u) { return; }
  ${packOneVec4(layout, "packed", "q")}
}`;
}

/**
 * Both packings a training step needs, in one dispatch: the forward blocks of
 * `blockFwd` channels into `packed`, then the input gradient's transposed blocks of
 * `blockDx` channels into `packedT` (invocations past the first packing's count).
 * Bindings: 0 w, 1 packed, 2 packedT.
 */
export function packWeightsPairWgsl(
  co: number,
  c: number,
  k: number,
  blockFwd: number,
  blockDx: number,
  grid: Grid1D,
  wg: number,
): string {
  const fwd = packedWeightCount(co, c, k, blockFwd, false) / 4;
  const dx = packedWeightCount(co, c, k, blockDx, true) / 4;
  return `
@group(0) @binding(0) var<storage, read> w: array<f32>;
@group(0) @binding(1) var<storage, read_write> packed: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> packedT: array<vec4<f32>>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let q0 = ${grid.index};
  if (q0 < ${fwd}u) {
    let q = q0;
    ${packOneVec4({ co, c, k, block: blockFwd, transpose: false }, "packed", "q")}
  } else if (q0 < ${fwd + dx}u) {
    let q = q0 - ${fwd}u;
    ${packOneVec4({ co, c, k, block: blockDx, transpose: true }, "packedT", "q")}
  }
}`;
}

/** Statements writing vec4 number `q` of one packing (see `packWeightsWgsl`) into `out`. */
function packOneVec4(
  l: { co: number; c: number; k: number; block: number; transpose: boolean },
  out: string,
  q: string,
): string {
  const { co, c, k, block, transpose } = l;
  const kk = k * k;
  const outCh = transpose ? c : co;
  const redCh = transpose ? co : c;
  if (block % 4 !== 0) throw new Error(`packWeightsWgsl: block ${block} is not a multiple of 4`);
  const src = (e: number) =>
    transpose
      ? `(r * ${c}u + oc + ${e}u) * ${kk}u + tap`
      : `(oc + ${e}u) * ${c * kk}u + r * ${kk}u + tap`;
  const lanes = [0, 1, 2, 3].map((e) =>
    `select(0.0, w[min(${src(e)}, ${co * c * kk - 1}u)], oc + ${e}u < ${outCh}u)`
  );
  return `let p = ${q} * 4u;
  let i = p % ${block}u;
  let tap = (p / ${block}u) % ${kk}u;
  let r = (p / ${block * kk}u) % ${redCh}u;
  let oc = (p / ${block * kk * redCh}u) * ${block}u + i;
  ${out}[${q}] = vec4<f32>(${lanes.join(", ")});`;
}

/** Invocations of `packWeightsWgsl`: one per vec4 of packed weights. */
export function packWeightsInvocations(count: number): number {
  return count / 4;
}

/** Number of floats `packWeightsWgsl` writes. */
export function packedWeightCount(
  co: number,
  c: number,
  k: number,
  block: number,
  transpose: boolean,
): number {
  const outCh = transpose ? c : co;
  const redCh = transpose ? co : c;
  return Math.ceil(outCh / block) * redCh * k * k * block;
}

/**
 * out[i] = Σ_s partial[s·len + i] for s = 0 … slots−1, summed in slot order: the
 * deterministic second pass of the split weight-gradient GEMM (no float atomics).
 * Vectorised by 4 when `len` allows it.
 */
export function sumPartialsWgsl(len: number, slots: number, grid: Grid1D, wg: number): string {
  const vec = len % 4 === 0;
  const t = vec ? "vec4<f32>" : "f32";
  const n = vec ? len / 4 : len;
  return `
@group(0) @binding(0) var<storage, read> partial: array<${t}>;
@group(0) @binding(1) var<storage, read_write> out: array<${t}>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  var s = partial[i];
  for (var j = 1u; j < ${slots}u; j++) {
    s = s + partial[j * ${n}u + i];
  }
  out[i] = s;
}`;
}

/** Invocations `sumPartialsWgsl` needs (one per float, or per vec4). */
export function sumPartialsInvocations(len: number): number {
  return len % 4 === 0 ? len / 4 : len;
}

/** Splits `groups` workgroups over x and z when x would pass the per-dimension limit. */
export function foldGroups(groups: number, maxPerDim = 65535): { x: number; z: number } {
  if (groups <= maxPerDim) return { x: Math.max(1, groups), z: 1 };
  const z = Math.ceil(groups / maxPerDim);
  return { x: Math.ceil(groups / z), z };
}
