/**
 * WGSL for depthwise 2-D convolution (one k×k filter per channel, 'same' padding
 * pad = (k − 1)/2, stride 1 or 2), NCHW, and its two gradients.
 *
 * Every kernel here is register-blocked: an invocation owns a TH×TW block of its
 * output plane, loads the source rows that block needs once (as vec4 where the row
 * width allows, or as one contiguous vec4 run where the block spans whole rows),
 * leaves out at generation time the loads and multiply-adds that fall in the padding
 * where the block's origin is known, and unrolls all multiply-adds. The three
 * kernels differ only in their "contributions" — which source value times which
 * weight (or output gradient) adds into which accumulator:
 * - forward:        y[i, j]  += x[s·i − p + a, s·j − p + b] · w[a, b]
 * - input gradient: dx[i, j] += dy[(i + p − a)/s, (j + p − b)/s] · w[a, b]
 *                   (only taps where both divisions are exact; a transposed conv)
 * - weight grad.:   dw[a, b] += x[s·i − p + a, s·j − p + b] · dy[i, j]
 *                   summed over the blocks of one channel (by a workgroup on GPUs,
 *                   by a few lanes on llvmpipe), then over those partial sums by
 *                   a deterministic second pass (none where one lane has them all).
 * The forward and the weight gradient can read their source through a batch norm and
 * its activation (`SourceNorm`): every loaded value v becomes act(v·scale[c] +
 * shift[c]) from the channel records `chan[c] = (scale, shift, …)` of
 * kernels/batch_norm.ts, and padding stays 0. The normalised activation is then never
 * written: on llvmpipe a storage access costs as much as ~100 multiply-adds, and the
 * pass that wrote it read and wrote every element. Likewise the forward can write its
 * own output's batch-norm statistics partials as it stores each block
 * (`blockStatisticsWgsl`), so the batch norm that follows does not read the output again.
 * The same register form serves llvmpipe and GPUs for forward and input gradient
 * (the op picks smaller blocks for GPUs; halos come from L1 there). The weight
 * gradient's split differs: per-lane partials on llvmpipe (no barriers; neighbouring
 * lanes on neighbouring channels), a shared-memory fold on GPUs.
 */
import type { KernelVariant } from "../src/gpu/device.ts";
import { normalizedSourceWgsl, type SourceNorm, sourceNormBindingWgsl } from "./batch_norm.ts";
import type { StripPartialsLayout } from "./bn_partial_stats.ts";
import type { Grid1D } from "./common.ts";

/** Shapes of one depthwise convolution. */
export interface DepthwiseGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  k: number;
  stride: number;
  pad: number;
  ho: number;
  wo: number;
}

/** Register block of one invocation and whether rows move as vec4. */
export interface DepthwiseTile {
  th: number;
  tw: number;
  /** Source rows are read as vec4 (source width % 4 = 0 and block origins aligned). */
  vecLoad: boolean;
  /** Output rows are written (or, for dw, dy read) as vec4. */
  vecStore: boolean;
  /**
   * The block spans whole source rows that start 4-aligned in a plane of a multiple
   * of 4 values: its source is one contiguous run, read as aligned vec4 whatever the
   * row width (14- and 7-wide rows; a vec4 may hold the end of one row and the start
   * of the next). Implies a vec4 source binding.
   */
  flatLoad: boolean;
  /** Likewise for the destination block (output, or dy in the weight gradient). */
  flatStore: boolean;
}

/** One multiply-add of a block: source (row, col) offset, tap, accumulator (i, j). */
interface Contribution {
  i: number;
  j: number;
  row: number;
  col: number;
  tap: number;
}

/** Forward / weight-gradient contributions (source = x, block over the output). */
function forwardContributions(g: DepthwiseGeometry, tile: DepthwiseTile): Contribution[] {
  const out: Contribution[] = [];
  const s = g.stride;
  for (let i = 0; i < tile.th; i++) {
    for (let j = 0; j < tile.tw; j++) {
      for (let a = 0; a < g.k; a++) {
        for (let b = 0; b < g.k; b++) {
          out.push({ i, j, row: s * i - g.pad + a, col: s * j - g.pad + b, tap: a * g.k + b });
        }
      }
    }
  }
  return out;
}

