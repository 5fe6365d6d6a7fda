/**
 * Host tensors for the CPU reference: a shape and a float64 buffer in row-major
 * (C-contiguous) order. Image tensors use NCHW. The reference favours plain loops
 * over speed, so every GPU kernel can be compared against something obviously right.
 */
import type { Rng } from "../util/rng.ts";

/** A dense row-major float64 tensor on the host. */
export interface HostTensor {
  shape: number[];
  data: Float64Array;
}

/** Number of elements of a tensor of this shape (1 for the scalar shape []). */
export function size(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) {
      throw new Error(
        `host_tensor: shape [${shape}] has dimension ${d}; use non-negative integers`,
      );
    }
    n *= d;
  }
  return n;
}

/**
 * A tensor of `shape`, zero-filled, or holding a copy of `data` (which must have
 * exactly size(shape) elements).
 */
export function hostTensor(shape: readonly number[], data?: ArrayLike<number>): HostTensor {
  const n = size(shape);
  const out = new Float64Array(n);
  if (data !== undefined) {
    if (data.length !== n) {
      throw new Error(
        `hostTensor: data has ${data.length} elements but shape [${shape}] needs ${n}`,
      );
    }
    for (let i = 0; i < n; i++) out[i] = data[i];
  }
  return { shape: [...shape], data: out };
}

/** A tensor of `shape` with entries drawn uniformly from [-scale, scale). */
export function randomHost(shape: readonly number[], rng: Rng, scale = 1): HostTensor {
  const t = hostTensor(shape);
  for (let i = 0; i < t.data.length; i++) t.data[i] = rng.uniform(-scale, scale);
  return t;
}

/**
 * Normwise relative error max_i |a_i − e_i| / max(max_i |e_i|, 1e-12).
 *
 * Why normwise: an elementwise ratio |a_i − e_i| / |e_i| blows up wherever the
 * expected value is near zero (a float32 kernel's rounding noise on an entry of
 * 1e-9 would read as a huge error), so it cannot be given a meaningful tolerance.
 * Scaling by the largest expected magnitude measures errors relative to the size of
 * the result as a whole. The 1e-12 floor keeps an all-zero expectation defined.
 * Any NaN or infinite difference gives Infinity, so such a result never passes.
 */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  if (actual.length !== expected.length) {
    throw new Error(
      `maxRelError: actual has ${actual.length} elements, expected has ${expected.length}; ` +
        `compare tensors of the same size`,
    );
  }
  let maxDiff = 0;
  let maxRef = 0;
  for (let i = 0; i < actual.length; i++) {
    const diff = Math.abs(actual[i] - expected[i]);
    if (!Number.isFinite(diff)) return Infinity;
    if (diff > maxDiff) maxDiff = diff;
    const ref = Math.abs(expected[i]);
    if (ref > maxRef) maxRef = ref;
  }
  return maxDiff / Math.max(maxRef, 1e-12);
}

/** Throws unless `t` has exactly `expected` as its shape; `what` names the argument. */
export function assertShape(t: HostTensor, expected: readonly number[], what: string): void {
  const same = t.shape.length === expected.length && t.shape.every((d, i) => d === expected[i]);
  if (!same) {
    throw new Error(`${what}: shape is [${t.shape}] but [${expected}] is required`);
  }
  if (t.data.length !== size(t.shape)) {
    throw new Error(
      `${what}: data has ${t.data.length} elements but shape [${t.shape}] needs ${size(t.shape)}`,
    );
  }
}

/** Throws unless `t` has `rank` dimensions; returns its shape for destructuring. */
export function assertRank(t: HostTensor, rank: number, what: string): number[] {
  if (t.shape.length !== rank) {
    throw new Error(`${what}: shape is [${t.shape}] but a rank-${rank} tensor is required`);
  }
  assertShape(t, t.shape, what);
  return t.shape;
}
