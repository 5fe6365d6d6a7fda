/**
 * Path aggregation for the supernet: y = Σ_k w_k·y_k over candidate outputs y_k.
 * Its weight gradient dw_k = Σ(y_k ⊙ dy) is ProxylessNAS's binary-gate gradient
 * ∂L/∂g_k, which Eq. 4 then maps to the architecture logits.
 */
import { assertShape, type HostTensor, hostTensor } from "./host_tensor.ts";

function checkPaths(ys: readonly HostTensor[], w: ArrayLike<number>, what: string): number[] {
  if (ys.length === 0) throw new Error(`${what}: no paths given; pass at least one tensor`);
  if (w.length !== ys.length) {
    throw new Error(`${what}: ${w.length} weights for ${ys.length} paths; pass one weight a path`);
  }
  ys.forEach((y, i) => assertShape(y, ys[0].shape, `${what}: ys[${i}]`));
  return ys[0].shape;
}

/** y = Σ_k w_k·y_k; all y_k share one shape. */
export function weightedSum(ys: readonly HostTensor[], w: ArrayLike<number>): HostTensor {
  const shape = checkPaths(ys, w, "weightedSum");
  const y = hostTensor(shape);
  for (let k = 0; k < ys.length; k++) {
    for (let i = 0; i < y.data.length; i++) y.data[i] += w[k] * ys[k].data[i];
  }
  return y;
}

/** dys[k] = w_k·dy and dw_k = Σ_i y_k[i]·dy[i]. */
export function weightedSumBackward(
  ys: readonly HostTensor[],
  w: ArrayLike<number>,
  dy: HostTensor,
): { dys: HostTensor[]; dw: Float64Array } {
  const shape = checkPaths(ys, w, "weightedSumBackward");
  assertShape(dy, shape, "weightedSumBackward: dy");
  const dw = new Float64Array(ys.length);
  const dys = ys.map((yk, k) => {
    const d = hostTensor(shape);
    let acc = 0;
    for (let i = 0; i < dy.data.length; i++) {
      d.data[i] = w[k] * dy.data[i];
      acc += yk.data[i] * dy.data[i];
    }
    dw[k] = acc;
    return d;
  });
  return { dys, dw };
}
