/**
 * WGSL for 2-D batch normalisation over NCHW: the per-channel reduction bodies
 * (run by the segmented reduction of kernels/reduce.ts, which has the llvmpipe and
 * GPU forms), small per-channel kernels, and the element-wise passes. Element-wise
 * passes have one form: an invocation per element (or vec4 group) is already what
 * both llvmpipe and GPUs want.
 *
 * Statistics are two-pass (mean, then the centred sum of squares) so the variance
 * does not suffer the cancellation of E[x²] − E[x]².
 *
 * Per-channel buffers: stats [2C] = (mean, invStd); affine [2C] = (scale, shift)
 * with y = x·scale + shift; coef [3C] = (a, b, d) with dx = a·dy + b·x + d. Folding
 * the per-channel algebra into the finalize steps leaves the element-wise passes
 * two or three per-channel loads (llvmpipe gathers each load lane by lane).
 */
import { f32, type Grid1D } from "./common.ts";

/** Mean pass finalize (s0 = Σx): stats[r] = mean. */
export function meanFinalize(m: number): string {
  return `stats[r] = s0 * ${f32(1 / m)};`;
}

/**
 * Variance pass finalize (s0 = Σ(x − mean)²): invStd from the biased variance,
 * the affine form, and the running statistics by PyTorch's convention
 * running = (1 − momentum)·running + momentum·batch with the unbiased variance.
 */
export function varianceFinalize(c: number, m: number, eps: number, momentum: number): string {
  return `let mu = stats[r];
  let is = 1.0 / sqrt(s0 * ${f32(1 / m)} + ${f32(eps)});
  stats[${c}u + r] = is;
  let scale = gamma[r] * is;
  affine[r] = scale;
  affine[${c}u + r] = beta[r] - mu * scale;
  runMean[r] = ${f32(1 - momentum)} * runMean[r] + ${f32(momentum)} * mu;
  runVar[r] = ${f32(1 - momentum)} * runVar[r] + ${f32(momentum)} * (s0 * ${f32(1 / (m - 1))});`;
}

/** Eval mode: stats and affine form from the running statistics. */
export function evalAffineWgsl(c: number, eps: number): string {
  return `
@group(0) @binding(0) var<storage, read> runMean: array<f32>;
@group(0) @binding(1) var<storage, read> runVar: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> stats: array<f32>;
@group(0) @binding(5) var<storage, read_write> affine: array<f32>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= ${c}u) { return; }
  let mu = runMean[r];
  let is = 1.0 / sqrt(runVar[r] + ${f32(eps)});
  stats[r] = mu;
  stats[${c}u + r] = is;
  let scale = gamma[r] * is;
  affine[r] = scale;
  affine[${c}u + r] = beta[r] - mu * scale;
}`;
}

/** Backward sums: s0 = Σ dy, s1 = Σ dy·x̂ with x̂ = (x − mean)·invStd. */
export function backwardPrelude(c: number): string {
  return `let mu = stats[r]; let is = stats[${c}u + r];`;
}
export const BACKWARD_TERMS = ["dy[i]", "dy[i] * ((x[i] - mu) * is)"];

/**
 * Backward finalize: dbeta = Σdy, dgamma = Σ dy·x̂, and the training-mode
 * dx = gamma·invStd·(dy − dbeta/M − x̂·dgamma/M) as a·dy + b·x + d.
 */
export function backwardFinalize(c: number, m: number): string {
  return `dbeta[r] = s0;
  dgamma[r] = s1;
  let mu = stats[r];
  let is = stats[${c}u + r];
  let k = gamma[r] * is;
  coef[r] = k;
  coef[${c}u + r] = -k * is * s1 * ${f32(1 / m)};
  coef[${2 * c}u + r] = k * (mu * is * s1 - s0) * ${f32(1 / m)};`;
}

/**
 * Element-wise passes run over vec4 groups when H·W % 4 = 0 (a group then lies in
 * one channel). `units` is the number of invocations (elements, or vec4 groups).
 */
export function bnElementwiseUnits(size: number, hw: number): { vec4: boolean; units: number } {
  const vec4 = hw % 4 === 0;
  return { vec4, units: vec4 ? size / 4 : size };
}

function tensorType(vec4: boolean): string {
  return vec4 ? "array<vec4<f32>>" : "array<f32>";
}

function elementwiseHead(size: number, c: number, hw: number, grid: Grid1D, wg: number) {
  const { vec4, units } = bnElementwiseUnits(size, hw);
  return {
    type: tensorType(vec4),
    main: `@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${units}u) { return; }
  let ch = (i / ${vec4 ? hw / 4 : hw}u) % ${c}u;`,
  };
}

/** y = x·scale[c] + shift[c]. */
export function normalizeWgsl(
  size: number,
  c: number,
  hw: number,
  grid: Grid1D,
  wg: number,
): string {
  const h = elementwiseHead(size, c, hw, grid, wg);
  return `
@group(0) @binding(0) var<storage, read> x: ${h.type};
@group(0) @binding(1) var<storage, read> affine: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: ${h.type};
${h.main}
  y[i] = x[i] * affine[ch] + affine[${c}u + ch];
}`;
}

/** Training-mode dx = a[c]·dy + b[c]·x + d[c]. */
export function inputGradTrainWgsl(
  size: number,
  c: number,
  hw: number,
  grid: Grid1D,
  wg: number,
): string {
  const h = elementwiseHead(size, c, hw, grid, wg);
  return `
@group(0) @binding(0) var<storage, read> x: ${h.type};
@group(0) @binding(1) var<storage, read> dy: ${h.type};
@group(0) @binding(2) var<storage, read> coef: array<f32>;
@group(0) @binding(3) var<storage, read_write> dx: ${h.type};
${h.main}
  dx[i] = dy[i] * coef[ch] + x[i] * coef[${c}u + ch] + coef[${2 * c}u + ch];
}`;
}

/** Eval-mode dx (constant statistics): dx = gamma·invStd·dy = scale[c]·dy. */
export function inputGradEvalWgsl(
  size: number,
  c: number,
  hw: number,
  grid: Grid1D,
  wg: number,
): string {
  const h = elementwiseHead(size, c, hw, grid, wg);
  return `
@group(0) @binding(0) var<storage, read> dy: ${h.type};
@group(0) @binding(1) var<storage, read> affine: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: ${h.type};
${h.main}
  dx[i] = dy[i] * affine[ch];
}`;
}
