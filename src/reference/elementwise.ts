/**
 * Binary element-wise ops with NumPy-style broadcasting: shapes are aligned on the
 * right, and a dimension of size 1 (or a missing leading one) is repeated to match.
 * Uses here: equal shapes, [N,C,H,W] ⊙ [N,C,1,1] (squeeze-and-excitation scales),
 * and [N,C,H,W] + [C,1,1] or [N,K] + [K] (bias-like).
 * The backward passes sum the gradient over every broadcast dimension.
 */
import { assertShape, type HostTensor, hostTensor, size } from "./host_tensor.ts";

/** The broadcast result shape of `a` and `b`; throws if they are incompatible. */
export function broadcastShapes(a: readonly number[], b: readonly number[]): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da !== db && da !== 1 && db !== 1) {
      throw new Error(
        `broadcastShapes: [${a}] and [${b}] differ at aligned dimension ${i} (${da} vs ${db}); ` +
          `each pair must be equal or contain a 1`,
      );
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}

/**
 * For each flat index of `outShape`, the flat index of the element of a tensor of
 * `inShape` that broadcasting reads there.
 */
export function broadcastIndexMap(
  inShape: readonly number[],
  outShape: readonly number[],
): Int32Array {
  const expected = broadcastShapes(inShape, outShape);
  if (expected.length !== outShape.length || expected.some((d, i) => d !== outShape[i])) {
    throw new Error(
      `broadcastIndexMap: [${inShape}] does not broadcast to [${outShape}]; ` +
        `check the operand shapes`,
    );
  }
  const rank = outShape.length;
  const offset = rank - inShape.length;
  // Input strides laid out on the output's axes; 0 where the input repeats.
  const strides = new Array<number>(rank).fill(0);
  let stride = 1;
  for (let i = inShape.length - 1; i >= 0; i--) {
    strides[i + offset] = inShape[i] === 1 ? 0 : stride;
    stride *= inShape[i];
  }
  const total = size(outShape);
  const map = new Int32Array(total);
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < total; flat++) {
    let src = 0;
    for (let d = 0; d < rank; d++) src += index[d] * strides[d];
    map[flat] = src;
    // Advance the multi-index like an odometer.
    for (let d = rank - 1; d >= 0; d--) {
      index[d]++;
      if (index[d] < outShape[d]) break;
      index[d] = 0;
    }
  }
  return map;
}

/** Sums `dy` (of shape `outShape`) down to `inShape` over the broadcast dimensions. */
export function reduceToShape(dy: HostTensor, inShape: readonly number[]): HostTensor {
  const map = broadcastIndexMap(inShape, dy.shape);
  const out = hostTensor(inShape);
  for (let i = 0; i < dy.data.length; i++) out.data[map[i]] += dy.data[i];
  return out;
}

/** `op` of the elements of `a` and `b` that broadcasting pairs up. */
function broadcastBinary(
  a: HostTensor,
  b: HostTensor,
  name: string,
  op: (x: number, y: number) => number,
): HostTensor {
  assertShape(a, a.shape, `${name}: a`);
  assertShape(b, b.shape, `${name}: b`);
  const shape = broadcastShapes(a.shape, b.shape);
  const ia = broadcastIndexMap(a.shape, shape);
  const ib = broadcastIndexMap(b.shape, shape);
  const y = hostTensor(shape);
  for (let i = 0; i < y.data.length; i++) y.data[i] = op(a.data[ia[i]], b.data[ib[i]]);
  return y;
}

/** a + b with broadcasting. */
export function add(a: HostTensor, b: HostTensor): HostTensor {
  return broadcastBinary(a, b, "add", (x, y) => x + y);
}

/** a ⊙ b with broadcasting. */
export function mul(a: HostTensor, b: HostTensor): HostTensor {
  return broadcastBinary(a, b, "mul", (x, y) => x * y);
}

/** Gradients of add: da = reduce(dy), db = reduce(dy), each to its input's shape. */
export function addBackward(
  aShape: readonly number[],
  bShape: readonly number[],
  dy: HostTensor,
): { da: HostTensor; db: HostTensor } {
  assertShape(dy, broadcastShapes(aShape, bShape), "addBackward: dy");
  return { da: reduceToShape(dy, aShape), db: reduceToShape(dy, bShape) };
}

/** Gradients of mul: da = reduce(dy ⊙ b), db = reduce(dy ⊙ a). */
export function mulBackward(
  a: HostTensor,
  b: HostTensor,
  dy: HostTensor,
): { da: HostTensor; db: HostTensor } {
  assertShape(a, a.shape, "mulBackward: a");
  assertShape(b, b.shape, "mulBackward: b");
  const shape = broadcastShapes(a.shape, b.shape);
  assertShape(dy, shape, "mulBackward: dy");
  const ia = broadcastIndexMap(a.shape, shape);
  const ib = broadcastIndexMap(b.shape, shape);
  const da = hostTensor(a.shape);
  const db = hostTensor(b.shape);
  for (let i = 0; i < dy.data.length; i++) {
    da.data[ia[i]] += dy.data[i] * b.data[ib[i]];
    db.data[ib[i]] += dy.data[i] * a.data[ia[i]];
  }
  return { da, db };
}
