/**
 * WGSL for softmax cross-entropy with label smoothing and for top-k accuracy
 * counts. Rows (one per sample) are short (K = number of classes), so one
 * invocation walks a row; this one form serves llvmpipe and GPUs alike.
 *
 * Target of row n: t = (1 − ε)·onehot(label) + ε/K (PyTorch's label_smoothing), so
 * loss_n = lse_n − (1 − ε)·z_label − (ε/K)·Σ_j z_j with lse_n = log Σ_j exp z_j.
 * A label outside [0, K) cannot be checked on the host without a sync: its row's
 * loss is NaN, which the averaged loss then shows.
 */
import { f32, type Grid1D } from "./common.ts";

const NAN = "bitcast<f32>(0x7fc00000u)";

/** Per row: rowLoss[n] and lse[n] (saved for the backward). */
export function crossEntropyRowsWgsl(n: number, k: number, smoothing: number): string {
  return `
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> rowLoss: array<f32>;
@group(0) @binding(3) var<storage, read_write> lse: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= ${n}u) { return; }
  let base = r * ${k}u;
  var mx = logits[base];
  for (var j = 1u; j < ${k}u; j = j + 1u) { mx = max(mx, logits[base + j]); }
  var z = 0.0;
  var total = 0.0;
  for (var j = 0u; j < ${k}u; j = j + 1u) {
    let v = logits[base + j];
    z = z + exp(v - mx);
    total = total + v;
  }
  let l = mx + log(z);
  lse[r] = l;
  let label = labels[r];
  if (label < 0 || label >= ${k}) {
    rowLoss[r] = ${NAN};
    return;
  }
  rowLoss[r] = l - ${f32(1 - smoothing)} * logits[base + u32(label)] - ${
    f32(smoothing / k)
  } * total;
}`;
}

/** dlogits = (softmax − t)·g[0]/N, with g the upstream gradient of the mean loss. */
export function crossEntropyBackwardWgsl(
  n: number,
  k: number,
  smoothing: number,
  grid: Grid1D,
  wg: number,
): string {
  return `
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read> lse: array<f32>;
@group(0) @binding(3) var<storage, read> g: array<f32>;
@group(0) @binding(4) var<storage, read_write> dlogits: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n * k}u) { return; }
  let r = i / ${k}u;
  let j = i32(i % ${k}u);
  let t = select(0.0, ${f32(1 - smoothing)}, j == labels[r]) + ${f32(smoothing / k)};
  dlogits[i] = (exp(logits[i] - lse[r]) - t) * (g[0] * ${f32(1 / n)});
}`;
}

/**
 * hits[r] = 1 if the label is the top-1 class, hits[N + r] = 1 if it is among the
 * top `topk`. Rank = classes ranked above the label: a larger logit, or an equal
 * one at a lower index (a stable descending sort), so ties never count as hits for
 * several classes at once. An invalid label scores 0.
 */
export function topkHitsWgsl(n: number, k: number, topk: number): string {
  return `
@group(0) @binding(0) var<storage, read> logits: array<f32>;
@group(0) @binding(1) var<storage, read> labels: array<i32>;
@group(0) @binding(2) var<storage, read_write> hits: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= ${n}u) { return; }
  let label = labels[r];
  if (label < 0 || label >= ${k}) {
    hits[r] = 0.0;
    hits[${n}u + r] = 0.0;
    return;
  }
  let base = r * ${k}u;
  let zl = logits[base + u32(label)];
  var rank = 0u;
  for (var j = 0u; j < ${k}u; j = j + 1u) {
    let v = logits[base + j];
    if (v > zl || (v == zl && i32(j) < label)) { rank = rank + 1u; }
  }
  hits[r] = select(0.0, 1.0, rank == 0u);
  hits[${n}u + r] = select(0.0, 1.0, rank < ${topk}u);
}`;
}

/** Finalize of the mean over rows: loss[0] = Σ rowLoss / N. */
export function meanLossFinalize(n: number): string {
  return `loss[0] = s0 * ${f32(1 / n)};`;
}

/** Finalize adding [loss·N, N, top-1 hits, top-k hits] into metrics [4]. */
export function metricsFinalize(n: number): string {
  return `metrics[0] = metrics[0] + loss[0] * ${f32(n)};
  metrics[1] = metrics[1] + ${f32(n)};
  metrics[2] = metrics[2] + s0;
  metrics[3] = metrics[3] + s1;`;
}
