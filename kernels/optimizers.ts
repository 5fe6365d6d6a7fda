/**
 * WGSL for optimizer updates: one dispatch per large parameter tensor, and one per
 * group of small ones (batch-norm scales and shifts, biases: most of a network's
 * tensors and little of its values, so per-tensor dispatches would mostly cost
 * dispatch overhead). Constant hyper-parameters (momentum, betas, weight decay) are
 * baked in; the ones that change every step (learning rate, Adam's bias
 * corrections) and the groups' layout come from a small storage buffer `hp`
 * written once per step, so neither a schedule nor a different set of tensors with
 * gradients (a supernet's sampled paths) compiles a new pipeline.
 *
 * hp layout: [lr, bc1, bc2, 0, then per group at its `base` the words of
 * `groupWords` (u32 bits)].
 */
import { f32, type Grid1D } from "./common.ts";

/**
 * PyTorch SGD of element j: g ← g + wd·p; buf ← momentum·buf + g; g ← g + momentum·buf
 * (Nesterov) or g ← buf; p ← p − lr·g, with hp[0] = lr. The momentum buffer starts
 * at zero, which equals PyTorch's "buf = g on the first step" without dampening.
 */
function sgdUpdate(
  k: string,
  j: string,
  momentum: number,
  nesterov: boolean,
  weightDecay: number,
): string {
  return `let pv = p${k}[${j}];
  var g = grad${k}[${j}] + ${f32(weightDecay)} * pv;
  ${
    momentum !== 0
      ? `let b = ${f32(momentum)} * buf${k}[${j}] + g;
  buf${k}[${j}] = b;
  g = ${nesterov ? `g + ${f32(momentum)} * b` : "b"};`
      : ""
  }
  p${k}[${j}] = pv - hp[0] * g;`;
}

/**
 * PyTorch Adam of element j (L2 weight decay added to the gradient):
 * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², p ← p − lr·(m / bc1) / (sqrt(v / bc2) + eps),
 * with hp = [lr, bc1 = 1 − β1^t, bc2 = 1 − β2^t]. β1 = 0 gives RMS-style updates.
 */
function adamUpdate(
  k: string,
  j: string,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
): string {
  return `let pv = p${k}[${j}];
  let g = grad${k}[${j}] + ${f32(weightDecay)} * pv;
  let mi = ${f32(beta1)} * m${k}[${j}] + ${f32(1 - beta1)} * g;
  let vi = ${f32(beta2)} * v${k}[${j}] + ${f32(1 - beta2)} * g * g;
  m${k}[${j}] = mi;
  v${k}[${j}] = vi;
  p${k}[${j}] = pv - hp[0] * (mi / hp[1]) / (sqrt(vi / hp[2]) + ${f32(eps)});`;
}

/** Per-parameter arrays of each optimizer, in binding order after hp. */
export function sgdArrays(momentum: number): string[] {
  return momentum !== 0 ? ["p", "grad", "buf"] : ["p", "grad"];
}
export const ADAM_ARRAYS = ["p", "grad", "m", "v"];

function declarations(
  arrays: readonly string[],
  suffixes: readonly string[],
  type = "f32",
): string {
  const decls = ["@group(0) @binding(0) var<storage, read> hp: array<f32>;"];
  let b = 1;
  for (const k of suffixes) {
    for (const a of arrays) {
      const access = a === "grad" ? "read" : "read_write";
      decls.push(`@group(0) @binding(${b++}) var<storage, ${access}> ${a}${k}: array<${type}>;`);
    }
  }
  return decls.join("\n");
}

/**
 * Invocations of the one-tensor kernels for n elements: one per vec4 when n % 4 = 0
 * (llvmpipe loads lane by lane, so a vec4 costs about two scalar loads; the update
 * reads and writes five values an element), else one per element.
 */
export function singleUnits(n: number): number {
  return n % 4 === 0 ? n / 4 : n;
}

