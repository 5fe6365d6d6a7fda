/**
 * Element-wise ops with autograd: activations (ReLU, ReLU6, sigmoid, SiLU) and
 * add / multiply with NumPy-style broadcasting (the squeeze-and-excitation scale is
 * [N,C,H,W] ⊙ [N,C,1,1]).
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import {
  binaryUnits,
  binaryWgsl,
  elementwiseUnits,
  reduceToShapeWgsl,
  unaryBackwardWgsl,
  type UnaryOp,
  unaryWgsl,
} from "../../kernels/elementwise.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import { sameShape, shapeStr, type Tensor } from "../tensor/tensor.ts";

export type { UnaryOp };

function unary(op: UnaryOp, x: Tensor): Tensor {
  const gpu = engine.gpu;
  const n = x.size;
  const grid = grid1D(elementwiseUnits(n).units, ELEMENTWISE_WG);
  const y = empty(x.shape, { name: op });
  const k = gpu.kernel(`${op}:${n}`, () => unaryWgsl(op, n, grid, ELEMENTWISE_WG));
  gpu.dispatch(k, [x.buffer, y.buffer], grid.groups, `${op} ${x.describe()}`);
  return record(y, op, [x], (dy) => {
    const dx = empty(x.shape, { name: `${op}.dx` });
    const kb = gpu.kernel(`${op}_bwd:${n}`, () => unaryBackwardWgsl(op, n, grid, ELEMENTWISE_WG));
    gpu.dispatch(kb, [x.buffer, dy.buffer, dx.buffer], grid.groups, `${op} backward`);
    return [dx];
  });
}

export const relu = (x: Tensor): Tensor => unary("relu", x);
export const relu6 = (x: Tensor): Tensor => unary("relu6", x);
export const sigmoid = (x: Tensor): Tensor => unary("sigmoid", x);
export const silu = (x: Tensor): Tensor => unary("silu", x);
/** Hard sigmoid relu6(x + 3) / 6, the gate of squeeze-and-excitation. */
export const hardSigmoid = (x: Tensor): Tensor => unary("hsigmoid", x);

/** Applies an activation by name ("none" returns x). */
export function activation(name: UnaryOp | "none", x: Tensor): Tensor {
  return name === "none" ? x : unary(name, x);
}

/** The broadcast output shape of a and b, or an error naming both. */
export function broadcastShape(op: string, a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(`${op}: shapes ${shapeStr(a)} and ${shapeStr(b)} do not broadcast`);
    }
    out.push(Math.max(da, db));
  }
  return out;
}

/** Per-output-dim strides of an operand (0 where broadcast). */
function operandStrides(shape: readonly number[], out: readonly number[]): number[] {
  const rank = out.length;
  const aligned = alignShape(shape, rank);
  const strides = new Array(rank).fill(0);
  let s = 1;
  for (let d = rank - 1; d >= 0; d--) {
    strides[d] = aligned[d] === 1 && out[d] !== 1 ? 0 : s;
    s *= aligned[d];
  }
  return strides;
}

function alignShape(shape: readonly number[], rank: number): number[] {
  return [...new Array(rank - shape.length).fill(1), ...shape];
}

function binary(op: "add" | "mul", a: Tensor, b: Tensor): Tensor {
  const gpu = engine.gpu;
  const outShape = broadcastShape(op, a.shape, b.shape);
  const as = operandStrides(a.shape, outShape);
  const bs = operandStrides(b.shape, outShape);
  const y = empty(outShape, { name: op });
  const n = y.size;
  const grid = grid1D(binaryUnits(outShape, as, bs, n).units, ELEMENTWISE_WG);
  const k = gpu.kernel(
    `${op}:${outShape}:${as}:${bs}`,
    () => binaryWgsl(op, outShape, as, bs, n, grid, ELEMENTWISE_WG),
  );
  gpu.dispatch(
    k,
    [a.buffer, b.buffer, y.buffer],
    grid.groups,
    `${op} ${a.describe()} ${b.describe()}`,
  );
  return record(y, op, [a, b], (dy) => {
    if (op === "add") {
      return [reduceTo(dy, a.shape, null), reduceTo(dy, b.shape, null)];
    }
    return [reduceTo(dy, a.shape, b), reduceTo(dy, b.shape, a)];
  });
}

/**
 * Sums g (the output-shaped gradient) down to `shape`, optionally multiplying by
 * `factor` (broadcast to g's shape) first: the backward of broadcasting.
 */
function reduceTo(g: Tensor, shape: readonly number[], factor: Tensor | null): Tensor {
  const gpu = engine.gpu;
  if (sameShape(g.shape, shape) && !factor) return g;
  const rank = g.shape.length;
  const aligned = alignShape(shape, rank);
  const out = empty(shape, { name: "reduce" });
  const fs = factor ? operandStrides(factor.shape, g.shape) : null;
  const grid = grid1D(out.size, ELEMENTWISE_WG);
  const k = gpu.kernel(
    `reduce_to:${g.shape}:${aligned}:${fs ?? "-"}`,
    () => reduceToShapeWgsl(g.shape, aligned, grid, ELEMENTWISE_WG, factor !== null, fs),
  );
  const bufs = factor ? [g.buffer, factor.buffer, out.buffer] : [g.buffer, out.buffer];
  gpu.dispatch(k, bufs, grid.groups, `reduce ${g.describe()} to ${shapeStr(shape)}`);
  return out;
}

/** a + b with broadcasting. */
export const add = (a: Tensor, b: Tensor): Tensor => binary("add", a, b);
/** a ⊙ b with broadcasting. */
export const mul = (a: Tensor, b: Tensor): Tensor => binary("mul", a, b);
