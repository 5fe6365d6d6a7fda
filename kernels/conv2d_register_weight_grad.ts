/**
 * The weight gradient of a dense conv on CPU adapters, on the cost model of
 * conv2d_register.ts (load each value once, use it from registers many times):
 *
 * - the strip dW splits the N·Ho·Wo reduction over independent "slots", each writing one
 *   partial dW of a block of (output channel, input channel, kernel row);
 * - a 1×1 stride-1 conv's dW is a GEMM over k = (n, pixel), blocked the same way.
 *
 * `sumPartialsWgsl` (conv2d.ts) then adds the partials in a fixed order, so the sum does
 * not depend on how the work was split.
 */
import { type BnActivation, normalizedSourceWgsl, sourceNormBindingWgsl } from "./batch_norm.ts";
import type { ConvShape } from "./conv2d.ts";
import { type ColTap, fitWorkgroup, STRIP_WG, stripWindow, vecType } from "./conv2d_register.ts";

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
