/** Softmax of a vector of architecture logits, p = softmax(α), with autograd (Eq. 4). */
import { softmaxBackwardWgsl, softmaxWgsl } from "../../kernels/softmax.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** Longest vector the single-invocation kernel accepts. */
export const SOFTMAX_MAX_K = 256;

/**
 * p = softmax(v) for v [K] (1 ≤ K ≤ 256). Backward: dv_i = p_i·Σ_k p_k(dp_i − dp_k), the
 * Jacobian p_k(δ_ik − p_i) of Eq. 4.
 */
export function softmax(v: Tensor): Tensor {
  if (v.shape.length !== 1 || v.dtype !== "f32") {
    throw new Error(`softmax: v must be an f32 vector [K], got ${v.dtype} ${v.describe()}`);
  }
  const k = v.shape[0];
  if (k < 1 || k > SOFTMAX_MAX_K) {
    throw new Error(`softmax: K = ${k} must be in [1, ${SOFTMAX_MAX_K}] (${v.describe()})`);
  }
  const gpu = engine.gpu;
  const p = empty([k], { name: "softmax" });
  gpu.dispatch(
    gpu.kernel(`softmax:${k}`, () => softmaxWgsl(k)),
    [v.buffer, p.buffer],
    [1],
    `softmax ${v.describe()}`,
  );
  return record(p, "softmax", [v], (dp) => {
    const dv = empty([k], { name: "softmax.dv" });
    gpu.dispatch(
      gpu.kernel(`softmax_bwd:${k}`, () => softmaxBackwardWgsl(k)),
      [p.buffer, dp.buffer, dv.buffer],
      [1],
      `softmax backward ${v.describe()}`,
    );
    return [dv];
  });
}
