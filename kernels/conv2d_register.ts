/**
 * Register-blocked convolution kernels for CPU adapters (llvmpipe / lavapipe).
 *
 * What is fast there (measured on Mesa 22.3 with a 1024³ matmul: a naive kernel 0.4 GFLOP/s,
 * workgroup-memory tiles 0.25–0.4, register blocking 13): llvmpipe runs 8
 * invocations in the lanes of one AVX register, but every storage-buffer load, even
 * one at the same address in all lanes, becomes a loop over the 8 lanes with a branch
 * per lane and per component. So a vec4 load costs about 2× a scalar one while
 * bringing 4 values, and the kernels are built to load each value once and use it
 * many times:
 *
 * - An invocation owns a *strip* of P consecutive output pixels in one row and a
 *   block of OB output channels (P·OB accumulators). For each input channel and each
 *   kernel row it loads the input row window that the strip's taps touch as aligned
 *   vectors once, and serves every tap (a, b) and every pixel from those registers.
 * - Weights come from a uniform buffer when they fit (llvmpipe reads uniform buffers
 *   with a vector gather, no per-lane loop), repacked so that the OB weights of one
 *   (channel, tap) are OB/4 consecutive vec4s.
 * - No workgroup memory, no barriers; workgroup x = 64 (a multiple of the 8 lanes).
 *
 * This file holds the strip kernel, which computes the forward conv and the input
 * gradient (a conv of dy with the transposed weights, run once per row parity class when
 * stride is 2 so that only the taps that hit are visited). The weight gradient, built on
 * the same cost model, is conv2d_register_weight_grad.ts.
 */
import { type BnActivation, normalizedSourceWgsl, sourceNormBindingWgsl } from "./batch_norm.ts";
import type { ConvShape } from "./conv2d.ts";

/** Source rows a strip's output row reads: src row = rowScale·r + off0 + i·offStep. */
export interface RowTaps {
  count: number;
  /** Kernel row of tap i: a0 + i·aStep. */
  a0: number;
  aStep: number;
  off0: number;
  offStep: number;
}

/** One kernel column b that reaches output pixel t of a strip, at src column base + off. */
export interface ColTap {
  b: number;
  off: number;
}

/**
 * One dispatch of the strip kernel: dst[n, o, rowStart + rowStep·r, ow0 + t] =
 * Σ_{ci, row taps, col taps} src[n, ci, srcRow, srcCol] · wPacked[block(o), ci, a, b, o].
 */
export interface StripConvSpec {
  n: number;
  cIn: number;
  srcH: number;
  srcW: number;
  cOut: number;
  dstH: number;
  dstW: number;
  k: number;
  rowStart: number;
  rowStep: number;
  /** Output rows this dispatch covers. */
  rows: number;
  rowScale: number;
  rowTaps: RowTaps;
  /** Source column of the strip's first element, per strip (a multiple of `vw`). */
  colScale: number;
  /** colTaps[t]: the taps that reach pixel t of a strip. */
  colTaps: ColTap[][];
  /** Pixels per strip. */
  p: number;
  /** Vector width of source loads (1, 2 or 4; divides srcW and colScale). */
  vw: number;
  /** Vector width of destination stores (1 or 4). */
  vwOut: number;
  /** Output channels per block (a multiple of 4). */
  ob: number;
  /** First block this dispatch computes and how many (one per workgroup row y). */
  blockFirst: number;
  blockCount: number;
  /**
   * Reduction channels this dispatch sums, [redFirst, redFirst + redCount): all of
   * them unless one block's weights exceed a uniform buffer and `chunkByUniform`
   * splits the reduction; then every part after the first adds into dst.
   */
  redFirst: number;
  redCount: number;
  accumulate: boolean;
  /** "uniform": the packed weights of this dispatch's blocks are in a uniform buffer. */
  weights: "uniform" | "storage";
  /** Kernel rows are unrolled (small bodies) or looped (k = 5, 7). */
  unrollRows: boolean;
  wg: number;
  /**
   * The source is the input of a batch norm + this activation, applied as it loads
   * (binding 3: the channel records of kernels/batch_norm.ts; padding stays 0).
   */
  norm?: BnActivation;
  /**
   * Also write each strip's per-channel statistics for the batch norm that reads dst
   * (binding 3, or 4 after a norm's channel records; layout in `stripStatisticsWgsl`).
   */
  statistics?: boolean;
}

