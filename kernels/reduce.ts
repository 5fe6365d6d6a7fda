/**
 * WGSL for segmented sums: R rows, each a sum over M items of one or more term
 * expressions, then a per-row "finalize" step that turns the sums into outputs.
 * Batch-norm statistics, their backward sums, pooling, bias gradients, the
 * binary-gate gradient Σ y_k·dy and full sums are all instances.
 *
 * Item m of row r lives at flat offset
 *   r·rowStride + ⌊m / segLen⌋·segStride + (m mod segLen)
 * which covers contiguous rows (one segment), per-channel sums over NCHW
 * (segments = N planes of H·W) and column sums (segLen = 1).
 *
 * Two passes, deterministic (a fixed split and a fixed summation order; WGSL has no
 * float atomics and we want none):
 * - pass 1 splits each row into Q chunks; a workgroup sums one chunk. The
 *   "register" form (llvmpipe: no barriers) gives each invocation a contiguous run
 *   of the chunk and writes one partial per invocation; the "tiled" form (real
 *   GPUs) interleaves invocations item by item (coalesced loads), folds the
 *   workgroup in shared memory and writes one partial per workgroup.
 * - pass 2 sums the P partials of each row (one invocation per row in the register
 *   form, one workgroup per row with a shared-memory tree in the tiled form) and
 *   runs `finalize`.
 * Rows of at most a few hundred items take a single "direct" pass instead: one
 * invocation per row. Where the layout allows, items are vec4 groups
 * (`vectorizeReduction`).
 */
import type { KernelVariant } from "../src/gpu/device.ts";

/** Where the items of each row live (see the module comment). */
export interface ReduceLayout {
  rows: number;
  /** Items per row (M). */
  items: number;
  segLen: number;
  rowStride: number;
  segStride: number;
}

/** A storage binding as it appears in the WGSL. */
export interface BindingDecl {
  name: string;
  access: "read" | "read_write";
  /** Element type; default f32. */
  type?: "f32" | "i32" | "vec4<f32>";
}

/** What to sum and what to do with the sums; WGSL fragments. */
export interface ReduceBody {
  /** Read-only arrays the terms use. */
  inputs: readonly BindingDecl[];
  /** Statements run once per row before the loop; may use `r` (u32). */
  prelude?: string;
  /**
   * Statements run once per item before the terms (values several terms share); may
   * use `i`. Values of an item have type `Item` (f32, or vec4<f32> when vectorised).
   */
  perItem?: string;
  /** One `Item` expression a sum; may use `i` (u32 flat offset), `r` and the prelude. */
  terms: readonly string[];
  /** Arrays `finalize` reads or writes. */
  outputs: readonly BindingDecl[];
  /** Statements that may use `r` and the sums `s0`, `s1`, ... */
  finalize: string;
  /** Terms are vec4 expressions over vec4 items (see `vectorizeReduction`). */
  vec4?: boolean;
  /**
   * Register form: walk each run of items plane by plane (`walkedItemLoop`) instead of
   * finding every item's plane with a division. For bodies of one load an item.
   */
  walkSegments?: boolean;
}

/** How a reduction is split over workgroups. */
export interface ReducePlan {
  mode: "direct" | "split";
  variant: KernelVariant;
  /** Invocations per workgroup of pass 1 (and of pass 2 in the tiled form). */
  wg: number;
  /** Chunks per row (pass-1 workgroups per row). */
  chunks: number;
  /** Items per chunk (a multiple of wg). */
  chunkItems: number;
  /** Partials per row and term, read by pass 2. */
  partials: number;
}