/** Input-gradient contributions (source = dy, block over dx, origin = block / s). */
function inputGradContributions(g: DepthwiseGeometry, tile: DepthwiseTile): Contribution[] {
  const out: Contribution[] = [];
  const s = g.stride;
  for (let i = 0; i < tile.th; i++) {
    for (let j = 0; j < tile.tw; j++) {
      for (let a = 0; a < g.k; a++) {
        const dr = i + g.pad - a;
        if (((dr % s) + s) % s !== 0) continue;
        for (let b = 0; b < g.k; b++) {
          const dc = j + g.pad - b;
          if (((dc % s) + s) % s !== 0) continue;
          out.push({ i, j, row: dr / s, col: dc / s, tap: a * g.k + b });
        }
      }
    }
  }
  return out;
}

/** Source plane, destination plane and how a block origin maps into the source. */
interface TileFrame {
  srcH: number;
  srcW: number;
  dstH: number;
  dstW: number;
  /** "mul": source origin = s·block origin; "div": block origin / s. */
  origin: "mul" | "div";
  stride: number;
}

function frameOf(g: DepthwiseGeometry, kind: "forward" | "inputGrad"): TileFrame {
  return kind === "forward"
    ? { srcH: g.h, srcW: g.w, dstH: g.ho, dstW: g.wo, origin: "mul", stride: g.stride }
    : { srcH: g.ho, srcW: g.wo, dstH: g.h, dstW: g.w, origin: "div", stride: g.stride };
}

/**
 * The source origin of every block where it is the same for all of them: 0 along a
 * dimension the block spans whole (one block across or down the plane), else null.
 * A known origin lets the generator drop loads that fall in the padding, and the
 * multiply-adds that would read them, instead of guarding them at run time: on a 4×4
 * plane a 3×3 conv's whole-plane block loads 4 of the 18 vec4 slots it would
 * otherwise touch, and does 100 of its 144 multiply-adds.
 */
export interface StaticOrigin {
  row: number | null;
  col: number | null;
}

function staticOrigin(bw: number, bh: number): StaticOrigin {
  return { row: bh === 1 ? 0 : null, col: bw === 1 ? 0 : null };
}

/**
 * WGSL statements that load every source value the contributions of row offset
 * `row` read, returning a map col offset → WGSL expression, or null where the value
 * is known to lie in the padding (0). Expects `sr0`, `sc0` (i32 source origin) and
 * `sbase` (i32 plane offset) in scope.
 */
function loadSourceRow(
  row: number,
  cols: readonly number[],
  frame: TileFrame,
  vecLoad: boolean,
  lines: string[],
  norm: SourceNorm | undefined,
  fixed: StaticOrigin,
): Map<number, string | null> {
  const exprs = new Map<number, string | null>();
  const id = (v: number) => (v < 0 ? `m${-v}` : `${v}`);
  const rn = id(row);
  const inside = (v: number, size: number) => v >= 0 && v < size;
  if (fixed.row !== null && !inside(fixed.row + row, frame.srcH)) {
    for (const c of cols) exprs.set(c, null);
    return exprs;
  }
  const rowCond = fixed.row !== null ? [] : [`rv_${rn}`];
  if (fixed.row === null) {
    lines.push(`let sr_${rn} = sr0 + ${row};`);
    lines.push(`let rv_${rn} = sr_${rn} >= 0 && sr_${rn} < ${frame.srcH};`);
    lines.push(`let rb_${rn} = sbase + sr_${rn} * ${frame.srcW} + sc0;`);
  } else {
    lines.push(`let rb_${rn} = sbase + ${(fixed.row + row) * frame.srcW} + sc0;`);
  }
  /** Conditions under which column offset `c` is inside the plane; null: never. */
  const colConds = (c: number): string[] | null => {
    if (fixed.col !== null) return inside(fixed.col + c, frame.srcW) ? [] : null;
    return [`sc0 + ${c} >= 0 && sc0 + ${c} < ${frame.srcW}`];
  };
  /** A guarded load: unguarded where the value is known to be inside the plane. */
  const guarded = (
    name: string,
    conds: string[],
    index: string,
    load: (i: string) => string,
    zero: string,
  ) => {
    if (conds.length === 0) {
      lines.push(`let ${name} = ${load(index)};`);
      return;
    }
    lines.push(`let ok_${name} = ${conds.join(" && ")};`);
    lines.push(
      `let ${name} = select(${zero}, ${load(`select(0, ${index}, ok_${name})`)}, ok_${name});`,
    );
  };
  if (vecLoad) {
    const slots = [...new Set(cols.map((c) => Math.floor(c / 4)))].sort((a, b) => a - b);
    const live = new Set<number>();
    for (const q of slots) {
      const cc = colConds(4 * q);
      if (cc === null) continue;
      live.add(q);
      guarded(
        `v_${rn}_${id(q)}`,
        [...rowCond, ...cc],
        `rb_${rn} / 4 + ${q}`,
        (i) => normalizedSourceWgsl(norm, `src4[u32(${i})]`, "vec4<f32>"),
        "vec4<f32>()",
      );
    }
    for (const c of cols) {
      const q = Math.floor(c / 4);
      exprs.set(c, live.has(q) ? `v_${rn}_${id(q)}[${c - 4 * q}]` : null);
    }
  } else {
    for (const c of cols) {
      const cc = colConds(c);
      if (cc === null) {
        exprs.set(c, null);
        continue;
      }
      const name = `x_${rn}_${id(c)}`;
      guarded(
        name,
        [...rowCond, ...cc],
        `rb_${rn} + ${c}`,
        (i) => normalizedSourceWgsl(norm, `src[u32(${i})]`, "f32"),
        "0.0",
      );
      exprs.set(c, name);
    }
  }
  return exprs;
}