export const STRIP_WG = 64;

/**
 * Fewest workgroups a dispatch should have. llvmpipe runs a workgroup on one thread,
 * so the 4×4 stage's dispatches (64 strips of 16 pixels, one or a few weight blocks;
 * a few hundred dW blocks) ran as 1–7 workgroups of 64 and left a core idle or the
 * two unevenly loaded.
 */
const MIN_GROUPS = 8;

/**
 * Workgroup size for `invocations` along x (times `rows` workgroup rows along y):
 * `wg` halved, down to 8 (one AVX register of lanes), until there are MIN_GROUPS.
 */
export function fitWorkgroup(wg: number, invocations: number, rows = 1): number {
  while (wg > 8 && Math.ceil(invocations / wg) * rows < MIN_GROUPS) wg /= 2;
  return wg;
}
/** Largest unrolled body (scalar FMAs per input channel) before rows become a loop. */
const MAX_UNROLLED_FMAS = 640;

/** Vector type of width vw. */
export function vecType(vw: number): string {
  return vw === 1 ? "f32" : `vec${vw}<f32>`;
}

/** Number of strips (= invocations along x) of a strip conv dispatch. */
export function stripCount(spec: StripConvSpec): number {
  return spec.n * spec.rows * Math.ceil(spec.dstW / spec.p);
}

/** The source window of a strip, in vectors relative to its first vector. */
export function stripWindow(colTaps: ColTap[][], vw: number): { v0: number; nv: number } {
  let lo = Infinity;
  let hi = -Infinity;
  for (const taps of colTaps) {
    for (const { off } of taps) {
      lo = Math.min(lo, off);
      hi = Math.max(hi, off);
    }
  }
  if (lo === Infinity) return { v0: 0, nv: 0 };
  const v0 = Math.floor(lo / vw);
  return { v0, nv: Math.floor(hi / vw) - v0 + 1 };
}