// Rows this short are summed by one invocation each: a second dispatch costs more.
const DIRECT_MAX: Record<KernelVariant, number> = { register: 256, tiled: 32 };
// Fewest workgroups of a register direct pass (llvmpipe runs one a thread at a time).
const DIRECT_MIN_GROUPS = 8;
const WG: Record<KernelVariant, number> = { register: 64, tiled: 128 };
// Items per pass-1 workgroup we aim for, and the fewest workgroups worth launching.
// llvmpipe: 16384 (runs of 256 items a lane) took 72 ms over a MobileNetV2 training
// step's reductions against 78.5 for 4096 and 76.7 for 8192 (one thread, timestamps);
// MIN_GROUPS still splits rows into chunks where there are too few rows.
const CHUNK_TARGET: Record<KernelVariant, number> = { register: 16384, tiled: 2048 };
const MIN_GROUPS: Record<KernelVariant, number> = { register: 16, tiled: 256 };
// The register form's pass 2 is one invocation a row: keep its loop short.
const MAX_PARTIALS = 4096;

/** Chooses direct or split and the chunking for a layout. */
export function planReduce(
  layout: ReduceLayout,
  variant: KernelVariant,
  forceSplit = false,
): ReducePlan {
  const wg = WG[variant];
  const m = layout.items;
  if (!forceSplit && m <= DIRECT_MAX[variant]) {
    // Narrower workgroups on llvmpipe until there are enough of them (48 channels
    // ran as one workgroup of 64, on one thread).
    let dwg = 64;
    while (
      variant === "register" && dwg > 8 && Math.ceil(layout.rows / dwg) < DIRECT_MIN_GROUPS
    ) dwg /= 2;
    return { mode: "direct", variant, wg: dwg, chunks: 1, chunkItems: m, partials: 0 };
  }
  let chunks = Math.ceil(m / CHUNK_TARGET[variant]);
  // More chunks while there are too few workgroups and each still gets 4 items a lane.
  const wanted = Math.ceil(MIN_GROUPS[variant] / layout.rows);
  chunks = Math.max(chunks, Math.min(wanted, Math.floor(m / (wg * 4))));
  const maxChunks = variant === "register" ? Math.floor(MAX_PARTIALS / wg) : MAX_PARTIALS;
  chunks = Math.max(1, Math.min(chunks, maxChunks));
  const chunkItems = Math.ceil(m / chunks / wg) * wg;
  chunks = Math.ceil(m / chunkItems);
  const partials = variant === "register" ? chunks * wg : chunks;
  return { mode: "split", variant, wg, chunks, chunkItems, partials };
}

/** Number of workgroups (x, y) for `n` groups, folding past the per-dimension limit. */
export function groupGrid(n: number): [number, number] {
  if (n <= 65535) return [n, 1];
  const y = Math.ceil(n / 32768);
  return [32768, y];
}

function decl(b: BindingDecl, binding: number): string {
  return `@group(0) @binding(${binding}) var<storage, ${b.access}> ${b.name}: array<${
    b.type ?? "f32"
  }>;`;
}

/** WGSL expression for the flat offset of item `m` in row `r`. */
function itemOffset(layout: ReduceLayout): string {
  const base = layout.rowStride === 0 ? "" : `r * ${layout.rowStride}u + `;
  if (layout.segLen >= layout.items) return `${base}m`;
  if (layout.segLen === 1) return `${base}m * ${layout.segStride}u`;
  return `${base}(m / ${layout.segLen}u) * ${layout.segStride}u + m % ${layout.segLen}u`;
}

/**
 * The register form's loop over the items [start, end) of row r, running `step`
 * (statements using `i`, the item's flat offset) once per item, segment by segment:
 * the offset is a running sum instead of a division and a modulo per item. Batch-norm
 * statistics took 12.0–14.6 ms of a MobileNetV2 training step instead of 15.9–16.5
 * (`deno task bench --sections train`, interleaved); BN's backward sums, which load two
 * arrays an item, ran up to 1.8× slower on 28×28 planes in a scratch A/B (and slower
 * still unrolled), so bodies opt in (`ReduceBody.walkSegments`).
 */