/** One tensor of n elements. Bindings: hp, then the optimizer's arrays. */
function singleWgsl(
  arrays: readonly string[],
  update: string,
  n: number,
  grid: Grid1D,
  wg: number,
): string {
  // The update's arithmetic reads the same on vec4 values (scalars broadcast).
  const type = n % 4 === 0 ? "vec4<f32>" : "f32";
  return `
${declarations(arrays, [""], type)}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${singleUnits(n)}u) { return; }
  ${update}
}`;
}

/**
 * SGD of one tensor of n elements, `grid` over `singleUnits(n)` invocations.
 * Bindings: hp, p, grad (, buf with momentum).
 */
export function sgdWgsl(
  n: number,
  momentum: number,
  nesterov: boolean,
  weightDecay: number,
  grid: Grid1D,
  wg: number,
): string {
  const update = sgdUpdate("", "i", momentum, nesterov, weightDecay);
  return singleWgsl(sgdArrays(momentum), update, n, grid, wg);
}

/** Adam of one tensor of n elements, `grid` over `singleUnits(n)`. Bindings: hp, p, grad, m, v. */
export function adamWgsl(
  n: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
  grid: Grid1D,
  wg: number,
): string {
  const update = adamUpdate("", "i", beta1, beta2, eps, weightDecay);
  return singleWgsl(ADAM_ARRAYS, update, n, grid, wg);
}

/** Workgroup size of the group kernels: a member's last workgroup is mostly padding. */
export const GROUP_WG = 64;

/**
 * Words of `hp` a group of `members` uses at its base: the first workgroup of each
 * member and the end (members + 1 words), then each member's size.
 */
export function groupWords(members: number): number {
  return 2 * members + 1;
}

/**
 * A group of `members` tensors in one dispatch. Each member starts on a workgroup
 * boundary, so the member of an invocation is the same across its workgroup: the
 * branch is uniform (llvmpipe runs a divergent branch for every lane, masked).
 * Members past the group's count have an empty range. Bindings: hp, then the
 * optimizer's arrays of each member.
 */
function groupWgsl(
  arrays: readonly string[],
  update: (k: string) => string,
  members: number,
  base: number,
): string {
  const word = (w: number) => `bitcast<u32>(hp[${base + w}u])`;
  const branches = Array.from({ length: members }, (_, k) => {
    const body = `let j = (g - ${word(k)}) * ${GROUP_WG}u + lid.x;
    if (j < ${word(members + 1 + k)}) {
      ${update(String(k))}
    }`;
    if (k === members - 1) return `{\n    ${body}\n  }`;
    return `if (g < ${word(k + 1)}) {\n    ${body}\n  }`;
  }).join(" else ");
  return `
${declarations(arrays, Array.from({ length: members }, (_, k) => String(k)))}
@compute @workgroup_size(${GROUP_WG})
fn main(@builtin(workgroup_id) wid: vec3<u32>,
        @builtin(local_invocation_id) lid: vec3<u32>) {
  let g = wid.x + wid.y * 32768u;
  if (g >= ${word(members)}) { return; }
  ${branches}
}`;
}

/** SGD of a group of small tensors whose layout is at `base` in hp. */
export function sgdGroupWgsl(
  members: number,
  base: number,
  momentum: number,
  nesterov: boolean,
  weightDecay: number,
): string {
  const update = (k: string) => sgdUpdate(k, "j", momentum, nesterov, weightDecay);
  return groupWgsl(sgdArrays(momentum), update, members, base);
}

/** Adam of a group of small tensors whose layout is at `base` in hp. */
export function adamGroupWgsl(
  members: number,
  base: number,
  beta1: number,
  beta2: number,
  eps: number,
  weightDecay: number,
): string {
  const update = (k: string) => adamUpdate(k, "j", beta1, beta2, eps, weightDecay);
  return groupWgsl(ADAM_ARRAYS, update, members, base);
}
