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
 * The same strip kernel computes the forward conv and the input gradient (a conv of dy
 * with the transposed weights, run once per row parity class when stride is 2 so that
 * only the taps that hit are visited). The weight gradient is a separate kernel that
 * splits the N·Ho·Wo reduction over independent "slots" and writes one partial dW per
 * slot; `sumPartialsWgsl` then adds them in a fixed order.
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
}

const STRIP_WG = 64;

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
function vecType(vw: number): string {
  return vw === 1 ? "f32" : `vec${vw}<f32>`;
}

/** Number of strips (= invocations along x) of a strip conv dispatch. */
export function stripCount(spec: StripConvSpec): number {
  return spec.n * spec.rows * Math.ceil(spec.dstW / spec.p);
}

/** The source window of a strip, in vectors relative to its first vector. */
function stripWindow(colTaps: ColTap[][], vw: number): { v0: number; nv: number } {
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
  L.push(`  }`);
  L.push(`}`);
  return L.join("\n");
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
function channelBlock(k: number, cOut: number, cIn: number, wide: boolean): number {
  // A stem conv (1–4 input channels, e.g. 3×3 from a grey image) loads a source
  // window per channel and tap row for few FMAs: 16-channel blocks halve those loads
  // (the 28×28 1→16 stem: 5.3 → 4.4 ms with one llvmpipe thread).
  let ob = wide ? 32 : k === 1 || cIn <= STEM_CHANNELS ? 16 : 8;
  while (!wide && ob > 4 && cIn * k * k * ob * 4 > UNIFORM_BYTES) ob /= 2;
  return Math.min(ob, Math.ceil(cOut / 4) * 4);
}

const STEM_CHANNELS = 4;

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
  const ob = channelBlock(g.k, g.co, g.c, wide);
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
  const ob = channelBlock(g.k, g.c, g.co, wide);
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

/** Weight gradient, register variant: blocking and reduction split. */
export interface StripWeightGradSpec {
  g: ConvShape;
  /** Output pixels per strip. */
  p: number;
  /** Vector widths of x and dy loads. */
  vwX: number;
  vwY: number;
  /** Block of dW per invocation: obo output channels × cbc input channels × abr rows. */
  obo: number;
  cbc: number;
  abr: number;
  /** Independent partial sums: invocation (slot, block) sums strips slot, slot + slots, …
   * for its block and writes that block of partial dW number `slot`. */
  slots: number;
  wg: number;
}

/** Blocks of dW: (output-channel blocks, input-channel blocks, kernel-row blocks). */
export function weightGradBlocks(
  s: StripWeightGradSpec,
): { nob: number; ncb: number; nab: number } {
  return {
    nob: Math.ceil(s.g.co / s.obo),
    ncb: Math.ceil(s.g.c / s.cbc),
    nab: Math.ceil(s.g.k / s.abr),
  };
}

/** Strips (rows of dy split into p-pixel pieces) the dW reduction runs over. */
export function weightGradStrips(s: StripWeightGradSpec): number {
  return s.g.n * s.g.ho * Math.ceil(s.g.wo / s.p);
}

/**
 * Budget for the partial sums: at most this many floats of partial dW. The second
 * pass reads every partial with storage loads, which cost llvmpipe about as much as
 * the dozens of FMAs the extra slots would have run in parallel, so slots stay few.
 */
const PARTIAL_BUDGET = 1 << 18;
/** Invocations the strip dW aims for (it does less per invocation than the GEMM). */
const STRIP_DW_MIN_INVOCATIONS = 16 * STRIP_WG;

/** Picks the dW blocking and number of slots for a conv. */
export function weightGradSpec(g: ConvShape): StripWeightGradSpec {
  const p = g.wo >= 6 ? 8 : 4;
  let vwX = 1;
  for (const v of [4, 2]) {
    if (g.w % v === 0 && (p * g.stride) % v === 0) {
      vwX = v;
      break;
    }
  }
  const vwY = g.wo % 4 === 0 ? 4 : g.wo % 2 === 0 ? 2 : 1;
  const [obo, cbc, abr] = g.k === 1 ? [8, 8, 1] : g.k === 3 ? [8, 2, 3] : [4, 4, 1];
  const spec: StripWeightGradSpec = { g, p, vwX, vwY, obo, cbc, abr, slots: 1, wg: STRIP_WG };
  const { nob, ncb, nab } = weightGradBlocks(spec);
  const blocks = nob * ncb * nab;
  const strips = weightGradStrips(spec);
  const dw = g.co * g.c * g.k * g.k;
  // Invocations are (slot, block) pairs: enough of them for several workgroups per
  // core, each slot still summing several strips, and the partials kept small.
  while (
    spec.slots * blocks < STRIP_DW_MIN_INVOCATIONS && spec.slots * 2 * dw <= PARTIAL_BUDGET &&
    spec.slots * 8 <= strips
  ) spec.slots *= 2;
  spec.wg = fitWorkgroup(spec.wg, weightGradInvocations(spec));
  return spec;
}

/** Invocations of the dW partial-sum kernel: one per (slot, block). */
export function weightGradInvocations(s: StripWeightGradSpec): number {
  const { nob, ncb, nab } = weightGradBlocks(s);
  return s.slots * nob * ncb * nab;
}

/**
 * WGSL of the dW partial sums: slot `sl` adds, over the strips sl, sl + slots, …,
 * dy[n,o,oh,ow]·x[n,c,s·oh−pad+a,s·ow−pad+b] for its block of (o, c, a, b) and
 * writes partial[sl, o, c, a, b]. dy values are gathered four output channels at a
 * time so that each FMA updates a vec4 of accumulators.
 */
export function weightGradStripWgsl(s: StripWeightGradSpec, groupsX: number): string {
  const { g, p, vwX, vwY, obo, cbc, abr } = s;
  const { nob, ncb, nab } = weightGradBlocks(s);
  const blocks = nob * ncb * nab;
  const obo4 = obo / 4;
  const sr = Math.ceil(g.wo / p);
  const strips = weightGradStrips(s);
  const iters = Math.ceil(strips / s.slots);
  const xWV = g.w / vwX;
  const yWV = g.wo / vwY;
  const dw = g.co * g.c * g.k * g.k;
  const colTaps: ColTap[][] = [];
  for (let t = 0; t < p; t++) {
    colTaps.push(Array.from({ length: g.k }, (_, b) => ({ b, off: g.stride * t - g.pad + b })));
  }
  const { v0, nv } = stripWindow(colTaps, vwX);
  const zeroX = vwX === 1 ? "0.0" : `${vecType(vwX)}(0.0)`;
  const zeroY = vwY === 1 ? "0.0" : `${vecType(vwY)}(0.0)`;
  const xcomp = (j: number, c: number) => (vwX === 1 ? `xv${j}` : `xv${j}[${c}]`);
  const ycomp = (o: number, t: number) => {
    const u = Math.floor(t / vwY);
    return vwY === 1 ? `dy${o}_${u}` : `dy${o}_${u}[${t % vwY}]`;
  };
  const L: string[] = [];
  L.push(`@group(0) @binding(0) var<storage, read> x: array<${vecType(vwX)}>;`);
  L.push(`@group(0) @binding(1) var<storage, read> dy: array<${vecType(vwY)}>;`);
  L.push(`@group(0) @binding(2) var<storage, read_write> partial: array<f32>;`);
  L.push(`@compute @workgroup_size(${s.wg})`);
  L.push(`fn main(@builtin(local_invocation_id) lid: vec3<u32>,`);
  L.push(`        @builtin(workgroup_id) wid: vec3<u32>) {`);
  const total = s.slots * blocks;
  L.push(`  let gi = (wid.x + wid.z * ${groupsX}u) * ${s.wg}u + lid.x;`);
  L.push(`  let live = gi < ${total}u;`);
  L.push(`  let slot = min(gi, ${total - 1}u) % ${s.slots}u;`);
  L.push(`  let blk = min(gi, ${total - 1}u) / ${s.slots}u;`);
  L.push(`  let o0 = (blk % ${nob}u) * ${obo}u;`);
  L.push(`  let c0 = ((blk / ${nob}u) % ${ncb}u) * ${cbc}u;`);
  L.push(`  let a0 = (blk / ${nob * ncb}u) * ${abr}u;`);
  for (let ci = 0; ci < cbc; ci++) {
    for (let ai = 0; ai < abr; ai++) {
      for (let b = 0; b < g.k; b++) {
        for (let q = 0; q < obo4; q++) L.push(`  var acc${ci}_${ai}_${b}_${q} = vec4<f32>(0.0);`);
      }
    }
  }
  L.push(`  for (var j = 0u; j < ${iters}u; j++) {`);
  L.push(`    let sIdx = slot + j * ${s.slots}u;`);
  L.push(`    let sv = sIdx < ${strips}u;`);
  L.push(`    let strip = min(sIdx, ${strips - 1}u);`);
  L.push(`    let n = strip / ${g.ho * sr}u;`);
  L.push(`    let rem = strip % ${g.ho * sr}u;`);
  L.push(`    let oh = i32(rem / ${sr}u);`);
  L.push(`    let sc = i32(rem % ${sr}u);`);
  // dy of the strip for each output channel of the block (zero past the row end).
  for (let o = 0; o < obo; o++) {
    for (let u = 0; u < p / vwY; u++) L.push(`    var dy${o}_${u} = ${zeroY};`);
  }
  for (let o = 0; o < obo; o++) {
    const oValid = g.co % obo === 0 ? "sv" : `sv && o0 + ${o}u < ${g.co}u`;
    L.push(`    {`);
    L.push(`      let ok = ${oValid};`);
    L.push(
      `      let yb = i32((n * ${g.co}u + min(o0 + ${o}u, ${g.co - 1}u)) * ${g.ho}u) * ${yWV} + ` +
        `oh * ${yWV} + sc * ${p / vwY};`,
    );
    for (let u = 0; u < p / vwY; u++) {
      const inRow = g.wo % p === 0 ? "" : ` && sc * ${p / vwY} + ${u} < ${yWV}`;
      L.push(`      let ok${u} = ok${inRow};`);
      L.push(
        `      dy${o}_${u} = select(${zeroY}, dy[u32(select(0, yb + ${u}, ok${u}))], ok${u});`,
      );
    }
    L.push(`    }`);
  }
  for (let t = 0; t < p; t++) {
    for (let q = 0; q < obo4; q++) {
      const parts = [0, 1, 2, 3].map((i) => ycomp(q * 4 + i, t)).join(", ");
      L.push(`    let g${t}_${q} = vec4<f32>(${parts});`);
    }
  }
  for (let j = 0; j < nv; j++) {
    L.push(`    let cv${j} = sc * ${(p * g.stride) / vwX} + ${v0 + j};`);
    L.push(`    let cok${j} = cv${j} >= 0 && cv${j} < ${xWV};`);
  }
  for (let ci = 0; ci < cbc; ci++) {
    for (let ai = 0; ai < abr; ai++) {
      L.push(`    {`);
      const cValid = g.c % cbc === 0 ? "" : ` && c0 + ${ci}u < ${g.c}u`;
      const aValid = g.k % abr === 0 ? "" : ` && a0 + ${ai}u < ${g.k}u`;
      L.push(`      let ih = oh * ${g.stride} - ${g.pad} + i32(a0) + ${ai};`);
      L.push(`      let rok = ih >= 0 && ih < ${g.h}${cValid}${aValid};`);
      L.push(
        `      let rb = i32((n * ${g.c}u + min(c0 + ${ci}u, ${g.c - 1}u)) * ${g.h}u) * ${xWV} + ` +
          `ih * ${xWV};`,
      );
      for (let j = 0; j < nv; j++) {
        L.push(`      let ok${j} = rok && cok${j};`);
        L.push(
          `      let xv${j} = select(${zeroX}, x[u32(select(0, rb + cv${j}, ok${j}))], ok${j});`,
        );
      }
      for (let b = 0; b < g.k; b++) {
        for (let t = 0; t < p; t++) {
          const e = g.stride * t - g.pad + b - v0 * vwX;
          const v = xcomp(Math.floor(e / vwX), e % vwX);
          for (let q = 0; q < obo4; q++) {
            const acc = `acc${ci}_${ai}_${b}_${q}`;
            L.push(`      ${acc} = fma(g${t}_${q}, vec4<f32>(${v}), ${acc});`);
          }
        }
      }
      L.push(`    }`);
    }
  }
  L.push(`  }`);
  // partial[slot, o, c, a, b]
  L.push(`  if (live) {`);
  L.push(`    let pb = slot * ${dw}u;`);
  for (let ci = 0; ci < cbc; ci++) {
    for (let ai = 0; ai < abr; ai++) {
      for (let q = 0; q < obo4; q++) {
        for (let i = 0; i < 4; i++) {
          const o = q * 4 + i;
          const conds: string[] = [];
          if (g.co % obo !== 0) conds.push(`o0 + ${o}u < ${g.co}u`);
          if (g.c % cbc !== 0) conds.push(`c0 + ${ci}u < ${g.c}u`);
          if (g.k % abr !== 0) conds.push(`a0 + ${ai}u < ${g.k}u`);
          const idx =
            `pb + (((o0 + ${o}u) * ${g.c}u + c0 + ${ci}u) * ${g.k}u + a0 + ${ai}u) * ${g.k}u`;
          const stores = Array.from(
            { length: g.k },
            (_, b) => `partial[${idx} + ${b}u] = acc${ci}_${ai}_${b}_${q}[${i}];`,
          ).join(" ");
          L.push(conds.length ? `    if (${conds.join(" && ")}) { ${stores} }` : `    ${stores}`);
        }
      }
    }
  }
  L.push(`  }`);
  L.push(`}`);
  return L.join("\n");
}

/**
 * Weight gradient of a 1×1 stride-1 conv as a GEMM over k = (n, pixel):
 * dW[o, c] = Σ_k dy[n, o, p]·x[n, c, p]. An invocation owns a bo × bc block of dW
 * and a contiguous range of k (its slot). Each k step loads bo + bc values (vec4s
 * of 4 pixels when H·W % 4 = 0) and does bo·bc dot products, so large blocks matter
 * more than anything on llvmpipe, where a storage load costs as much as dozens of
 * FMAs and a spilled accumulator only a native stack access.
 */
export interface GemmWeightGradSpec {
  g: ConvShape;
  /** dW block of one invocation: bo output channels × bc input channels. */
  bo: number;
  bc: number;
  /** Pixels a k step: 4 (vec4 loads) when H·W % 4 = 0, else 1. */
  vk: 1 | 4;
  /** Independent ranges of k; invocation (slot, block) writes partial dW number `slot`. */
  slots: number;
  wg: number;
  /** x is the input of a batch norm + this activation, applied as it loads (binding 3). */
  norm?: BnActivation;
}

/**
 * Most accumulators of one invocation (bo·bc), and most channels on one side. llvmpipe
 * compiles a 32×32 block in about a second against a tenth for 16×16 (superlinear in
 * the accumulators), and runs it about 1.5× faster: large convs take the large block,
 * where the runtime saved over a training run is worth the compile.
 */
const GEMM_MAX_BLOCK = 256;
const GEMM_LARGE_BLOCK = 1024;
const GEMM_LARGE_MACS = 1 << 25;
const GEMM_MAX_SIDE = 64;
/** Invocations to aim for (a few workgroups a core) and fewest k steps a slot. */
const GEMM_MIN_INVOCATIONS = 256;
const GEMM_MIN_STEPS = 32;
/** Partial floats the GEMM may write: its blocks are few, so a second slot pays more often. */
const GEMM_PARTIAL_BUDGET = 1 << 20;

/** The block length ≤ cap over `d` channels that wastes the fewest (then the longest). */
function blockLength(d: number, cap: number): number {
  if (d <= cap) return d;
  let best = cap;
  let bestWaste = Infinity;
  for (let b = cap; b >= Math.ceil(cap / 2); b--) {
    const waste = Math.ceil(d / b) * b - d;
    if (waste < bestWaste) [best, bestWaste] = [b, waste];
  }
  return best;
}

/** Blocks of dW in the GEMM weight gradient: (output-channel blocks, input-channel blocks). */
export function gemmWeightGradBlocks(s: GemmWeightGradSpec): { nbo: number; nbc: number } {
  return { nbo: Math.ceil(s.g.co / s.bo), nbc: Math.ceil(s.g.c / s.bc) };
}

/** The GEMM weight gradient's blocking and slots for a 1×1 stride-1 conv. */
export function gemmWeightGradSpec(g: ConvShape): GemmWeightGradSpec {
  if (g.k !== 1 || g.stride !== 1) throw new Error("gemmWeightGradSpec: needs a 1×1 stride-1 conv");
  const macs = g.n * g.h * g.w * g.c * g.co;
  const maxBlock = macs >= GEMM_LARGE_MACS ? GEMM_LARGE_BLOCK : GEMM_MAX_BLOCK;
  const bc = blockLength(g.c, Math.sqrt(maxBlock));
  const bo = blockLength(g.co, Math.min(GEMM_MAX_SIDE, Math.floor(maxBlock / bc)));
  const vk = (g.h * g.w) % 4 === 0 ? 4 : 1;
  const spec: GemmWeightGradSpec = { g, bo, bc, vk, slots: 1, wg: STRIP_WG };
  const { nbo, nbc } = gemmWeightGradBlocks(spec);
  const steps = (g.n * g.h * g.w) / vk;
  const dw = g.co * g.c;
  while (
    spec.slots * nbo * nbc < GEMM_MIN_INVOCATIONS &&
    steps / (spec.slots * 2) >= GEMM_MIN_STEPS && spec.slots * 2 * dw <= GEMM_PARTIAL_BUDGET
  ) spec.slots *= 2;
  spec.wg = fitWorkgroup(spec.wg, gemmWeightGradInvocations(spec));
  return spec;
}

/** Invocations of the GEMM weight gradient: one per (slot, block). */
export function gemmWeightGradInvocations(s: GemmWeightGradSpec): number {
  const { nbo, nbc } = gemmWeightGradBlocks(s);
  return s.slots * nbo * nbc;
}

/** WGSL of the GEMM weight gradient: writes partial[slot, o, c] (dW itself when slots = 1). */
export function gemmWeightGradWgsl(s: GemmWeightGradSpec, groupsX: number): string {
  const { g, bo, bc, vk } = s;
  const { nbo, nbc } = gemmWeightGradBlocks(s);
  const total = s.slots * nbo * nbc;
  const planeV = (g.h * g.w) / vk; // k steps a plane
  const steps = g.n * planeV;
  const perSlot = Math.ceil(steps / s.slots);
  const t = vk === 4 ? "vec4<f32>" : "f32";
  const mul = (a: string, b: string) => (vk === 4 ? `dot(${a}, ${b})` : `${a} * ${b}`);
  // Rows past the channel count (a partial last block) read the last channel, unused.
  const row = (base: string, j: number, count: number, block: number) =>
    count % block === 0 ? `${base} + ${j}u` : `min(${base} + ${j}u, ${count - 1}u)`;
  const L: string[] = [];
  L.push(`@group(0) @binding(0) var<storage, read> x: array<${t}>;`);
  L.push(`@group(0) @binding(1) var<storage, read> dy: array<${t}>;`);
  L.push(`@group(0) @binding(2) var<storage, read_write> partial: array<f32>;`);
  const norm = s.norm ? { act: s.norm } : undefined;
  if (norm) L.push(sourceNormBindingWgsl(norm, 3));
  L.push(`@compute @workgroup_size(${s.wg})`);
  L.push(`fn main(@builtin(local_invocation_id) lid: vec3<u32>,`);
  L.push(`        @builtin(workgroup_id) wid: vec3<u32>) {`);
  L.push(`  let gi = (wid.x + wid.z * ${groupsX}u) * ${s.wg}u + lid.x;`);
  L.push(`  if (gi >= ${total}u) { return; }`);
  L.push(`  let slot = gi % ${s.slots}u;`);
  L.push(`  let blk = gi / ${s.slots}u;`);
  L.push(`  let o0 = (blk % ${nbo}u) * ${bo}u;`);
  L.push(`  let c0 = (blk / ${nbo}u) * ${bc}u;`);
  for (let j = 0; j < bo; j++) {
    for (let i = 0; i < bc; i++) L.push(`  var a${j}_${i} = 0.0;`);
  }
  if (norm) {
    for (let i = 0; i < bc; i++) L.push(`  let cp${i} = chan[${row("c0", i, g.c, bc)}];`);
  }
  L.push(`  let k0 = slot * ${perSlot}u;`);
  L.push(`  let k1 = min(k0 + ${perSlot}u, ${steps}u);`);
  L.push(`  for (var k = k0; k < k1; k++) {`);
  L.push(`    let n = k / ${planeV}u;`);
  L.push(`    let pv = k % ${planeV}u;`);
  for (let j = 0; j < bo; j++) {
    L.push(`    let d${j} = dy[(n * ${g.co}u + ${row("o0", j, g.co, bo)}) * ${planeV}u + pv];`);
  }
  for (let i = 0; i < bc; i++) {
    const xi = `x[(n * ${g.c}u + ${row("c0", i, g.c, bc)}) * ${planeV}u + pv]`;
    L.push(`    let x${i} = ${normalizedSourceWgsl(norm, xi, t, `cp${i}`)};`);
  }
  for (let j = 0; j < bo; j++) {
    for (let i = 0; i < bc; i++) L.push(`    a${j}_${i} += ${mul(`d${j}`, `x${i}`)};`);
  }
  L.push(`  }`);
  L.push(`  let pb = slot * ${g.co * g.c}u;`);
  for (let j = 0; j < bo; j++) {
    const stores = Array.from(
      { length: bc },
      (_, i) => {
        const st = `partial[pb + (o0 + ${j}u) * ${g.c}u + c0 + ${i}u] = a${j}_${i};`;
        return g.c % bc === 0 ? st : `if (c0 + ${i}u < ${g.c}u) { ${st} }`;
      },
    ).join(" ");
    L.push(g.co % bo === 0 ? `  ${stores}` : `  if (o0 + ${j}u < ${g.co}u) { ${stores} }`);
  }
  L.push(`}`);
  return L.join("\n");
}