/**
 * The loads of a block, row by row: `loadSourceRow`'s, or with `tile.flatLoad` aligned
 * vec4 loads over the block's contiguous source, each emitted once for all rows (the
 * plane and its size are multiples of 4, so a vec4 lies wholly inside or outside the
 * plane, and outside it means padding rows). Expects `sr0` and `sbase` in scope.
 */
function sourceLoader(
  frame: TileFrame,
  tile: DepthwiseTile,
  lines: string[],
  norm: SourceNorm | undefined,
  fixed: StaticOrigin,
): (row: number, cols: readonly number[]) => Map<number, string | null> {
  if (!tile.flatLoad) {
    return (row, cols) => loadSourceRow(row, cols, frame, tile.vecLoad, lines, norm, fixed);
  }
  const plane = frame.srcH * frame.srcW;
  if (fixed.row === null) {
    lines.push(`let fb = sr0 * ${frame.srcW};`);
    lines.push(`let fq = (sbase + fb) / 4;`);
  } else {
    lines.push(`let fq = sbase / 4;`);
  }
  const vecs = new Map<number, string | null>();
  const id = (v: number) => (v < 0 ? `m${-v}` : `${v}`);
  const vec = (q: number): string | null => {
    if (vecs.has(q)) return vecs.get(q)!;
    let name: string | null = `f_${id(q)}`;
    const load = (i: string) => normalizedSourceWgsl(norm, `src4[u32(${i})]`, "vec4<f32>");
    if (fixed.row !== null) {
      const at = fixed.row * frame.srcW + 4 * q;
      if (at < 0 || at >= plane) name = null;
      else lines.push(`let ${name} = ${load(`fq + ${q}`)};`);
    } else {
      lines.push(`let ok_${name} = fb + ${4 * q} >= 0 && fb + ${4 * q} < ${plane};`);
      lines.push(
        `let ${name} = select(vec4<f32>(), ${
          load(`select(0, fq + ${q}, ok_${name})`)
        }, ok_${name});`,
      );
    }
    vecs.set(q, name);
    return name;
  };
  return (row, cols) => {
    const exprs = new Map<number, string | null>();
    for (const c of cols) {
      const colOut = c < 0 || c >= frame.srcW;
      const rowOut = fixed.row !== null &&
        (fixed.row + row < 0 || fixed.row + row >= frame.srcH);
      if (colOut || rowOut) {
        exprs.set(c, null);
        continue;
      }
      const f = row * frame.srcW + c;
      const q = Math.floor(f / 4);
      const v = vec(q);
      exprs.set(c, v === null ? null : `${v}[${f - 4 * q}]`);
    }
    return exprs;
  };
}

/** Groups contributions by source row, in ascending row order. */
function byRow(contribs: readonly Contribution[]): [number, Contribution[]][] {
  const m = new Map<number, Contribution[]>();
  for (const c of contribs) {
    let list = m.get(c.row);
    if (!list) m.set(c.row, list = []);
    list.push(c);
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]);
}

