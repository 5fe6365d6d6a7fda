/**
 * Softmax over a vector of architecture logits, p = softmax(α), and its backward
 * through the Jacobian ∂p_k/∂α_i = p_k(δ_ik − p_i) — the factor in the paper's Eq. 4.
 */

/** p_k = exp(v_k − max v) / Σ_j exp(v_j − max v); subtracting the max avoids overflow. */
export function softmax(v: ArrayLike<number>): Float64Array {
  if (v.length === 0) {
    throw new Error("softmax: the input vector is empty; pass at least one logit");
  }
  let max = -Infinity;
  for (let i = 0; i < v.length; i++) max = Math.max(max, v[i]);
  const p = new Float64Array(v.length);
  let z = 0;
  for (let i = 0; i < v.length; i++) {
    p[i] = Math.exp(v[i] - max);
    z += p[i];
  }
  for (let i = 0; i < v.length; i++) p[i] /= z;
  return p;
}

/** dv_i = Σ_k dp_k · p_k(δ_ik − p_i), written as the explicit Jacobian sum (Eq. 4). */
export function softmaxBackward(p: ArrayLike<number>, dp: ArrayLike<number>): Float64Array {
  if (p.length !== dp.length) {
    throw new Error(
      `softmaxBackward: p has ${p.length} entries, dp has ${dp.length}; sizes must match`,
    );
  }
  const k = p.length;
  const dv = new Float64Array(k);
  for (let i = 0; i < k; i++) {
    let acc = 0;
    for (let j = 0; j < k; j++) acc += dp[j] * p[j] * ((i === j ? 1 : 0) - p[i]);
    dv[i] = acc;
  }
  return dv;
}
