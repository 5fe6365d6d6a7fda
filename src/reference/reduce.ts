/** Full reductions of a tensor to one number, and their gradients (a constant fill). */
import { assertShape, type HostTensor, hostTensor, size } from "./host_tensor.ts";

/** Σ of all entries. */
export function sum(x: HostTensor): number {
  assertShape(x, x.shape, "sum: x");
  let s = 0;
  for (let i = 0; i < x.data.length; i++) s += x.data[i];
  return s;
}

/** Mean of all entries (NaN for an empty tensor). */
export function mean(x: HostTensor): number {
  return sum(x) / x.data.length;
}

/** Gradient of sum: every entry gets dOut. */
export function sumBackward(shape: readonly number[], dOut = 1): HostTensor {
  return fill(shape, dOut);
}

/** Gradient of mean: every entry gets dOut / size(shape). */
export function meanBackward(shape: readonly number[], dOut = 1): HostTensor {
  return fill(shape, dOut / size(shape));
}

function fill(shape: readonly number[], value: number): HostTensor {
  const t = hostTensor(shape);
  t.data.fill(value);
  return t;
}