/** Per-invocation setup shared by all three kernels: block origin and source origin. */
function blockSetup(frame: TileFrame, tile: DepthwiseTile, blocksW: number): string {
  const originExpr = (v: string) =>
    frame.stride === 1
      ? v
      : frame.origin === "mul"
      ? `${v} * ${frame.stride}`
      : `${v} / ${frame.stride}`;
  return `let bx = tt % ${blocksW}u;
  let by = tt / ${blocksW}u;
  let r0 = i32(by * ${tile.th}u);
  let c0 = i32(bx * ${tile.tw}u);
  let sr0 = ${originExpr("r0")};
  let sc0 = ${originExpr("c0")};`;
}

/** The source plane's offset, from `plane`. */
function planeBase(frame: TileFrame): string {
  return `let sbase = i32(plane * ${frame.srcH * frame.srcW}u);`;
}

/** Number of TH×TW blocks across and down a destination plane. */
export function blockCounts(dstH: number, dstW: number, tile: DepthwiseTile): [number, number] {
  return [Math.ceil(dstW / tile.tw), Math.ceil(dstH / tile.th)];
}

/**
 * Forward ("forward") or input gradient ("inputGrad"): one invocation per block of
 * `images` planes of one channel (the same block in each), which loads the channel's
 * weights (and record) once for all of them: on a 4×4 plane the 9 scalar weight
 * loads otherwise cost more than the block's 4 vec4 loads and 4 vec4 stores.
 * Bindings: 0 source (x or dy), 1 weights [C·k·k], 2 destination (y or dx), and 3
 * the channel records when the forward reads its source through `norm`.
 */
export function depthwiseConvWgsl(
  g: DepthwiseGeometry,
  kind: "forward" | "inputGrad",
  tile: DepthwiseTile,
  grid: Grid1D,
  wg: number,
  norm?: SourceNorm,
  images = 1,
  statistics?: StripPartialsLayout,
  accumulate = false,
): string {
  if (norm && kind !== "forward") throw new Error("depthwiseConvWgsl: only the forward normalises");
  if (statistics && kind !== "forward") {
    throw new Error("depthwiseConvWgsl: only the forward writes statistics");
  }
  if (g.n % images !== 0) {
    throw new Error(`depthwiseConvWgsl: ${images} images do not divide ${g.n}`);
  }
  const frame = frameOf(g, kind);
  const contribs = kind === "forward"
    ? forwardContributions(g, tile)
    : inputGradContributions(g, tile);
  const [bw, bh] = blockCounts(frame.dstH, frame.dstW, tile);
  const fixed = staticOrigin(bw, bh);
  const total = Math.ceil(g.n / images) * g.c * bw * bh;
  const kk = g.k * g.k;
  const head: string[] = [];
  const taps = [...new Set(contribs.map((c) => c.tap))].sort((a, b) => a - b);
  for (const t of taps) head.push(`let w${t} = wt[wbase + ${t}u];`);
  if (norm) head.push(`let cp = chan[ch];`);
  const lines: string[] = [];
  for (let i = 0; i < tile.th; i++) {
    for (let j = 0; j < tile.tw; j++) lines.push(`var a${i}_${j} = 0.0;`);
  }
  const loadRow = sourceLoader(frame, tile, lines, norm, fixed);
  for (const [row, list] of byRow(contribs)) {
    const cols = [...new Set(list.map((c) => c.col))].sort((a, b) => a - b);
    const xs = loadRow(row, cols);
    for (const c of list) {
      const x = xs.get(c.col);
      if (x) lines.push(`a${c.i}_${c.j} = fma(${x}, w${c.tap}, a${c.i}_${c.j});`);
    }
  }
  lines.push(...storeBlock(frame, tile, accumulate));
  if (statistics) lines.push(...blockStatisticsWgsl(tile));
  return `
@group(0) @binding(0) var<storage, read> ${
    tile.vecLoad || tile.flatLoad ? "src4: array<vec4<f32>>" : "src: array<f32>"
  };
@group(0) @binding(1) var<storage, read> wt: array<f32>;
@group(0) @binding(2) var<storage, read_write> ${
    tile.vecStore || tile.flatStore ? "dst4: array<vec4<f32>>" : "dst: array<f32>"
  };
${sourceNormBindingWgsl(norm, 3)}
${
    statistics
      ? `@group(0) @binding(${norm ? 4 : 3}) var<storage, read_write> stats: array<f32>;`
      : ""
  }
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = ${grid.index};
  if (gi >= ${total}u) { return; }
  let tt = gi % ${bw * bh}u;
  let rest = gi / ${bw * bh}u;
  let ch = rest % ${g.c}u;
  let n0 = (rest / ${g.c}u) * ${images}u;
  let wbase = ch * ${kk}u;
  ${head.join("\n  ")}
  ${blockSetup(frame, tile, bw)}
  ${statistics ? "var stK = 0.0;\n  var sd = 0.0;\n  var sq = 0.0;" : ""}
  for (var e = 0u; e < ${images}u; e = e + 1u) {
    let plane = (n0 + e) * ${g.c}u + ch;
    ${planeBase(frame)}
    ${lines.join("\n    ")}
  }
  ${statistics ? writeStatisticsWgsl(statistics, tile, images, bw * bh) : ""}
}`;
}

