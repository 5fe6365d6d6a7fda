/**
 * WGSL for optimizer updates, one dispatch per parameter tensor. Constant
 * hyper-parameters (momentum, betas, weight decay) are baked in; the ones that
 * change every step (learning rate, Adam's bias corrections) come from a small
 * storage buffer `hp`, so a schedule does not compile a new pipeline each step.
 */
import { f32, type Grid1D } from "./common.ts";

/**
 * PyTorch SGD: g ← g + wd·p; buf ← momentum·buf + g; g ← g + momentum·buf
 * (Nesterov) or g ← buf; p ← p − lr·g. hp[0] = lr. The momentum buffer starts at
 * zero, which equals PyTorch's "buf = g on the first step" without dampening.
 */
export function sgdWgsl(
  n: number,
  momentum: number,
  nesterov: boolean,
  weightDecay: number,
  grid: Grid1D,
  wg: number,
): string {
  const useMomentum = momentum !== 0;
  return `
@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> hp: array<f32>;
${useMomentum ? "@group(0) @binding(3) var<storage, read_write> buf: array<f32>;" : ""}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  var g = grad[i] + ${f32(weightDecay)} * p[i];
  ${
    useMomentum
      ? `let b = ${f32(momentum)} * buf[i] + g;
  buf[i] = b;
  g = ${nesterov ? `g + ${f32(momentum)} * b` : "b"};`
      : ""
  }
  p[i] = p[i] - hp[0] * g;
}`;
}

/**
 * PyTorch Adam (L2 weight decay added to the gradient): m ← β1·m + (1−β1)·g,
 * v ← β2·v + (1−β2)·g², p ← p − lr·(m / bc1) / (sqrt(v / bc2) + eps), with
 * hp = [lr, bc1 = 1 − β1^t, bc2 = 1 − β2^t]. β1 = 0 gives RMS-style updates.
 */
export function adamWgsl(
  n: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  grid: Grid1D,
  wg: number,
): string {
  return `
@group(0) @binding(0) var<storage, read_write> p: array<f32>;
@group(0) @binding(1) var<storage, read> grad: array<f32>;
@group(0) @binding(2) var<storage, read> hp: array<f32>;
@group(0) @binding(3) var<storage, read_write> m: array<f32>;
@group(0) @binding(4) var<storage, read_write> v: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  let g = grad[i] + ${f32(weightDecay)} * p[i];
  let mi = ${f32(beta1)} * m[i] + ${f32(1 - beta1)} * g;
  let vi = ${f32(beta2)} * v[i] + ${f32(1 - beta2)} * g * g;
  m[i] = mi;
  v[i] = vi;
  p[i] = p[i] - hp[0] * (mi / hp[1]) / (sqrt(vi / hp[2]) + ${f32(eps)});
}`;
}
