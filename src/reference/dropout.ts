/**
 * Inverted dropout on the host, bit-for-bit the mask of kernels/dropout.ts:
 * element i is kept when pcg(pcg(i) ^ pcg(pcg(seed) + step)) ≥ ⌊p · 2³²⌋, and kept
 * elements are scaled by 1 / (1 − p). Backward multiplies by the same mask and scale.
 */
import { type HostTensor, hostTensor } from "./host_tensor.ts";

/** The PCG output permutation as a 32-bit hash (Jarzynski & Olano 2020). */
export function pcgHash(v: number): number {
  const state = (Math.imul(v, 747796405) + 2891336453) >>> 0;
  const word = Math.imul(((state >>> ((state >>> 28) + 4)) ^ state) >>> 0, 277803737) >>> 0;
  return ((word >>> 22) ^ word) >>> 0;
}

/** The keep mask (1 kept, 0 dropped) of `n` elements for rate p and key (seed, step). */
export function dropoutMask(n: number, rate: number, seed: number, step: number): Uint8Array {
  const threshold = Math.floor(rate * 2 ** 32);
  const stepKey = pcgHash((pcgHash(seed >>> 0) + (step >>> 0)) >>> 0);
  const mask = new Uint8Array(n);
  for (let i = 0; i < n; i++) mask[i] = pcgHash(pcgHash(i) ^ stepKey) >= threshold ? 1 : 0;
  return mask;
}

/** y = x · mask / (1 − p); also the backward (x := dy), since ∂y/∂x = mask / (1 − p). */
export function dropoutForward(
  x: HostTensor,
  rate: number,
  seed: number,
  step: number,
): HostTensor {
  const mask = dropoutMask(x.data.length, rate, seed, step);
  const scale = 1 / (1 - rate);
  const y = hostTensor(x.shape);
  for (let i = 0; i < y.data.length; i++) y.data[i] = mask[i] ? x.data[i] * scale : 0;
  return y;
}