/**
 * The statistics epilogue of a forward block (for the batch norm that reads its
 * output: kernels/bn_partial_stats.ts merges the partials instead of a pass over y).
 * Each image's block adds its values' deviations from a shift, the first value the
 * invocation produced (a sample of the channel, as the statistics pass shifts by one,
 * so Σd² − (Σd)²/n does not cancel the way unshifted sums would).
 */
function blockStatisticsWgsl(tile: DepthwiseTile): string[] {
  const lines = ["if (e == 0u) { stK = a0_0; }"];
  for (let i = 0; i < tile.th; i++) {
    for (let j = 0; j < tile.tw; j++) {
      lines.push(`{ let d = a${i}_${j} - stK; sd = sd + d; sq = fma(d, d, sq); }`);
    }
  }
  return lines;
}

/**
 * Writes the invocation's partial: the mean and M2 of its `images` blocks, at strip
 * (image group · blocks a plane + block) of its channel, in the layout the merge reads
 * (vec4 over four channels: stats[quad·S + strip] the means, stats[(C/4 + quad)·S +
 * strip] the M2s).
 */
function writeStatisticsWgsl(
  layout: StripPartialsLayout,
  tile: DepthwiseTile,
  images: number,
  blocks: number,
): string {
  const n = images * tile.th * tile.tw;
  const { c, strips } = layout;
  return `let strip = (n0 / ${images}u) * ${blocks}u + tt;
  let dm = sd / ${n.toFixed(1)};
  let lane = ch % 4u;
  stats[((ch / 4u) * ${strips}u + strip) * 4u + lane] = stK + dm;
  stats[((${c / 4}u + ch / 4u) * ${strips}u + strip) * 4u + lane] = max(sq - sd * dm, 0.0);`;
}

/**
 * Guarded stores of the accumulators a{i}_{j} into the destination plane; with
 * `accumulate`, added to what the destination holds.
 */
function storeBlock(frame: TileFrame, tile: DepthwiseTile, accumulate: boolean): string[] {
  const lines = [`let dbase = i32(plane * ${frame.dstH * frame.dstW}u);`];
  const put = (d: string, value: string) => `${d} = ${accumulate ? `${d} + ` : ""}${value};`;
  if (tile.flatStore) {
    // Whole rows, 4-aligned: the block is th·W contiguous values.
    const acc = (f: number) => `a${Math.floor(f / frame.dstW)}_${f % frame.dstW}`;
    lines.push(`let dq = (dbase + r0 * ${frame.dstW}) / 4;`);
    for (let q = 0; q < (tile.th * frame.dstW) / 4; q++) {
      const v = [0, 1, 2, 3].map((e) => acc(4 * q + e)).join(", ");
      lines.push(put(`dst4[u32(dq + ${q})]`, `vec4<f32>(${v})`));
    }
    return lines;
  }
  const rowGuard = frame.dstH % tile.th !== 0;
  const colGuard = frame.dstW % tile.tw !== 0;
  for (let i = 0; i < tile.th; i++) {
    const rowOk = rowGuard ? `r0 + ${i} < ${frame.dstH}` : "";
    const at = `dbase + (r0 + ${i}) * ${frame.dstW} + c0`;
    const step = tile.vecStore ? 4 : 1;
    for (let j = 0; j < tile.tw; j += step) {
      const conds = [rowOk, colGuard ? `c0 + ${j} < ${frame.dstW}` : ""].filter((s) => s);
      const value = tile.vecStore
        ? `vec4<f32>(a${i}_${j}, a${i}_${j + 1}, a${i}_${j + 2}, a${i}_${j + 3})`
        : `a${i}_${j}`;
      const store = tile.vecStore
        ? put(`dst4[u32((${at}) / 4 + ${j / 4})]`, value)
        : put(`dst[u32(${at} + ${j})]`, value);
      lines.push(conds.length ? `if (${conds.join(" && ")}) { ${store} }` : store);
    }
  }
  return lines;
}