function walkedItemLoop(layout: ReduceLayout, start: string, end: string, step: string): string {
  const base = layout.rowStride === 0 ? "0u" : `r * ${layout.rowStride}u`;
  if (layout.segLen >= layout.items) {
    return `for (var m = ${start}; m < ${end}; m = m + 1u) { let i = ${base} + m; ${step} }`;
  }
  const seg = layout.segLen;
  return `{ var m = ${start}; let m1 = ${end};
  var seg = m / ${seg}u;
  var j = m % ${seg}u;
  loop {
    if (m >= m1) { break; }
    let n = min(${seg}u - j, m1 - m);
    let o0 = ${base} + seg * ${layout.segStride}u + j;
    for (var o = o0; o < o0 + n; o = o + 1u) { let i = o; ${step} }
    m = m + n;
    seg = seg + 1u;
    j = 0u;
  } }`;
}

/** The register form's loop over items [start, end): walked, or an offset per item. */
function registerItemLoop(
  layout: ReduceLayout,
  body: ReduceBody,
  start: string,
  end: string,
): string {
  if (body.walkSegments) return walkedItemLoop(layout, start, end, sumUpdates(body));
  return `for (var m = ${start}; m < ${end}; m = m + 1u) {
    let i = ${itemOffset(layout)};
    ${sumUpdates(body)}
  }`;
}

/**
 * The same reduction over vec4 items, when every term reads its arrays only as
 * `name[i]` and every segment is 4-aligned: a quarter of the loads (llvmpipe
 * gathers lane by lane, so loads dominate) and 16-byte loads on GPUs. The terms
 * keep their text; `name` becomes an array<vec4<f32>>, `Item` becomes vec4<f32>
 * and the sums fold x+y+z+w after the loop. Returns null where this does not apply.
 */
export function vectorizeReduction(
  layout: ReduceLayout,
  body: ReduceBody,
): { layout: ReduceLayout; body: ReduceBody } | null {
  const oneSegment = layout.segLen >= layout.items;
  const aligned = layout.items % 4 === 0 && layout.rowStride % 4 === 0 &&
    (oneSegment || (layout.segLen % 4 === 0 && layout.segStride % 4 === 0));
  if (!aligned) return null;
  const used = new Set<string>();
  const inputNames = new Set(body.inputs.map((b) => b.name));
  for (const term of [...body.terms, body.perItem ?? ""]) {
    for (const match of term.matchAll(/(\w+)\s*\[([^\]]*)\]/g)) {
      if (match[2].trim() !== "i" || !inputNames.has(match[1])) return null;
      used.add(match[1]);
    }
  }
  for (const name of used) {
    if (new RegExp(`\\b${name}\\b`).test(body.prelude ?? "")) return null;
    if (body.inputs.some((b) => b.name === name && (b.type ?? "f32") !== "f32")) return null;
  }
  return {
    layout: {
      rows: layout.rows,
      items: layout.items / 4,
      segLen: oneSegment ? layout.items / 4 : layout.segLen / 4,
      rowStride: layout.rowStride / 4,
      segStride: oneSegment ? 0 : layout.segStride / 4,
    },
    body: {
      ...body,
      inputs: body.inputs.map((b) => (used.has(b.name) ? { ...b, type: "vec4<f32>" } : b)),
      vec4: true,
    },
  };
}

function sumDecls(t: number, vec4 = false): string {
  const zero = vec4 ? "vec4<f32>()" : "0.0";
  return Array.from({ length: t }, (_, k) => `var ${vec4 ? "v" : "s"}${k} = ${zero};`).join(" ");
}

function sumUpdates(body: ReduceBody): string {
  const acc = body.vec4 ? "v" : "s";
  const updates = body.terms.map((e, k) => `${acc}${k} = ${acc}${k} + (${e});`);
  return [body.perItem ?? "", ...updates].join("\n      ");
}

/** The module-scope alias of an item's type that terms and `perItem` may use. */
function itemAlias(body: ReduceBody): string {
  return `alias Item = ${body.vec4 ? "vec4<f32>" : "f32"};`;
}

