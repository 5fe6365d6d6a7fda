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

/**
 * f(v) as WGSL, for v of type `t` (f32, or vec4<f32> to work on four elements at
 * once: literals are spelled `t(…)` so one text serves both).
 */
export function activationWgsl(op: UnaryOp, v: string, t = "f32"): string {
  switch (op) {
    case "relu":
      return `max(${v}, ${t}(0.0))`;
    case "relu6":
      return `clamp(${v}, ${t}(0.0), ${t}(6.0))`;
    case "sigmoid":
      return `(1.0 / (1.0 + exp(-${v})))`;
    case "silu":
      return `(${v} / (1.0 + exp(-${v})))`;
    case "hsigmoid":
      return `(clamp(${v} + 3.0, ${t}(0.0), ${t}(6.0)) / 6.0)`;
  }
}

/**
 * f'(v)·g as WGSL (v, g of type `t`). At the kinks of relu/relu6 the gradient is 0
 * (v <= 0, v >= 6), matching the CPU reference.
 */
export function activationGradWgsl(op: UnaryOp, v: string, g: string, t = "f32"): string {
  const zero = `${t}(0.0)`;
  const s = `(1.0 / (1.0 + exp(-${v})))`;
  switch (op) {
    case "relu":
      return `select(${zero}, ${g}, ${v} > ${zero})`;
    case "relu6":
      return `select(${zero}, ${g}, (${v} > ${zero}) & (${v} < ${t}(6.0)))`;
    case "sigmoid":
      return `(${g} * ${s} * (1.0 - ${s}))`;
    case "silu":
      return `(${g} * ${s} * (1.0 + ${v} * (1.0 - ${s})))`;
    case "hsigmoid":
      return `select(${zero}, ${g} / 6.0, (${v} > ${t}(-3.0)) & (${v} < ${t}(3.0)))`;
  }
}

/**
 * Element-wise kernels run over vec4 groups when the size allows: llvmpipe gathers
 * a load lane by lane, and a vec4 load costs about two scalar ones for four values.
 */
export function elementwiseUnits(n: number): { type: string; units: number } {
  return n % 4 === 0 ? { type: "vec4<f32>", units: n / 4 } : { type: "f32", units: n };
}

/** y[i] = f(x[i]) over `elementwiseUnits(n).units` invocations. */
export function unaryWgsl(op: UnaryOp, n: number, grid: Grid1D, wg: number): string {
  const { type, units } = elementwiseUnits(n);
  return `
@group(0) @binding(0) var<storage, read> x: array<${type}>;
@group(0) @binding(1) var<storage, read_write> y: array<${type}>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${units}u) { return; }
  let v = x[i];
  y[i] = ${activationWgsl(op, "v", type)};
}`;
}

/** dx[i] = f'(x[i]) · dy[i] over `elementwiseUnits(n).units` invocations. */
export function unaryBackwardWgsl(op: UnaryOp, n: number, grid: Grid1D, wg: number): string {
  const { type, units } = elementwiseUnits(n);
  return `
@group(0) @binding(0) var<storage, read> x: array<${type}>;
@group(0) @binding(1) var<storage, read> dy: array<${type}>;
@group(0) @binding(2) var<storage, read_write> dx: array<${type}>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${units}u) { return; }
  let v = x[i];
  let g = dy[i];
  dx[i] = ${activationGradWgsl(op, "v", "g", type)};
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
 * the operand is broadcast). Without broadcasting the kernel runs over
 * `binaryUnits(...)` vec4 groups where the size allows.
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
  const { type, units } = binaryUnits(outShape, aStrides, bStrides, n);
  const ia = type === "f32" ? broadcastOffset(outShape, aStrides) : "i";
  const ib = type === "f32" ? broadcastOffset(outShape, bStrides) : "i";
  return `
@group(0) @binding(0) var<storage, read> a: array<${type}>;
@group(0) @binding(1) var<storage, read> b: array<${type}>;
@group(0) @binding(2) var<storage, read_write> y: array<${type}>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${units}u) { return; }
  y[i] = a[${ia}] ${sym} b[${ib}];
}`;
}

/** Invocations of `binaryWgsl`: vec4 groups when neither operand broadcasts. */
export function binaryUnits(
  outShape: readonly number[],
  aStrides: readonly number[],
  bStrides: readonly number[],
  n: number,
): { type: string; units: number } {
  const plain = (st: readonly number[]) =>
    st.every((s, d) => s === contiguousStride(outShape, d) || outShape[d] === 1);
  return plain(aStrides) && plain(bStrides) ? elementwiseUnits(n) : { type: "f32", units: n };
}

/** acc[i] += x[i] (gradient accumulation), over `elementwiseUnits(n).units` invocations. */
export function accumulateWgsl(n: number, grid: Grid1D, wg: number): string {
  const { type, units } = elementwiseUnits(n);
  return `
@group(0) @binding(0) var<storage, read> x: array<${type}>;
@group(0) @binding(1) var<storage, read_write> acc: array<${type}>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${units}u) { return; }
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