/**
 * Split of the weight-gradient reduction. Tiled (GPUs): workgroup (channel, chunk),
 * its lanes walking the channel's blocks and folding in shared memory. Register
 * (llvmpipe): invocation (channel, part), neighbouring lanes on neighbouring channels,
 * each lane walking every `chunks`-th block of its channel in registers; with one part
 * a channel the lanes write dw themselves and no second pass runs.
 */
export interface WeightGradPlan {
  variant: KernelVariant;
  wg: number;
  /** Workgroups (tiled) or parts (register) per channel. */
  chunks: number;
  /** Partials per (channel, tap) for pass 2; 1 (register): dw is written directly. */
  partials: number;
}

/**
 * Weight gradient, pass 1. Tiled: workgroup (channel c, chunk q); lane u of the
 * channel walks blocks u, u + U, ... over all N·blocks of the channel. Register:
 * invocation c + C·u walks the u-th of P contiguous runs of channel c's blocks (a lane
 * streams through consecutive memory; interleaved runs were slower on 14×14 planes). Either accumulates the
 * k² tap sums and writes partials[(c·k² + tap)·P + p] (dw itself when P = 1).
 * Bindings: 0 x, 1 dy, 2 partials (or dw), and 3 the channel records when x is read
 * through `norm`.
 */
