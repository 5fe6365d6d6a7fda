/**
 * Batch-norm statistics from the per-strip partials a conv wrote as it produced x
 * (the strip kernel's statistics epilogue, kernels/conv2d_register.ts): no pass over
 * x itself. Each strip j of n_j pixels left, per channel, its mean μ_j and
 * M2_j = Σ(x − μ_j)². With a shift K (strip 0's mean, a sample of the channel, as
 * the statistics pass shifts by a sample value):
 *
 *   Σ(x − K)  = Σ_j n_j·(μ_j − K)
 *   Σ(x − K)² = Σ_j [M2_j + n_j·(μ_j − K)²]
 *
 * exactly, so the channel record and running statistics follow from the same
 * finalize as the statistics pass (`shiftedStatsFinalize`) and keep its accuracy:
 * no E[x²] − E[x]² of unshifted sums anywhere.
 *
 * One workgroup a quad of channels (the partials are vec4 over four channels): each
 * lane sums a contiguous run of strips, a workgroup-memory tree adds the lanes, and
 * four lanes finalize a channel each. A few barriers in a kernel this small cost
 * less than the second dispatch a barrier-free split would need.
 */
import { shiftedStatsFinalize } from "./batch_norm.ts";

/** Where the partials came from: the strip layout of the producing conv's output. */
export interface StripPartialsLayout {
  /** Channels (a multiple of 4). */
  c: number;
  /** Strips a channel (partials per channel). */
  strips: number;
  /** Pixels a strip, and pixels of the row strips tile (a row's last strip may be short). */
  stripLen: number;
  rowLen: number;
}

/** Lanes of the merge's workgroup: 64, fewer where a channel has few strips. */
export function partialStatsWorkgroup(strips: number): number {
  let wg = 64;
  while (wg > 8 && strips < wg * 8) wg /= 2;
  return wg;
}

/**
 * Statistics from partials. Bindings: stats (vec4: the means of every quad, then the
 * M2s), gamma, beta, chan (written), runMean, runVar (updated). Dispatch c/4 workgroups.
 */
export function partialStatsWgsl(
  layout: StripPartialsLayout,
  m: number,
  eps: number,
  momentum: number,
  wg: number,
): string {
  const { c, strips, stripLen, rowLen } = layout;
  const quads = c / 4;
  const run = Math.ceil(strips / wg);
  const perRow = Math.ceil(rowLen / stripLen);
  // A strip's pixel count: stripLen, or fewer for the last strip of a row.
  const count = rowLen % stripLen === 0
    ? `${stripLen.toFixed(1)}`
    : `f32(min(${stripLen}u, ${rowLen}u - (j % ${perRow}u) * ${stripLen}u))`;
  return `
@group(0) @binding(0) var<storage, read> stats: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> gamma: array<f32>;
@group(0) @binding(2) var<storage, read> beta: array<f32>;
@group(0) @binding(3) var<storage, read_write> chan: array<vec4<f32>>;
@group(0) @binding(4) var<storage, read_write> runMean: array<f32>;
@group(0) @binding(5) var<storage, read_write> runVar: array<f32>;
var<workgroup> red0: array<vec4<f32>, ${wg}>;
var<workgroup> red1: array<vec4<f32>, ${wg}>;
@compute @workgroup_size(${wg})
fn main(@builtin(workgroup_id) wid: vec3<u32>, @builtin(local_invocation_index) t: u32) {
  let quad = wid.x;
  let means = quad * ${strips}u;
  let m2s = (${quads}u + quad) * ${strips}u;
  let k = stats[means];
  var a0 = vec4<f32>(0.0);
  var a1 = vec4<f32>(0.0);
  let end = min((t + 1u) * ${run}u, ${strips}u);
  for (var j = t * ${run}u; j < end; j = j + 1u) {
    let nj = ${count};
    let d = stats[means + j] - k;
    a0 = fma(vec4<f32>(nj), d, a0);
    a1 = a1 + fma(vec4<f32>(nj) * d, d, stats[m2s + j]);
  }
  red0[t] = a0;
  red1[t] = a1;
  workgroupBarrier();
  for (var w = ${wg / 2}u; w > 0u; w = w / 2u) {
    if (t < w) {
      red0[t] = red0[t] + red0[t + w];
      red1[t] = red1[t] + red1[t + w];
    }
    workgroupBarrier();
  }
  if (t < 4u) {
    let r = quad * 4u + t;
    let bnK = k[t];
    let s0 = red0[0][t];
    let s1 = red1[0][t];
    ${shiftedStatsFinalize(m, eps, momentum)}
  }
}`;
}
