/**
 * WGSL for element-wise work: fills, unary activations and their derivatives,
 * broadcasting binary ops, in-place accumulation and reduction to a broadcast shape.
 */
import { f32, type Grid1D } from "./common.ts";

export type UnaryOp = "relu" | "relu6" | "sigmoid" | "silu" | "hsigmoid";
export type BinaryOp = "add" | "mul";

/** out[i] = value. */
export function fillWgsl(n: number, value: number, grid: Grid1D, wg: number): string {
  return `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  out[i] = ${f32(value)};
}`;
}

const UNARY_FORWARD: Record<UnaryOp, string> = {
  relu: "max(v, 0.0)",
  relu6: "clamp(v, 0.0, 6.0)",
  sigmoid: "1.0 / (1.0 + exp(-v))",
  silu: "v / (1.0 + exp(-v))",
  hsigmoid: "clamp(v + 3.0, 0.0, 6.0) / 6.0",
};

// Derivatives times the upstream gradient g. At the kinks of relu/relu6 the
// gradient is 0 (x <= 0, x >= 6), matching the CPU reference.
const UNARY_BACKWARD: Record<UnaryOp, string> = {
  relu: "select(0.0, g, v > 0.0)",
  relu6: "select(0.0, g, v > 0.0 && v < 6.0)",
  sigmoid: "g * s * (1.0 - s)",
  silu: "g * s * (1.0 + v * (1.0 - s))",
  hsigmoid: "select(0.0, g / 6.0, v > -3.0 && v < 3.0)",
};

/** y[i] = f(x[i]). */
export function unaryWgsl(op: UnaryOp, n: number, grid: Grid1D, wg: number): string {
  return `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  let v = x[i];
  y[i] = ${UNARY_FORWARD[op]};
}`;
}

/** dx[i] = f'(x[i]) · dy[i]. */
export function unaryBackwardWgsl(op: UnaryOp, n: number, grid: Grid1D, wg: number): string {
  const needsSigmoid = op === "sigmoid" || op === "silu";
  return `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read> dy: array<f32>;
@group(0) @binding(2) var<storage, read_write> dx: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  let v = x[i];
  let g = dy[i];
  ${needsSigmoid ? "let s = 1.0 / (1.0 + exp(-v));" : ""}
  dx[i] = ${UNARY_BACKWARD[op]};
}`;
}

/**
 * WGSL expression for the flat offset into an operand of shape `strides`
 * (0 on broadcast dims) given the output index `i` and the output shape.
 */
function broadcastOffset(
  outShape: readonly number[],
  strides: readonly number[],
  i = "i",
): string {
  if (strides.every((s, d) => s === contiguousStride(outShape, d))) return i;
  const terms: string[] = [];
  let inner = 1;
  for (let d = outShape.length - 1; d >= 0; d--) {
    if (strides[d] !== 0 && outShape[d] > 1) {
      const coord = inner === 1
        ? `(${i} % ${outShape[d]}u)`
        : `((${i} / ${inner}u) % ${outShape[d]}u)`;
      terms.push(strides[d] === 1 ? coord : `${coord} * ${strides[d]}u`);
    }
    inner *= outShape[d];
  }
  return terms.length ? terms.join(" + ") : "0u";
}

function contiguousStride(shape: readonly number[], d: number): number {
  let s = 1;
  for (let k = d + 1; k < shape.length; k++) s *= shape[k];
  return s;
}

/**
 * y = a ∘ b with broadcasting; `aStrides`/`bStrides` are per output dim (0 where
 * the operand is broadcast).
 */
export function binaryWgsl(
  op: BinaryOp,
  outShape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
  n: number,
  grid: Grid1D,
  wg: number,
): string {
  const sym = op === "add" ? "+" : "*";
  return `
@group(0) @binding(0) var<storage, read> a: array<f32>;
@group(0) @binding(1) var<storage, read> b: array<f32>;
@group(0) @binding(2) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  y[i] = a[${broadcastOffset(outShape, aStrides)}] ${sym} b[${broadcastOffset(outShape, bStrides)}];
}`;
}

/** acc[i] += x[i] (gradient accumulation). */
export function accumulateWgsl(n: number, grid: Grid1D, wg: number): string {
  return `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> acc: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  acc[i] = acc[i] + x[i];
}`;
}