/** WGSL of the strip conv (forward conv or input gradient). */
export function stripConvWgsl(s: StripConvSpec, groupsX: number): string {
  const { p, vw, ob, k } = s;
  const ob4 = ob / 4;
  const kk = k * k;
  const srcWV = s.srcW / vw;
  const sr = Math.ceil(s.dstW / p);
  const strips = stripCount(s);
  const { v0, nv } = stripWindow(s.colTaps, vw);
  const zero = vw === 1 ? "0.0" : `${vecType(vw)}(0.0)`;
  const comp = (j: number, c: number) => (vw === 1 ? `xv${j}` : `xv${j}[${c}]`);
  const L: string[] = [];
  L.push(`@group(0) @binding(0) var<storage, read> src: array<${vecType(vw)}>;`);
  L.push(
    s.weights === "uniform"
      ? `@group(0) @binding(1) var<uniform> w: array<vec4<f32>, ${
        s.blockCount * s.redCount * kk * ob4
      }>;`
      : `@group(0) @binding(1) var<storage, read> w: array<vec4<f32>>;`,
  );
  L.push(`@group(0) @binding(2) var<storage, read_write> dst: array<${vecType(s.vwOut)}>;`);
  const norm = s.norm ? { act: s.norm } : undefined;
  if (norm) L.push(sourceNormBindingWgsl(norm, 3));
  if (s.statistics) {
    L.push(
      `@group(0) @binding(${norm ? 4 : 3}) var<storage, read_write> stats: array<vec4<f32>>;`,
    );
  }
  L.push(`@compute @workgroup_size(${s.wg})`);
  L.push(`fn main(@builtin(local_invocation_id) lid: vec3<u32>,`);
  L.push(`        @builtin(workgroup_id) wid: vec3<u32>) {`);
  L.push(`  let sIdx = (wid.x + wid.z * ${groupsX}u) * ${s.wg}u + lid.x;`);
  L.push(`  let live = sIdx < ${strips}u;`);
  L.push(`  let strip = min(sIdx, ${strips - 1}u);`);
  L.push(`  let n = strip / ${s.rows * sr}u;`);
  L.push(`  let rem = strip % ${s.rows * sr}u;`);
  L.push(`  let r = i32(rem / ${sr}u);`);
  L.push(`  let sc = i32(rem % ${sr}u);`);
  L.push(`  let blk = wid.y;`);
  L.push(`  let srcN = i32(n * ${s.cIn * s.srcH * srcWV}u);`);
  for (let q = 0; q < ob4; q++) {
    for (let t = 0; t < p; t++) L.push(`  var acc${q}_${t} = vec4<f32>(0.0);`);
  }
  // Column vectors of the window and whether they lie inside the source row.
  for (let j = 0; j < nv; j++) {
    L.push(`  let cv${j} = sc * ${s.colScale / vw} + ${v0 + j};`);
    L.push(`  let cok${j} = cv${j} >= 0 && cv${j} < ${srcWV};`);
  }
  const rt = s.rowTaps;
  // One kernel row: load its window, then every (t, b) FMA with OB weights.
  const rowBody = (a: string, srow: string, ind: string): string[] => {
    const B: string[] = [];
    B.push(`${ind}let srow = ${srow};`);
    B.push(`${ind}let rok = srow >= 0 && srow < ${s.srcH};`);
    B.push(`${ind}let rb = cb + srow * ${srcWV};`);
    for (let j = 0; j < nv; j++) {
      B.push(`${ind}let ok${j} = rok && cok${j};`);
      const v = normalizedSourceWgsl(norm, `src[u32(select(0, rb + cv${j}, ok${j}))]`, vecType(vw));
      B.push(`${ind}let xv${j} = select(${zero}, ${v}, ok${j});`);
    }
    for (let b = 0; b < k; b++) {
      const users: [number, number][] = []; // [t, element offset in window]
      s.colTaps.forEach((taps, t) => {
        for (const tap of taps) if (tap.b === b) users.push([t, tap.off - v0 * vw]);
      });
      if (users.length === 0) continue;
      for (let q = 0; q < ob4; q++) {
        B.push(`${ind}let w${b}_${q} = w[(wc + ${a} * ${k}u + ${b}u) * ${ob4}u + ${q}u];`);
      }
      for (const [t, e] of users) {
        const v = comp(Math.floor(e / vw), e % vw);
        for (let q = 0; q < ob4; q++) {
          B.push(`${ind}acc${q}_${t} = fma(w${b}_${q}, vec4<f32>(${v}), acc${q}_${t});`);
        }
      }
    }
    return B;
  };
  if (rt.count > 0) {
    L.push(`  for (var cr = 0u; cr < ${s.redCount}u; cr++) {`);
    L.push(`    let cb = srcN + i32((${s.redFirst}u + cr) * ${s.srcH * srcWV}u);`);
    L.push(`    let wc = (blk * ${s.redCount}u + cr) * ${kk}u;`);
    if (norm) L.push(`    let cp = chan[${s.redFirst}u + cr];`);
    if (s.unrollRows) {
      for (let i = 0; i < rt.count; i++) {
        L.push(`    {`);
        const srow = `r * ${s.rowScale} + ${rt.off0 + i * rt.offStep}`;
        L.push(...rowBody(`${rt.a0 + i * rt.aStep}u`, srow, "      "));
        L.push(`    }`);
      }
    } else {
      L.push(`    for (var i = 0; i < ${rt.count}; i++) {`);
      L.push(`      let a = u32(${rt.a0} + i * ${rt.aStep});`);
      L.push(...rowBody("a", `r * ${s.rowScale} + ${rt.off0} + i * ${rt.offStep}`, "      "));
      L.push(`    }`);
    }
    L.push(`  }`);
  } else {
    // No tap reaches these rows (1×1 stride-2 input gradient, odd rows): they are zero.
    // The phony reads keep both inputs in the pipeline's bind group layout.
    L.push(`  _ = src[0];`);
    L.push(`  _ = w[0];`);
    if (norm) L.push(`  _ = chan[0];`);
  }
  // Stores: one row of the destination per output channel.
  const plane = s.dstH * s.dstW;
  L.push(`  if (live) {`);
  L.push(`    let ow0 = u32(sc) * ${p}u;`);
  const dstRow = `u32(${s.rowStart} + r * ${s.rowStep})`;
  L.push(`    let rowBase = n * ${s.cOut * plane}u + ${dstRow} * ${s.dstW}u + ow0;`);
  L.push(`    let o0 = (${s.blockFirst}u + blk) * ${ob}u;`);
  for (let q = 0; q < ob4; q++) {
    for (let i = 0; i < 4; i++) {
      const oc = q * 4 + i;
      const guard = s.cOut % ob === 0 ? "" : `if (o0 + ${oc}u < ${s.cOut}u) `;
      const at = `rowBase + (o0 + ${oc}u) * ${plane}u`;
      if (s.vwOut === 4) {
        const parts: string[] = [];
        for (let t4 = 0; t4 < p / 4; t4++) {
          const vals = [0, 1, 2, 3].map((u) => `acc${q}_${t4 * 4 + u}[${i}]`).join(", ");
          const d = `dst[(${at}) / 4u + ${t4}u]`;
          const st = `${d} = ${s.accumulate ? `${d} + ` : ""}vec4<f32>(${vals});`;
          // The last strip of a row may run past its end (dstW is a multiple of 4).
          parts.push(s.dstW % p === 0 ? st : `if (ow0 + ${t4 * 4}u < ${s.dstW}u) { ${st} }`);
        }
        L.push(`    ${guard}{ ${parts.join(" ")} }`);
      } else {
        const parts: string[] = [];
        for (let t = 0; t < p; t++) {
          const d = `dst[${at} + ${t}u]`;
          const st = `${d} = ${s.accumulate ? `${d} + ` : ""}acc${q}_${t}[${i}];`;
          parts.push(s.dstW % p === 0 ? st : `if (ow0 + ${t}u < ${s.dstW}u) { ${st} }`);
        }
        L.push(`    ${guard}{ ${parts.join(" ")} }`);
      }
    }
  }
  if (s.statistics) L.push(...stripStatisticsWgsl(s, "    "));
  L.push(`  }`);
  L.push(`}`);
  return L.join("\n");
}

