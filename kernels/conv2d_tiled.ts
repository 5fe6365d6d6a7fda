/**
 * Workgroup-tiled convolution kernels for real GPUs: each conv is an implicit GEMM
 * C[m, col] = Σ_r A[m, r] · B[r, col] whose operands are gathered on the fly (im2col
 * index math in registers, zero outside the image), staged through workgroup memory
 * in TM × TK and TK × TN tiles. 256 invocations per workgroup, each computing a
 * 2 × 4 block of C.
 *
 * - Forward: m = output channel, col = output pixel (n, oh, ow), r = (c, a, b).
 * - Input gradient: m = input channel, col = input pixel (n, ih, iw), r = (o, a, b);
 *   B reads dy at ((ih + pad − a)/s, (iw + pad − b)/s) where the division is exact.
 * - Weight gradient: m = output channel, col = (c, a, b), r = output pixel; the r
 *   range is split over workgroups along z, each writing one partial dW that
 *   `sumPartialsWgsl` (conv2d.ts) adds up in a fixed order.
 */
import { type BnActivation, normalizedSourceWgsl, sourceNormBindingWgsl } from "./batch_norm.ts";
import type { ConvShape } from "./conv2d.ts";

export const TILE_M = 32;
export const TILE_N = 64;
const TILE_K = 16;
const THREADS_X = 16;
const THREADS_Y = 16;
const PER_M = TILE_M / THREADS_Y; // 2 rows of C per invocation
const PER_N = TILE_N / THREADS_X; // 4 columns of C per invocation

/** The GEMM view of a conv plus the WGSL that reads its operands and writes C. */
interface TiledGemm {
  m: number;
  cols: number;
  /** Reduction length each workgroup along z covers (the whole of it when z = 1). */
  kChunk: number;
  kTotal: number;
  bindings: string;
  /** Bodies of fn loadA(m: u32, r: u32) -> f32, fn loadB(r: u32, col: u32) -> f32
   * and fn storeC(m: u32, col: u32, z: u32, v: f32); called only in range. */
  loadA: string;
  loadB: string;
  storeC: string;
}

/** A tiled kernel: its WGSL (built only when the pipeline is not cached) and grid. */
export interface TiledKernel {
  wgsl: () => string;
  groups: [number, number, number];
}

function gemmWgsl(g: TiledGemm): string {
  const tilesN = Math.ceil(g.cols / TILE_N);
  const aPerThread = (TILE_M * TILE_K) / (THREADS_X * THREADS_Y);
  const bPerThread = (TILE_K * TILE_N) / (THREADS_X * THREADS_Y);
  return `
${g.bindings}
var<workgroup> As: array<f32, ${TILE_K * TILE_M}>;
var<workgroup> Bs: array<f32, ${TILE_K * TILE_N}>;

fn loadA(m: u32, r: u32) -> f32 {
${g.loadA}
}
fn loadB(r: u32, col: u32) -> f32 {
${g.loadB}
}
fn storeC(m: u32, col: u32, z: u32, v: f32) {
${g.storeC}
}

@compute @workgroup_size(${THREADS_X}, ${THREADS_Y})
fn main(@builtin(local_invocation_id) lid: vec3<u32>,
        @builtin(workgroup_id) wid: vec3<u32>) {
  let tile = wid.x + wid.y * ${gemmGroups(g.m, g.cols, 1)[0]}u;
  let tileN = tile % ${tilesN}u;
  let tileM = tile / ${tilesN}u;
  let m0 = tileM * ${TILE_M}u;
  let n0 = tileN * ${TILE_N}u;
  let z = wid.z;
  let rBegin = z * ${g.kChunk}u;
  let rEnd = min(rBegin + ${g.kChunk}u, ${g.kTotal}u);
  let flat = lid.y * ${THREADS_X}u + lid.x;
  var acc: array<f32, ${PER_M * PER_N}>;
  for (var i = 0u; i < ${PER_M * PER_N}u; i++) { acc[i] = 0.0; }
  for (var r0 = rBegin; r0 < rEnd; r0 += ${TILE_K}u) {
    for (var u = 0u; u < ${aPerThread}u; u++) {
      let e = flat + u * ${THREADS_X * THREADS_Y}u;
      let mm = e / ${TILE_K}u;
      let kk = e % ${TILE_K}u;
      var v = 0.0;
      if (m0 + mm < ${g.m}u && r0 + kk < rEnd) { v = loadA(m0 + mm, r0 + kk); }
      As[kk * ${TILE_M}u + mm] = v;
    }
    for (var u = 0u; u < ${bPerThread}u; u++) {
      let e = flat + u * ${THREADS_X * THREADS_Y}u;
      let kk = e / ${TILE_N}u;
      let cc = e % ${TILE_N}u;
      var v = 0.0;
      if (n0 + cc < ${g.cols}u && r0 + kk < rEnd) { v = loadB(r0 + kk, n0 + cc); }
      Bs[kk * ${TILE_N}u + cc] = v;
    }
    workgroupBarrier();
    for (var kk = 0u; kk < ${TILE_K}u; kk++) {
      for (var i = 0u; i < ${PER_M}u; i++) {
        let a = As[kk * ${TILE_M}u + lid.y * ${PER_M}u + i];
        for (var j = 0u; j < ${PER_N}u; j++) {
          acc[i * ${PER_N}u + j] = fma(a, Bs[kk * ${TILE_N}u + lid.x + j * ${THREADS_X}u],
            acc[i * ${PER_N}u + j]);
        }
      }
    }
    workgroupBarrier();
  }
  for (var i = 0u; i < ${PER_M}u; i++) {
    let m = m0 + lid.y * ${PER_M}u + i;
    for (var j = 0u; j < ${PER_N}u; j++) {
      let col = n0 + lid.x + j * ${THREADS_X}u;
      if (m < ${g.m}u && col < ${g.cols}u) { storeC(m, col, z, acc[i * ${PER_N}u + j]); }
    }
  }
}`;
}