/** After a vec4 loop: the scalar sums s0, s1, ... from the lane accumulators. */
function foldVec4(t: number, vec4 = false): string {
  if (!vec4) return "";
  return Array.from(
    { length: t },
    (_, k) => `var s${k} = (v${k}.x + v${k}.y) + (v${k}.z + v${k}.w);`,
  )
    .join(" ");
}

/**
 * Single pass: one invocation per row sums all items, then finalizes.
 * Bindings: `directBindings(body)` — body.inputs, then the outputs that are not
 * inputs (a name in both is declared once, writable if the output is).
 */
export function reduceDirectWgsl(layout: ReduceLayout, body: ReduceBody, wg = 64): string {
  const decls = directBindings(body).map((b, k) => decl(b, k)).join("\n");
  return `
${decls}
${itemAlias(body)}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * ${32768 * wg}u;
  if (r >= ${layout.rows}u) { return; }
  ${body.prelude ?? ""}
  ${sumDecls(body.terms.length, body.vec4)}
  ${directItemLoop(layout, body)}
  ${foldVec4(body.terms.length, body.vec4)}
  { ${body.finalize} }
}`;
}

/** Longest segment a direct pass unrolls (a 4×4 plane is 4 vec4 items). */
const DIRECT_UNROLL_SEG = 16;

/**
 * The direct pass's loop over a whole row. Rows of short segments (per-channel sums
 * over 4×4 planes) go segment by segment with the segment's items unrolled: no
 * division or modulo an item and no inner loop of a few iterations.
 */
function directItemLoop(layout: ReduceLayout, body: ReduceBody): string {
  const seg = layout.segLen;
  if (seg >= layout.items || seg > DIRECT_UNROLL_SEG || layout.items % seg !== 0) {
    return registerItemLoop(layout, body, "0u", `${layout.items}u`);
  }
  const base = layout.rowStride === 0 ? "0u" : `r * ${layout.rowStride}u`;
  const items = Array.from({ length: seg }, (_, k) =>
    `{
      let i = o + ${k}u;
      ${sumUpdates(body)}
    }`).join("\n    ");
  return `for (var sg = 0u; sg < ${layout.items / seg}u; sg = sg + 1u) {
    let o = ${base} + sg * ${layout.segStride}u;
    ${items}
  }`;
}

/** Bindings of the direct pass, in order (for the op that dispatches it). */
export function directBindings(body: ReduceBody): BindingDecl[] {
  const out = body.inputs.map((b) => ({ ...b }));
  for (const b of body.outputs) {
    const same = out.find((o) => o.name === b.name);
    if (!same) out.push({ ...b });
    else if (b.access === "read_write") same.access = "read_write";
  }
  return out;
}

/**
 * Pass 1: workgroup g → (row r, chunk q). Writes partial sums to
 * `partials[(term·totalRows + rowOffset + r)·P + p]`. Bindings: body.inputs, then
 * partials. `rowOffset`/`totalRows` let several dispatches share one partials buffer.
 */