/**
 * The statistics epilogue: for each of the block's channels, the mean of the strip's
 * pixels and the sum of squared deviations from it (M2), which the batch norm merges
 * (kernels/bn_partial_stats.ts) instead of reading dst again. One pass over the
 * accumulators, shifted by the strip's first pixel (a sample of the strip, so
 * M2 = Σd² − (Σd)²/n does not cancel the way unshifted sums would). Four channels share
 * a vec4: stats[quad·S + strip] = means, stats[(C/4 + quad)·S + strip] = M2,
 * S = `stripCount`. Pixels past the end of a row (a short last strip) are left out.
 */
function stripStatisticsWgsl(s: StripConvSpec, ind: string): string[] {
  const { p, ob } = s;
  const strips = stripCount(s);
  const quads = s.cOut / 4;
  const ragged = s.dstW % p !== 0;
  const L: string[] = [];
  L.push(
    ragged
      ? `${ind}let stN = f32(min(${p}u, ${s.dstW}u - ow0));`
      : `${ind}let stN = ${p.toFixed(1)};`,
  );
  for (let q = 0; q < ob / 4; q++) {
    const quad = `o0 / 4u + ${q}u`;
    L.push(`${ind}if (${quad} < ${quads}u) {`);
    L.push(`${ind}  var sd = vec4<f32>(0.0);`);
    L.push(`${ind}  var sq = vec4<f32>(0.0);`);
    for (let t = 1; t < p; t++) {
      const d = `acc${q}_${t} - acc${q}_0`;
      const v = ragged ? `select(vec4<f32>(0.0), ${d}, ow0 + ${t}u < ${s.dstW}u)` : d;
      L.push(`${ind}  { let d = ${v}; sd = sd + d; sq = fma(d, d, sq); }`);
    }
    L.push(`${ind}  let dm = sd / stN;`);
    L.push(`${ind}  stats[(${quad}) * ${strips}u + sIdx] = acc${q}_0 + dm;`);
    L.push(
      `${ind}  stats[(${quads}u + ${quad}) * ${strips}u + sIdx] = max(sq - sd * dm, vec4<f32>(0.0));`,
    );
    L.push(`${ind}}`);
  }
  return L;
}

