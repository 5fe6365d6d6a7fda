/**
 * Inverted dropout with autograd: at training time each element is zeroed with
 * probability `rate` and the survivors are scaled by 1 / (1 − rate), so the
 * expected activation is unchanged and evaluation is the identity. The mask is a
 * hash of (seed, step, element index) computed in the kernel (kernels/dropout.ts):
 * the same key gives the same mask, forward and backward.
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import { dropoutThreshold, dropoutWgsl } from "../../kernels/dropout.ts";
import { record } from "../tensor/autograd.ts";
import { empty, fromArray } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** What draws a dropout mask: the rate and the (seed, step) key of the hash. */
export interface DropoutOptions {
  /** Probability of zeroing an element, in [0, 1). */
  rate: number;
  /** Run seed (any integer; its low 32 bits are used). */
  seed: number;
  /** Step counter: a new mask per step (its low 32 bits are used). */
  step: number;
}

/** src · mask(key) / (1 − rate): the forward (src = x) and the backward (src = dy). */
function applyMask(src: Tensor, key: Tensor, rate: number, what: string): Tensor {
  const gpu = engine.gpu;
  const n = src.size;
  const grid = grid1D(n, ELEMENTWISE_WG);
  const dst = empty(src.shape, { name: what });
  const k = gpu.kernel(
    `dropout:${n}:${rate}`,
    () => dropoutWgsl(n, dropoutThreshold(rate), 1 / (1 - rate), grid, ELEMENTWISE_WG),
  );
  gpu.dispatch(k, [key.buffer, src.buffer, dst.buffer], grid.groups, `${what} ${src.describe()}`);
  return dst;
}

/** Training-time dropout of `x` (rate 0 returns x itself). */
export function dropout(x: Tensor, options: DropoutOptions): Tensor {
  const { rate, seed, step } = options;
  if (!(rate >= 0 && rate < 1)) {
    throw new RangeError(`dropout: rate must be in [0, 1), got ${rate}`);
  }
  if (rate === 0) return x;
  // Two u32 words, uploaded as i32 bits; the backward closure keeps this tensor.
  const key = fromArray([2], Int32Array.of(seed | 0, step | 0), { name: "dropout.key" });
  const y = applyMask(x, key, rate, "dropout");
  return record(y, "dropout", [x], (dy) => [applyMask(dy, key, rate, "dropout.dx")]);
}