export function reducePass1Wgsl(
  layout: ReduceLayout,
  body: ReduceBody,
  plan: ReducePlan,
  rowOffset = 0,
  totalRows = layout.rows,
): string {
  const t = body.terms.length;
  const wg = plan.wg;
  const decls = body.inputs.map((b, k) => decl(b, k)).join("\n");
  const partialsBinding = body.inputs.length;
  const slot = (k: number, p: string) =>
    `partials[(${k * totalRows + rowOffset}u + r) * ${plan.partials}u + ${p}]`;
  // llvmpipe: each lane sums its own contiguous run (measured ~3× faster than lanes
  // interleaved item by item). GPUs: lanes interleave, so a warp's loads coalesce.
  const run = plan.chunkItems / wg;
  const loop = plan.variant === "register"
    ? `let start = q * ${plan.chunkItems}u + t * ${run}u;
  let end = min(start + ${run}u, ${layout.items}u);
  ${registerItemLoop(layout, body, "start", "end")}`
    : `let end = min((q + 1u) * ${plan.chunkItems}u, ${layout.items}u);
  for (var m = q * ${plan.chunkItems}u + t; m < end; m = m + ${wg}u) {
    let i = ${itemOffset(layout)};
    ${sumUpdates(body)}
  }`;
  const write = plan.variant === "register"
    ? body.terms.map((_, k) => `${slot(k, `q * ${wg}u + t`)} = s${k};`).join("\n  ")
    : treeFold(t, wg, (k) => `${slot(k, "q")} = red[${k * wg}u];`);
  return `
${decls}
@group(0) @binding(${partialsBinding}) var<storage, read_write> partials: array<f32>;
${itemAlias(body)}
${plan.variant === "tiled" ? `var<workgroup> red: array<f32, ${t * wg}>;` : ""}
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let g = wid.x + wid.y * 32768u;
  if (g >= ${layout.rows * plan.chunks}u) { return; }
  let r = g / ${plan.chunks}u;
  let q = g % ${plan.chunks}u;
  ${body.prelude ?? ""}
  ${sumDecls(t, body.vec4)}
  ${loop}
  ${foldVec4(t, body.vec4)}
  ${write}
}`;
}

/**
 * Shared-memory tree over `wg` lanes for `t` sums held in s0..s{t-1}; `emit(k)`
 * writes the result of term k (run by lane 0). Every lane reaches each barrier
 * (the early return above happens per workgroup, uniformly).
 */
function treeFold(t: number, wg: number, emit: (k: number) => string, tail = ""): string {
  const stores = Array.from({ length: t }, (_, k) => `red[${k * wg}u + t] = s${k};`).join(" ");
  const adds = Array.from(
    { length: t },
    (_, k) => `red[${k * wg}u + t] = red[${k * wg}u + t] + red[${k * wg}u + t + w];`,
  ).join(" ");
  const emits = Array.from({ length: t }, (_, k) => emit(k)).join("\n    ");
  return `${stores}
  workgroupBarrier();
  for (var w = ${wg / 2}u; w > 0u; w = w / 2u) {
    if (t < w) { ${adds} }
    workgroupBarrier();
  }
  if (t == 0u) {
    ${emits}
    { ${tail} }
  }`;
}

/**
 * Pass 2: sums each row's P partials (for `rows` rows of `terms` terms) and runs
 * `finalize` with s0, s1, ... Bindings: partials, then `outputs`.
 */
export function reducePass2Wgsl(
  rows: number,
  terms: number,
  partials: number,
  variant: KernelVariant,
  outputs: readonly BindingDecl[],
  finalize: string,
): string {
  const decls = outputs.map((b, k) => decl(b, k + 1)).join("\n");
  const head = `
@group(0) @binding(0) var<storage, read> partials: array<f32>;
${decls}`;
  const load = (k: number, p: string) =>
    `s${k} = s${k} + partials[(${k * rows}u + r) * ${partials}u + ${p}];`;
  const loads = (p: string) => Array.from({ length: terms }, (_, k) => load(k, p)).join("\n    ");
  if (variant === "register") {
    return `${head}
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x + gid.y * ${32768 * 64}u;
  if (r >= ${rows}u) { return; }
  ${sumDecls(terms)}
  for (var p = 0u; p < ${partials}u; p = p + 1u) {
    ${loads("p")}
  }
  { ${finalize} }
}`;
  }
  const wg = WG.tiled;
  const fold = treeFold(terms, wg, (k) => `s${k} = red[${k * wg}u];`, finalize);
  return `${head}
var<workgroup> red: array<f32, ${terms * wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let r = wid.x + wid.y * 32768u;
  if (r >= ${rows}u) { return; }
  ${sumDecls(terms)}
  for (var p = t; p < ${partials}u; p = p + ${wg}u) {
    ${loads("p")}
  }
  ${fold}
}`;
}