/** Strip length and the vector widths of source loads and destination stores. */
interface StripBlocking {
  p: number;
  vw: number;
  vwOut: number;
}

/**
 * Picks strip length and vector widths: vec4 loads need rows that are whole vec4s
 * and strips whose first source element is vec4-aligned (colStride·p ≡ 0 mod vw).
 * `wide` blocks (see `wideBlocks`) take 16-pixel strips.
 */
function stripBlocking(
  srcW: number,
  dstW: number,
  colStrideNum: number,
  colStrideDen: number,
  wide: boolean,
): StripBlocking {
  const p = wide ? 16 : dstW >= 6 ? 8 : 4;
  const base = (p * colStrideNum) / colStrideDen; // source elements per strip
  let vw = 1;
  for (const v of [4, 2]) {
    if (srcW % v === 0 && Number.isInteger(base) && base % v === 0) {
      vw = v;
      break;
    }
  }
  const vwOut = dstW % 4 === 0 && p % 4 === 0 ? 4 : 1;
  return { p, vw, vwOut };
}

/**
 * Whether a conv's strips are 16 pixels × 32 channels: 1×1 stride-1 convs (one flat
 * row a plane) that reduce over at least 16 channels, with little of the last strip
 * of a plane wasted. Each input channel then costs 4 vec4 source loads and 8 weight
 * loads for 512 FMAs instead of 2 and 4 for 128; measured on llvmpipe 1.1–2× faster
 * on MobileNetV2's 1×1 convs, slower where the reduction is short (8 channels). The
 * larger body compiles about 3× slower, so only convs of ≥ 2^24 MACs take it.
 */
function wideBlocks(g: ConvShape, flat: boolean, dstW: number, reduction: number): boolean {
  const macs = g.n * g.ho * g.wo * g.c * g.co;
  return flat && reduction >= 16 && (dstW % 16 === 0 || dstW >= 128) && macs >= WIDE_MACS;
}
const WIDE_MACS = 1 << 24;

/**
 * Output channels per block: wide for 1×1 (cheap per tap), narrower for k×k, and
 * narrower still until one block's weights fit a uniform buffer (weights read from
 * storage made a 1280-channel input gradient 2.8× slower on llvmpipe). Wide blocks
 * stay wide and split a long reduction instead (`chunkByUniform`): 8-channel blocks
 * load every source value for 4× fewer FMAs, and made that input gradient 1.7×
 * slower than the forward conv of the same size.
 */
function channelBlock(
  k: number,
  cOut: number,
  cIn: number,
  wide: boolean,
  flat = false,
): number {
  if (flat && !wide && cIn >= 16) {
    const fitted = flatBlock(cOut, cIn);
    if (fitted) return fitted;
  }
  // A stem conv (1–4 input channels, e.g. 3×3 from a grey image) loads a source
  // window per channel and tap row for few FMAs: 16-channel blocks halve those loads
  // (the 28×28 1→16 stem: 5.3 → 4.4 ms with one llvmpipe thread).
  let ob = wide ? 32 : k === 1 || cIn <= STEM_CHANNELS ? 16 : 8;
  while (!wide && ob > 4 && cIn * k * k * ob * 4 > UNIFORM_BYTES) ob /= 2;
  return Math.min(ob, Math.ceil(cOut / 4) * 4);
}

