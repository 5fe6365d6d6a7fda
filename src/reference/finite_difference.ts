/**
 * Central finite differences, the independent check for every analytic gradient in
 * the reference (and, in the evolution code, for Eq. 4's architecture gradient).
 */
import { type HostTensor, maxRelError } from "./host_tensor.ts";

/**
 * Gradient of the scalar function `f` at `x` by central differences:
 * g_i = (f(x + h·e_i) − f(x − h·e_i)) / (2h).
 *
 * `x` is perturbed in place, one entry at a time, and each entry is restored to its
 * exact original value before the next, so `x` is unchanged on return. `f` must not
 * keep a reference to the array it is given. Error is O(h²) from truncation plus
 * about ε·|f|/h from rounding; h = 1e-6 balances the two in float64.
 */
export function finiteDifferenceGrad(
  f: (x: Float64Array) => number,
  x: Float64Array,
  h = 1e-6,
): Float64Array {
  if (!(h > 0)) throw new Error(`finiteDifferenceGrad: step h is ${h}; use a positive step`);
  const grad = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const original = x[i];
    x[i] = original + h;
    const plus = f(x);
    x[i] = original - h;
    const minus = f(x);
    x[i] = original;
    grad[i] = (plus - minus) / (2 * h);
  }
  return grad;
}

/** Σ r ⊙ y: a random scalar projection of an output, so one gradient tests every entry. */
export function projectOnto(r: ArrayLike<number>, y: ArrayLike<number>): number {
  if (r.length !== y.length) {
    throw new Error(`projectOnto: r has ${r.length} elements, y has ${y.length}; sizes must match`);
  }
  let s = 0;
  for (let i = 0; i < y.length; i++) s += r[i] * y[i];
  return s;
}

/**
 * Compares an analytic gradient with finite differences of L = Σ r ⊙ forward(input),
 * where `forward` reads `input.data`. Returns maxRelError(analytic, numeric).
 * `analytic` must be the gradient of that same L, i.e. the backward pass run with
 * dy = r.
 */
export function gradientCheckError(
  forward: () => ArrayLike<number>,
  input: HostTensor,
  r: ArrayLike<number>,
  analytic: ArrayLike<number>,
  h = 1e-6,
): number {
  const numeric = finiteDifferenceGrad(() => projectOnto(r, forward()), input.data, h);
  return maxRelError(analytic, numeric);
}