/**
 * Sums `x` (shape `inShape`) over the dims where `outShape` is 1 (right-aligned
 * broadcasting): one invocation per output element, looping over the reduced
 * elements in a fixed order, so results are deterministic.
 * Optional `mulBy`: sums x·m instead (m broadcast like x), for product backward.
 */
export function reduceToShapeWgsl(
  inShape: readonly number[],
  outShapeAligned: readonly number[],
  grid: Grid1D,
  wg: number,
  withFactor: boolean,
  factorStrides: readonly number[] | null,
): string {
  const rank = inShape.length;
  const kept: number[] = [];
  const reduced: number[] = [];
  for (let d = 0; d < rank; d++) {
    (outShapeAligned[d] === 1 && inShape[d] > 1 ? reduced : kept).push(d);
  }
  const inStride = (d: number) => contiguousStride(inShape, d);
  const outN = outShapeAligned.reduce((p, v) => p * v, 1);
  const redN = reduced.reduce((p, d) => p * inShape[d], 1);
  // Offset of the kept coordinates, decoded from the output index o.
  const keptTerms: string[] = [];
  let inner = 1;
  for (let d = rank - 1; d >= 0; d--) {
    if (kept.includes(d) && inShape[d] > 1) {
      keptTerms.push(`((o / ${inner}u) % ${inShape[d]}u) * ${inStride(d)}u`);
    }
    inner *= outShapeAligned[d];
  }
  const redTerms: string[] = [];
  inner = 1;
  for (let k = reduced.length - 1; k >= 0; k--) {
    const d = reduced[k];
    redTerms.push(`((r / ${inner}u) % ${inShape[d]}u) * ${inStride(d)}u`);
    inner *= inShape[d];
  }
  const factorIdx = withFactor && factorStrides ? broadcastOffset(inShape, factorStrides, "j") : "";
  return `
@group(0) @binding(0) var<storage, read> x: array<f32>;
${withFactor ? "@group(0) @binding(1) var<storage, read> m: array<f32>;" : ""}
@group(0) @binding(${withFactor ? 2 : 1}) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let o = ${grid.index};
  if (o >= ${outN}u) { return; }
  let base = ${keptTerms.length ? keptTerms.join(" + ") : "0u"};
  var s = 0.0;
  for (var r = 0u; r < ${redN}u; r = r + 1u) {
    let j = base + ${redTerms.length ? redTerms.join(" + ") : "0u"};
    s = s + x[j]${withFactor ? ` * m[${factorIdx}]` : ""};
  }
  y[o] = s;
}`;
}

/**
 * Stride-2 subsampling (keeps pixel (2y, 2x)): the identity edge out of a cell's
 * strided node. Backward scatters dy into a zeroed dx (see subsampleBackwardWgsl).
 */
export function subsampleWgsl(
  n: number,
  c: number,
  h: number,
  w: number,
  grid: Grid1D,
  wg: number,
): string {
  const ho = Math.floor((h - 1) / 2) + 1;
  const wo = Math.floor((w - 1) / 2) + 1;
  return `
@group(0) @binding(0) var<storage, read> x: array<f32>;
@group(0) @binding(1) var<storage, read_write> y: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n * c * ho * wo}u) { return; }
  let ox = i % ${wo}u;
  let oy = (i / ${wo}u) % ${ho}u;
  let plane = i / ${ho * wo}u;
  y[i] = x[plane * ${h * w}u + (2u * oy) * ${w}u + 2u * ox];
}`;
}

/** dx[plane, y, x] = dy[plane, y/2, x/2] where y and x are even, else 0. */
export function subsampleBackwardWgsl(
  n: number,
  c: number,
  h: number,
  w: number,
  grid: Grid1D,
  wg: number,
): string {
  const ho = Math.floor((h - 1) / 2) + 1;
  const wo = Math.floor((w - 1) / 2) + 1;
  return `
@group(0) @binding(0) var<storage, read> dy: array<f32>;
@group(0) @binding(1) var<storage, read_write> dx: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n * c * h * w}u) { return; }
  let xx = i % ${w}u;
  let yy = (i / ${w}u) % ${h}u;
  let plane = i / ${h * w}u;
  var v = 0.0;
  if (xx % 2u == 0u && yy % 2u == 0u) {
    v = dy[plane * ${ho * wo}u + (yy / 2u) * ${wo}u + xx / 2u];
  }
  dx[i] = v;
}`;
}
