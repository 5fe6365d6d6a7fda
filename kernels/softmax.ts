/**
 * WGSL for the softmax of a short vector of architecture logits (K ≤ 256) and its
 * backward. The vector is tiny, so one invocation does it all; this one form serves
 * llvmpipe and GPUs alike (a launch costs more than the arithmetic).
 */

/** p_k = exp(v_k − max v) / Σ_j exp(v_j − max v). */
export function softmaxWgsl(k: number): string {
  return `
@group(0) @binding(0) var<storage, read> v: array<f32>;
@group(0) @binding(1) var<storage, read_write> p: array<f32>;
@compute @workgroup_size(1)
fn main() {
  var mx = v[0];
  for (var j = 1u; j < ${k}u; j = j + 1u) { mx = max(mx, v[j]); }
  var z = 0.0;
  for (var j = 0u; j < ${k}u; j = j + 1u) {
    let e = exp(v[j] - mx);
    p[j] = e;
    z = z + e;
  }
  let inv = 1.0 / z;
  for (var j = 0u; j < ${k}u; j = j + 1u) { p[j] = p[j] * inv; }
}`;
}

/**
 * dv_i = Σ_k dp_k·p_k(δ_ik − p_i): the softmax Jacobian of the paper's Eq. 4.
 * Written as p_i·Σ_k p_k·(dp_i − dp_k) (using Σ p_k = 1) rather than
 * p_i·(dp_i − ⟨dp, p⟩): when one p_i is near 1, dp_i − ⟨dp, p⟩ cancels in f32.
 * O(K²), which is nothing at K ≤ 256.
 */
export function softmaxBackwardWgsl(k: number): string {
  return `
@group(0) @binding(0) var<storage, read> p: array<f32>;
@group(0) @binding(1) var<storage, read> dp: array<f32>;
@group(0) @binding(2) var<storage, read_write> dv: array<f32>;
@compute @workgroup_size(1)
fn main() {
  for (var i = 0u; i < ${k}u; i = i + 1u) {
    let di = dp[i];
    var acc = 0.0;
    for (var j = 0u; j < ${k}u; j = j + 1u) { acc = acc + p[j] * (di - dp[j]); }
    dv[i] = p[i] * acc;
  }
}`;
}
