/**
 * Making tensors: uninitialised, filled, from host data; and the few buffer-level
 * kernels (fill, accumulate, copy) that autograd itself needs.
 */
import { accumulateWgsl, elementwiseUnits, fillWgsl } from "../../kernels/elementwise.ts";
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import { engine } from "./engine.ts";
import { type DType, shapeSize, shapeStr, Tensor } from "./tensor.ts";

export interface TensorOptions {
  name?: string;
  /** Persistent tensors (parameters, optimizer state) are not freed by tidy(). */
  persistent?: boolean;
  dtype?: DType;
}

/** A tensor with uninitialised contents. */
export function empty(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  const size = shapeSize(shape);
  const label = `${opts.name ?? "tensor"}${shapeStr(shape)}`;
  const buf = engine.gpu.pool.acquire(Math.max(4, size * 4), label);
  const t = new Tensor([...shape], buf, opts.dtype ?? "f32", opts.persistent ?? false, opts.name);
  if (!t.persistent) engine.track(t);
  return t;
}

/** A tensor filled with `value` (on the GPU, no upload). */
export function full(shape: readonly number[], value: number, opts: TensorOptions = {}): Tensor {
  const t = empty(shape, opts);
  fillInto(t, value);
  return t;
}

export function zeros(shape: readonly number[], opts: TensorOptions = {}): Tensor {
  return full(shape, 0, opts);
}

/** Uploads host data. */
export function fromArray(
  shape: readonly number[],
  data: ArrayLike<number> | Float32Array | Int32Array,
  opts: TensorOptions = {},
): Tensor {
  const size = shapeSize(shape);
  if (data.length !== size) {
    throw new Error(
      `fromArray: ${data.length} values do not fill shape ${shapeStr(shape)} (${size} elements)`,
    );
  }
  const dtype = opts.dtype ?? (data instanceof Int32Array ? "i32" : "f32");
  const t = empty(shape, { ...opts, dtype });
  const typed = dtype === "i32"
    ? (data instanceof Int32Array ? data : Int32Array.from(data))
    : (data instanceof Float32Array ? data : Float32Array.from(data));
  if (size > 0) engine.gpu.write(t.buffer, typed); // a zero-byte write crashes wgpu
  return t;
}

/** Overwrites a tensor's contents with host data of the same size. */
export function upload(t: Tensor, data: Float32Array | Int32Array): void {
  if (data.length !== t.size) {
    throw new Error(`upload: ${data.length} values for ${t.describe()} (${t.size} elements)`);
  }
  engine.gpu.write(t.buffer, data);
}

/** Sets every element of `t` to `value`. */
export function fillInto(t: Tensor, value: number): void {
  const gpu = engine.gpu;
  const grid = grid1D(t.size, ELEMENTWISE_WG);
  const k = gpu.kernel(
    `fill:${t.size}:${value}`,
    () => fillWgsl(t.size, value, grid, ELEMENTWISE_WG),
  );
  gpu.dispatch(k, [t.buffer], grid.groups, `fill ${t.describe()}`);
}

/** acc += x, element-wise, same size. */
export function accumulateInto(acc: Tensor, x: Tensor): void {
  if (acc.size !== x.size) {
    throw new Error(`accumulate: ${x.describe()} into ${acc.describe()}: sizes differ`);
  }
  const gpu = engine.gpu;
  const grid = grid1D(elementwiseUnits(acc.size).units, ELEMENTWISE_WG);
  const k = gpu.kernel(
    `accumulate:${acc.size}`,
    () => accumulateWgsl(acc.size, grid, ELEMENTWISE_WG),
  );
  gpu.dispatch(k, [x.buffer, acc.buffer], grid.groups, `accumulate ${acc.describe()}`);
}

/** dst ← src (same size), in stream order. */
export function copyInto(dst: Tensor, src: Tensor): void {
  if (dst.size !== src.size) {
    throw new Error(`copy: ${src.describe()} into ${dst.describe()}: sizes differ`);
  }
  engine.gpu.copy(src.buffer, dst.buffer, src.bytes);
}