/** Workgroup grid of a tiled GEMM: its tiles folded over x and y, reduction splits on z. */
function gemmGroups(m: number, cols: number, zChunks: number): [number, number, number] {
  const tiles = Math.ceil(cols / TILE_N) * Math.ceil(m / TILE_M);
  const x = Math.min(tiles, 65535);
  return [x, Math.ceil(tiles / x), zChunks];
}

/**
 * The load of x[n, ci, ih, iw] at `index`, through a batch norm + activation when the
 * source is normalised (its channel records bound as `chan`); padding stays 0.
 */
function sourceLoad(index: string, norm?: BnActivation): string {
  if (!norm) return `  return x[${index}];`;
  const v = normalizedSourceWgsl({ act: norm }, `x[${index}]`, "f32");
  return `  let cp = chan[ci];\n  return ${v};`;
}

/**
 * Forward conv y = conv(x, w). Bindings: x, w, y, and with `norm` the channel records
 * of the batch norm + activation that x is read through.
 */
export function tiledForward(g: ConvShape, norm?: BnActivation): TiledKernel {
  const kk = g.k * g.k;
  const hw = g.ho * g.wo;
  const gemm: TiledGemm = {
    m: g.co,
    cols: g.n * hw,
    kChunk: g.c * kk,
    kTotal: g.c * kk,
    bindings: `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
${norm ? sourceNormBindingWgsl({ act: norm }, 3) : ""}`,
    loadA: `  return w[m * ${g.c * kk}u + r];`,
    loadB: `  let ci = r / ${kk}u;
  let tap = r % ${kk}u;
  let n = col / ${hw}u;
  let rem = col % ${hw}u;
  let ih = i32((rem / ${g.wo}u) * ${g.stride}u + tap / ${g.k}u) - ${g.pad};
  let iw = i32((rem % ${g.wo}u) * ${g.stride}u + tap % ${g.k}u) - ${g.pad};
  if (ih < 0 || ih >= ${g.h} || iw < 0 || iw >= ${g.w}) { return 0.0; }
${sourceLoad(`((n * ${g.c}u + ci) * ${g.h}u + u32(ih)) * ${g.w}u + u32(iw)`, norm)}`,
    storeC: `  y[((col / ${hw}u) * ${g.co}u + m) * ${hw}u + col % ${hw}u] = v;`,
  };
  return { wgsl: () => gemmWgsl(gemm), groups: gemmGroups(gemm.m, gemm.cols, 1) };
}