const STEM_CHANNELS = 4;

/**
 * The block of a 1×1 stride-1 conv's 8-pixel strips: of 16–32 channels (a multiple of
 * 4), the one that computes the fewest channels past cOut, then the widest, whose
 * weights fit a uniform buffer; null where none does. Wider blocks load each source
 * value for more FMAs, but a block past the last channel computes for nothing.
 */
function flatBlock(cOut: number, cIn: number): number | null {
  let best: number | null = null;
  let bestCost = Infinity;
  for (let ob = 32; ob >= 16; ob -= 4) {
    if (cIn * ob * 4 > UNIFORM_BYTES) continue;
    const cost = Math.ceil(cOut / ob) * ob;
    if (cost < bestCost) [best, bestCost] = [ob, cost];
  }
  return best === null ? null : Math.min(best, Math.ceil(cOut / 4) * 4);
}

/** Forward conv as strip dispatch(es) (before splitting into weight chunks). */
export function forwardStripSpec(g: ConvShape): StripConvSpec {
  // A 1×1 stride-1 conv is a GEMM over the flattened H·W plane: one long "row".
  const flat = g.k === 1 && g.stride === 1;
  const srcH = flat ? 1 : g.h;
  const srcW = flat ? g.h * g.w : g.w;
  const dstH = flat ? 1 : g.ho;
  const dstW = flat ? g.ho * g.wo : g.wo;
  const wide = wideBlocks(g, flat, dstW, g.c);
  const bl = stripBlocking(srcW, dstW, g.stride, 1, wide);
  const ob = channelBlock(g.k, g.co, g.c, wide, flat);
  const colTaps: ColTap[][] = [];
  for (let t = 0; t < bl.p; t++) {
    colTaps.push(Array.from({ length: g.k }, (_, b) => ({ b, off: g.stride * t - g.pad + b })));
  }
  return {
    n: g.n,
    cIn: g.c,
    srcH,
    srcW,
    cOut: g.co,
    dstH,
    dstW,
    k: g.k,
    rowStart: 0,
    rowStep: 1,
    rows: dstH,
    rowScale: g.stride,
    rowTaps: { count: g.k, a0: 0, aStep: 1, off0: -g.pad, offStep: 1 },
    colScale: bl.p * g.stride,
    colTaps,
    ...bl,
    ob,
    blockFirst: 0,
    blockCount: Math.ceil(g.co / ob),
    redFirst: 0,
    redCount: g.c,
    accumulate: false,
    weights: "storage",
    unrollRows: g.k * bl.p * ob <= MAX_UNROLLED_FMAS,
    wg: STRIP_WG,
  };
}

/**
 * Input gradient as strip dispatches: dx[n,c,ih,iw] = Σ dy[n,o,(ih+pad−a)/s,(iw+pad−b)/s]
 * · w[o,c,a,b] over the taps where the division is exact. Stride 1: one dispatch.
 * Stride 2: one dispatch per row parity of ih, each with only the kernel rows that hit;
 * columns use strips of even length, so each pixel's hitting columns are static too.
 */