export function depthwiseWeightGradWgsl(
  g: DepthwiseGeometry,
  tile: DepthwiseTile,
  plan: WeightGradPlan,
  norm?: SourceNorm,
): string {
  const frame = frameOf(g, "forward");
  const contribs = forwardContributions(g, tile);
  const [bw, bh] = blockCounts(g.ho, g.wo, tile);
  const fixed = staticOrigin(bw, bh);
  const blocks = bw * bh;
  const kk = g.k * g.k;
  const lanes = plan.chunks * plan.wg;
  const lines: string[] = [];
  // The output-gradient block, zero where it overhangs the plane.
  lines.push(`let dbase = i32(plane * ${g.ho * g.wo}u);`);
  const rowGuard = g.ho % tile.th !== 0;
  const colGuard = g.wo % tile.tw !== 0;
  if (tile.flatStore) {
    lines.push(`let dq = (dbase + r0 * ${g.wo}) / 4;`);
    for (let q = 0; q < (tile.th * g.wo) / 4; q++) {
      lines.push(`let dv${q} = dy4[u32(dq + ${q})];`);
      for (let e = 0; e < 4; e++) {
        const f = 4 * q + e;
        lines.push(`let d${Math.floor(f / g.wo)}_${f % g.wo} = dv${q}[${e}];`);
      }
    }
  }
  for (let i = 0; i < (tile.flatStore ? 0 : tile.th); i++) {
    const rowOk = rowGuard ? `r0 + ${i} < ${g.ho}` : "true";
    const at = `dbase + (r0 + ${i}) * ${g.wo} + c0`;
    if (tile.vecStore) {
      for (let j = 0; j < tile.tw; j += 4) {
        const ok = `${rowOk} && ${colGuard ? `c0 + ${j} < ${g.wo}` : "true"}`;
        lines.push(
          `let d${i}_${j}v = select(vec4<f32>(), dy4[u32(select(0, (${at}) / 4 + ${
            j / 4
          }, ${ok}))], ${ok});`,
        );
        for (let e = 0; e < 4; e++) lines.push(`let d${i}_${j + e} = d${i}_${j}v[${e}];`);
      }
    } else {
      for (let j = 0; j < tile.tw; j++) {
        const ok = `${rowOk} && ${colGuard ? `c0 + ${j} < ${g.wo}` : "true"}`;
        lines.push(`let d${i}_${j} = select(0.0, dy[u32(select(0, ${at} + ${j}, ${ok}))], ${ok});`);
      }
    }
  }
  const loadRow = sourceLoader(frame, tile, lines, norm, fixed);
  for (const [row, list] of byRow(contribs)) {
    const cols = [...new Set(list.map((c) => c.col))].sort((a, b) => a - b);
    const xs = loadRow(row, cols);
    for (const c of list) {
      const x = xs.get(c.col);
      if (x) lines.push(`g${c.tap} = fma(${x}, d${c.i}_${c.j}, g${c.tap});`);
    }
  }
  const decls = Array.from({ length: kk }, (_, t) => `var g${t} = 0.0;`).join(" ");
  const slot = (t: number | string, p: string) =>
    `partials[(c * ${kk}u + ${t}) * ${plan.partials}u + ${p}]`;
  let write: string;
  if (plan.variant === "register") {
    const parts = plan.chunks;
    const lanesTotal = g.c * parts;
    write = Array.from({ length: kk }, (_, t) => `${slot(`${t}u`, "u")} = g${t};`).join("\n  ");
    return `
@group(0) @binding(0) var<storage, read> ${
      tile.vecLoad || tile.flatLoad ? "src4: array<vec4<f32>>" : "src: array<f32>"
    };
@group(0) @binding(1) var<storage, read> ${
      tile.vecStore || tile.flatStore ? "dy4: array<vec4<f32>>" : "dy: array<f32>"
    };
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
${sourceNormBindingWgsl(norm, 3)}
@compute @workgroup_size(${plan.wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let gi = gid.x;
  if (gi >= ${lanesTotal}u) { return; }
  let c = gi % ${g.c}u;
  let u = gi / ${g.c}u;
  ${norm ? "let cp = chan[c];" : ""}
  ${decls}
  let m0 = u * ${Math.ceil((g.n * blocks) / parts)}u;
  let m1 = min(m0 + ${Math.ceil((g.n * blocks) / parts)}u, ${g.n * blocks}u);
  for (var m = m0; m < m1; m = m + 1u) {
    let tt = m % ${blocks}u;
    let plane = (m / ${blocks}u) * ${g.c}u + c;
    ${blockSetup(frame, tile, bw)}
    ${planeBase(frame)}
    ${lines.join("\n    ")}
  }
  ${write}
}`;
  } else {
    // One barrier, then lanes < k² each fold one tap's wg values in a fixed order.
    const stores = Array.from({ length: kk }, (_, t) => `red[${t * plan.wg}u + lane] = g${t};`)
      .join(" ");
    write = `${stores}
  workgroupBarrier();
  if (lane < ${kk}u) {
    var s = 0.0;
    for (var l = 0u; l < ${plan.wg}u; l = l + 1u) { s = s + red[lane * ${plan.wg}u + l]; }
    ${slot("lane", "q")} = s;
  }`;
  }
  return `
@group(0) @binding(0) var<storage, read> ${
    tile.vecLoad || tile.flatLoad ? "src4: array<vec4<f32>>" : "src: array<f32>"
  };
@group(0) @binding(1) var<storage, read> ${
    tile.vecStore || tile.flatStore ? "dy4: array<vec4<f32>>" : "dy: array<f32>"
  };
@group(0) @binding(2) var<storage, read_write> partials: array<f32>;
${sourceNormBindingWgsl(norm, 3)}
${plan.variant === "tiled" ? `var<workgroup> red: array<f32, ${kk * plan.wg}>;` : ""}
@compute @workgroup_size(${plan.wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) lane: u32) {
  let c = wid.x / ${plan.chunks}u;
  let q = wid.x % ${plan.chunks}u;
  let u = q * ${plan.wg}u + lane;
  ${norm ? "let cp = chan[c];" : ""}
  ${decls}
  for (var m = u; m < ${g.n * blocks}u; m = m + ${lanes}u) {
    let tt = m % ${blocks}u;
    let plane = (m / ${blocks}u) * ${g.c}u + c;
    ${blockSetup(frame, tile, bw)}
    ${planeBase(frame)}
    ${lines.join("\n    ")}
  }
  ${write}
}`;
}