/** Input gradient dx = convᵀ(dy, w). Bindings: dy, w, dx. */
export function tiledInputGrad(g: ConvShape): TiledKernel {
  const kk = g.k * g.k;
  const hw = g.h * g.w;
  const gemm: TiledGemm = {
    m: g.c,
    cols: g.n * hw,
    kChunk: g.co * kk,
    kTotal: g.co * kk,
    bindings: `@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read> w: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;`,
    loadA: `  return w[((r / ${kk}u) * ${g.c}u + m) * ${kk}u + r % ${kk}u];`,
    loadB: `  let o = r / ${kk}u;
  let tap = r % ${kk}u;
  let n = col / ${hw}u;
  let rem = col % ${hw}u;
  let th = i32(rem / ${g.w}u) + ${g.pad} - i32(tap / ${g.k}u);
  let tw = i32(rem % ${g.w}u) + ${g.pad} - i32(tap % ${g.k}u);
  if (th < 0 || tw < 0 || th % ${g.stride} != 0 || tw % ${g.stride} != 0) { return 0.0; }
  let oh = th / ${g.stride};
  let ow = tw / ${g.stride};
  if (oh >= ${g.ho} || ow >= ${g.wo}) { return 0.0; }
  return dy[((n * ${g.co}u + o) * ${g.ho}u + u32(oh)) * ${g.wo}u + u32(ow)];`,
    storeC: `  dx[((col / ${hw}u) * ${g.c}u + m) * ${hw}u + col % ${hw}u] = v;`,
  };
  return { wgsl: () => gemmWgsl(gemm), groups: gemmGroups(gemm.m, gemm.cols, 1) };
}

/** Reduction chunks of the tiled weight gradient: enough workgroups to fill a GPU. */
export function tiledWeightGradChunks(g: ConvShape): number {
  const pixels = g.n * g.ho * g.wo;
  const tiles = Math.ceil(g.co / TILE_M) * Math.ceil((g.c * g.k * g.k) / TILE_N);
  // Aim for ~256 workgroups, each reducing at least 256 pixels.
  const byOccupancy = Math.ceil(256 / tiles);
  const byWork = Math.floor(pixels / 256);
  return Math.max(1, Math.min(byOccupancy, byWork, 64));
}

/** Partial weight gradients, one per z chunk. Bindings: x, dy, partial (, chan with `norm`). */
export function tiledWeightGrad(
  g: ConvShape,
  chunks: number,
  norm?: BnActivation,
): TiledKernel {
  const kk = g.k * g.k;
  const hw = g.ho * g.wo;
  const pixels = g.n * hw;
  const chunk = Math.ceil(pixels / chunks / TILE_K) * TILE_K;
  const dw = g.co * g.c * kk;
  const gemm: TiledGemm = {
    m: g.co,
    cols: g.c * kk,
    kChunk: chunk,
    kTotal: pixels,
    bindings: `@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> partial: array<f32>;
${norm ? sourceNormBindingWgsl({ act: norm }, 3) : ""}`,
    loadA: `  return dy[((r / ${hw}u) * ${g.co}u + m) * ${hw}u + r % ${hw}u];`,
    loadB: `  let ci = col / ${kk}u;
  let tap = col % ${kk}u;
  let n = r / ${hw}u;
  let rem = r % ${hw}u;
  let ih = i32((rem / ${g.wo}u) * ${g.stride}u + tap / ${g.k}u) - ${g.pad};
  let iw = i32((rem % ${g.wo}u) * ${g.stride}u + tap % ${g.k}u) - ${g.pad};
  if (ih < 0 || ih >= ${g.h} || iw < 0 || iw >= ${g.w}) { return 0.0; }
${sourceLoad(`((n * ${g.c}u + ci) * ${g.h}u + u32(ih)) * ${g.w}u + u32(iw)`, norm)}`,
    storeC: `  partial[z * ${dw}u + m * ${g.c * kk}u + col] = v;`,
  };
  return { wgsl: () => gemmWgsl(gemm), groups: gemmGroups(gemm.m, gemm.cols, chunks) };
}