export function inputGradStripSpecs(g: ConvShape): StripConvSpec[] {
  const s = g.stride;
  const flat = g.k === 1 && s === 1;
  const srcH = flat ? 1 : g.ho;
  const srcW = flat ? g.ho * g.wo : g.wo;
  const dstH = flat ? 1 : g.h;
  const dstW = flat ? g.h * g.w : g.w;
  const wide = wideBlocks(g, flat, dstW, g.co);
  const bl = stripBlocking(srcW, dstW, 1, s, wide);
  const ob = channelBlock(g.k, g.c, g.co, wide, flat);
  const colTaps: ColTap[][] = [];
  for (let t = 0; t < bl.p; t++) {
    const taps: ColTap[] = [];
    for (let b = 0; b < g.k; b++) {
      const d = t + g.pad - b;
      if (d % s === 0) taps.push({ b, off: d / s });
    }
    colTaps.push(taps);
  }
  const specs: StripConvSpec[] = [];
  for (let py = 0; py < s; py++) {
    const rows = Math.ceil((dstH - py) / s);
    if (rows <= 0) continue;
    // Kernel rows a with (py + pad − a) ≡ 0 (mod s): a = a0, a0 + s, …
    const a0 = (((py + g.pad) % s) + s) % s;
    const count = a0 < g.k ? Math.floor((g.k - 1 - a0) / s) + 1 : 0;
    specs.push({
      n: g.n,
      cIn: g.co,
      srcH,
      srcW,
      cOut: g.c,
      dstH,
      dstW,
      k: g.k,
      rowStart: py,
      rowStep: s,
      rows,
      rowScale: 1,
      rowTaps: { count, a0, aStep: s, off0: (py + g.pad - a0) / s, offStep: -1 },
      colScale: bl.p / s,
      colTaps,
      ...bl,
      ob,
      blockFirst: 0,
      blockCount: Math.ceil(g.c / ob),
      redFirst: 0,
      redCount: g.co,
      accumulate: false,
      weights: "storage",
      unrollRows: count * bl.p * ob <= MAX_UNROLLED_FMAS,
      wg: STRIP_WG,
    });
  }
  return specs;
}

/** Largest uniform buffer a kernel may bind (WebGPU's default limit). */
export const UNIFORM_BYTES = 65536;

/**
 * Splits a strip dispatch into weight chunks that fit a uniform buffer (blocks
 * [blockFirst, blockFirst + blockCount) each). Where a single block does not fit,
 * each block's reduction is split into parts that fit, summed into dst in order
 * (storage weights, the alternative, made llvmpipe up to 2.8× slower).
 */
export function chunkByUniform(spec: StripConvSpec, uniformBytes = UNIFORM_BYTES): StripConvSpec[] {
  const blockBytes = spec.cIn * spec.k * spec.k * spec.ob * 4;
  const perChunk = Math.floor(uniformBytes / blockBytes);
  const out: StripConvSpec[] = [];
  if (perChunk < 1) {
    const perPart = Math.floor(uniformBytes / (spec.k * spec.k * spec.ob * 4));
    for (let b = 0; b < spec.blockCount; b++) {
      for (let r = 0; r < spec.cIn; r += perPart) {
        out.push({
          ...spec,
          blockFirst: b,
          blockCount: 1,
          redFirst: r,
          redCount: Math.min(perPart, spec.cIn - r),
          accumulate: r > 0,
          weights: "uniform",
        });
      }
    }
    return out;
  }
  const total = spec.blockCount;
  for (let first = 0; first < total; first += perChunk) {
    out.push({
      ...spec,
      blockFirst: first,
      blockCount: Math.min(perChunk, total - first),
      weights: "uniform",
    });
  }
  return out;
}

/** The spec with its workgroup narrowed until the dispatch has enough workgroups. */
export function fitStripWorkgroup(spec: StripConvSpec): StripConvSpec {
  const wg = fitWorkgroup(spec.wg, stripCount(spec), spec.blockCount);
  return wg === spec.wg ? spec : { ...spec, wg };
}

/** The byte range of the packed weights a uniform-weight chunk copies into its uniform buffer. */
export function uniformWeightRange(spec: StripConvSpec): { offset: number; bytes: number } {
  const perChannel = spec.k * spec.k * spec.ob * 4;
  return {
    offset: (spec.blockFirst * spec.cIn + spec.redFirst) * perChannel,
    bytes: spec.blockCount * spec.redCount * perChannel,
  };
}
