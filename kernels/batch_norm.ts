/**
 * WGSL for 2-D batch normalisation fused with the activation that follows it
 * (ReLU6, ReLU, …, or none), over NCHW: the per-channel reduction bodies (run by
 * the segmented reduction of kernels/reduce.ts, which has the llvmpipe and GPU
 * forms), a small eval-mode kernel, and the two element-wise passes. Element-wise
 * passes have one form: an invocation per element (or vec4 group) is already what
 * both llvmpipe and GPUs want.
 *
 * Passes over the activations, training: statistics (one read of x), normalise +
 * activation (x → y); backward: the two sums (x, dy) and dx (x, dy → dx). The
 * activation's derivative is taken at z = x·scale + shift, recomputed from x, so
 * neither z nor a mask is stored.
 *
 * Statistics are one pass over data shifted by a sample of the channel, K = x[n=0,
 * c, 0, 0]: mean = K + Σ(x−K)/M, var = Σ(x−K)²/M − (Σ(x−K)/M)². The shift keeps
 * the cancellation of E[x²] − E[x]² away (the error grows with ((mean − K)/std)²,
 * about 1 for a sample of the channel, instead of (mean/std)²).
 *
 * Per-channel buffers are vec4 records, one load each: chan[c] = (scale, shift,
 * mean, invStd) with z = x·scale + shift; coef[c] = (a, b, d, 0) with the
 * training-mode dx = a·dz + b·x + d, dz = f'(z)·dy.
 */
import type { KernelVariant } from "../src/gpu/device.ts";
import { f32, type Grid1D } from "./common.ts";
import { activationGradWgsl, activationWgsl, type UnaryOp } from "./elementwise.ts";

/** The activation fused into batch norm ("none": plain batch norm). */
export type BnActivation = UnaryOp | "none";

/**
 * The source is the pre-normalisation tensor of a batch norm + activation: values are
 * act(v·scale + shift) with the channel's record `cp` (below), bound after the kernel's
 * own buffers. Convs that read such a source (the depthwise conv after an expand layer,
 * the 1×1 project conv after a depthwise layer) never see the normalised tensor written.
 */
export interface SourceNorm {
  act: BnActivation;
}

/** WGSL of a normalised source value `v` of type `t` with record `cp` (identity without a norm). */
export function normalizedSourceWgsl(
  norm: SourceNorm | undefined,
  v: string,
  t: string,
  cp = "cp",
): string {
  if (!norm) return v;
  const z = `(${v} * ${cp}.x + ${cp}.y)`;
  return norm.act === "none" ? z : activationWgsl(norm.act, z, t);
}

/** The channel-record binding and its load, for kernels that read a normalised source. */
export function sourceNormBindingWgsl(norm: SourceNorm | undefined, binding: number): string {
  return norm ? `@group(0) @binding(${binding}) var<storage, read> chan: array<vec4<f32>>;` : "";
}

/** Statistics pass: per item, the shifted value; sums Σ(x−K) and Σ(x−K)². */
export function statsPrelude(hw: number): string {
  return `let bnK = xs[r * ${hw}u];`;
}
export const STATS_PER_ITEM = "let bnD = x[i] - bnK;";
export const STATS_TERMS = ["bnD", "bnD * bnD"];

/**
 * Statistics finalize (s0 = Σ(x−K), s1 = Σ(x−K)²): the channel record from the
 * biased variance, and the running statistics by PyTorch's convention
 * running = (1 − momentum)·running + momentum·batch with the unbiased variance.
 */
export function statsFinalize(hw: number, m: number, eps: number, momentum: number): string {
  return `let bnK = xs[r * ${hw}u];
  ${shiftedStatsFinalize(m, eps, momentum)}`;
}

/**
 * `statsFinalize` for any shift: channel r's record and running statistics from
 * s0 = Σ(x−K), s1 = Σ(x−K)² over its m values, with the shift K in `bnK`.
 */
export function shiftedStatsFinalize(m: number, eps: number, momentum: number): string {
  return `let dMean = s0 * ${f32(1 / m)};
  let mu = bnK + dMean;
  let varB = max(s1 * ${f32(1 / m)} - dMean * dMean, 0.0);
  let is = 1.0 / sqrt(varB + ${f32(eps)});
  let scale = gamma[r] * is;
  chan[r] = vec4<f32>(scale, beta[r] - mu * scale, mu, is);
  runMean[r] = ${f32(1 - momentum)} * runMean[r] + ${f32(momentum)} * mu;
  runVar[r] = ${f32(1 - momentum)} * runVar[r] + ${f32(momentum * m / (m - 1))} * varB;`;
}

/** Eval mode: the channel records from the running statistics. */
export function evalChannelWgsl(c: number, eps: number): string {
  return `
@group(0) @binding(0) var<storage, read> runMean: array<f32>;
@group(0) @binding(1) var<storage, read> runVar: array<f32>;
@group(0) @binding(2) var<storage, read> gamma: array<f32>;
@group(0) @binding(3) var<storage, read> beta: array<f32>;
@group(0) @binding(4) var<storage, read_write> chan: array<vec4<f32>>;
@compute @workgroup_size(64)
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= ${c}u) { return; }
  let mu = runMean[r];
  let is = 1.0 / sqrt(runVar[r] + ${f32(eps)});
  let scale = gamma[r] * is;
  chan[r] = vec4<f32>(scale, beta[r] - mu * scale, mu, is);
}`;
}

/** dz = f'(z)·dy at z = xv·scale + shift, as WGSL statements declaring `dz`. */
function upstreamGrad(act: BnActivation, t: string): string {
  if (act === "none") return "let dz = dy[i];";
  return `let z = xv * cp.x + cp.y;
  let dz = ${activationGradWgsl(act, "z", "dy[i]", t)};`;
}

/** Backward sums: s0 = Σ dz, s1 = Σ dz·(x − mean) (dz as in the module comment). */
export const BACKWARD_PRELUDE = "let cp = chan[r]; let mu = cp.z;";
export function backwardPerItem(act: BnActivation): string {
  return `let xv = x[i];
      ${upstreamGrad(act, "Item")}`;
}
export const BACKWARD_TERMS = ["dz", "dz * (xv - mu)"];

/**
 * Backward finalize: dbeta = Σdz, dgamma = Σ dz·x̂ = invStd·s1, and the
 * training-mode dx = gamma·invStd·(dz − dbeta/M − x̂·dgamma/M) as a·dz + b·x + d.
 */
export function backwardFinalize(m: number): string {
  return `let cp = chan[r];
  let mu = cp.z;
  let is = cp.w;
  let dg = s1 * is;
  dbeta[r] = s0;
  dgamma[r] = dg;
  let k = gamma[r] * is;
  coef[r] = vec4<f32>(k, -k * is * dg * ${f32(1 / m)}, k * (mu * is * dg - s0) * ${
    f32(1 / m)
  }, 0.0);`;
}

/**
 * Element-wise passes run over vec4 groups when H·W % 4 = 0 (a group then lies in
 * one channel), and an invocation owns a run of `BN_RUN[variant]` units of one plane: its
 * channel's records are loaded once for the run (llvmpipe gathers each load lane by
 * lane, so per-channel loads cost as much as the data loads they serve). Runs of 8
 * measured 2% faster than 4 over a MobileNetV2 training step's passes (one llvmpipe
 * thread, timestamps), 16 slower. GPUs keep runs of 4 (neighbouring invocations'
 * loads stay closer together; unmeasured there).
 */
export const BN_RUN: Record<KernelVariant, number> = { register: 8, tiled: 4 };

/** Units (elements or vec4 groups) a plane, and invocations of an element-wise pass. */
export function bnElementwiseUnits(
  size: number,
  hw: number,
  run: number,
): { vec4: boolean; perPlane: number; invocations: number } {
  const vec4 = hw % 4 === 0;
  const perPlane = vec4 ? hw / 4 : hw;
  return { vec4, perPlane, invocations: (size / hw) * Math.ceil(perPlane / run) };
}

/**
 * The shared head of the element-wise passes: `main` finds the invocation's plane,
 * channel and first unit and runs `loads`; `each(body)` repeats `body` for the
 * run's units with `i` the unit's index (skipping those past the plane's end).
 */
export function elementwiseHead(
  size: number,
  c: number,
  hw: number,
  grid: Grid1D,
  wg: number,
  run: number,
  loads: string,
) {
  const { vec4, perPlane, invocations } = bnElementwiseUnits(size, hw, run);
  const runs = Math.ceil(perPlane / run);
  const each = (body: string) =>
    Array.from({ length: run }, (_, v) => {
      const guard = perPlane % run === 0 ? "" : `if (j + ${v}u < ${perPlane}u) `;
      return `  ${guard}{
    let i = base + ${v}u;
    ${body}
  }`;
    }).join("\n");
  return {
    type: vec4 ? "vec4<f32>" : "f32",
    main: `@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let inv = ${grid.index};
  if (inv >= ${invocations}u) { return; }
  let plane = inv / ${runs}u;
  let j = (inv % ${runs}u) * ${run}u;
  let base = plane * ${perPlane}u + j;
  let ch = plane % ${c}u;
  ${loads}`,
    each,
  };
}

/** y = f(x·scale[c] + shift[c]). Bindings: x, chan, y. */
export function normalizeWgsl(
  act: BnActivation,
  size: number,
  c: number,
  hw: number,
  grid: Grid1D,
  wg: number,
  run: number,
): string {
  const h = elementwiseHead(size, c, hw, grid, wg, run, "let cp = chan[ch];");
  return `
@group(0) @binding(0) var<storage, read> x: array<${h.type}>;
@group(0) @binding(1) var<storage, read> chan: array<vec4<f32>>;
@group(0) @binding(2) var<storage, read_write> y: array<${h.type}>;
${h.main}
${
    h.each(`let z = x[i] * cp.x + cp.y;
    y[i] = ${act === "none" ? "z" : activationWgsl(act, "z", h.type)};`)
  }
}`;
}

/** The buffers `inputGradWgsl` binds, in order (each is read only where needed). */
export function inputGradBindings(
  act: BnActivation,
  training: boolean,
): ("x" | "dy" | "chan" | "coef" | "dx")[] {
  const readsX = training || act !== "none";
  const readsChan = act !== "none" || !training;
  return [
    ...(readsX ? ["x" as const] : []),
    "dy",
    ...(readsChan ? ["chan" as const] : []),
    ...(training ? ["coef" as const] : []),
    "dx",
  ];
}

/**
 * Whether the dx pass runs over vec4 groups of the flat tensor although H·W % 4 ≠ 0
 * (the 7×7 stage): a run of `run` groups then spans at most two planes, whose records
 * each component picks between. llvmpipe loads lane by lane, so a scalar pass pays a
 * load an element where this pays one a group: 0.4–0.7× the scalar pass's time on
 * 7×7 planes at batch 64 (timestamps, interleaved, under load).
 */
export function straddlingGroups(size: number, hw: number, run: number): boolean {
  return hw % 4 !== 0 && size % 4 === 0 && hw >= 4 * run;
}

/** Invocations of the dx pass (`inputGradWgsl`). */
export function inputGradInvocations(size: number, hw: number, run: number): number {
  if (straddlingGroups(size, hw, run)) return Math.ceil(size / 4 / run);
  return bnElementwiseUnits(size, hw, run).invocations;
}

/**
 * dx, training mode: a[c]·dz + b[c]·x + d[c]; eval mode (constant statistics):
 * scale[c]·dz. Bindings: `inputGradBindings(act, training)`.
 */
export function inputGradWgsl(
  act: BnActivation,
  training: boolean,
  size: number,
  c: number,
  hw: number,
  grid: Grid1D,
  wg: number,
  run: number,
): string {
  if (straddlingGroups(size, hw, run)) {
    return straddlingInputGradWgsl(act, training, size, c, hw, grid, wg, run);
  }
  const names = inputGradBindings(act, training);
  const loads = [
    names.includes("chan") ? "let cp = chan[ch];" : "",
    training ? "let cf = coef[ch];" : "",
  ].join(" ");
  const h = elementwiseHead(size, c, hw, grid, wg, run, loads);
  const decls = inputGradDecls(names, h.type);
  return `
${decls}
${h.main}
${
    h.each(`${names.includes("x") ? "let xv = x[i];" : ""}
    ${upstreamGrad(act, h.type)}
    dx[i] = ${training ? "cf.x * dz + cf.y * xv + cf.z" : "cp.x * dz"};`)
  }
}`;
}

/** The dx pass's bindings: per-channel records as vec4, the tensors as `element`. */
function inputGradDecls(names: readonly string[], element: string): string {
  const types: Record<string, string> = { chan: "vec4<f32>", coef: "vec4<f32>" };
  return names.map((name, k) =>
    `@group(0) @binding(${k}) var<storage, ${name === "dx" ? "read_write" : "read"}> ${name}: ` +
    `array<${types[name] ?? element}>;`
  ).join("\n");
}

/**
 * `inputGradWgsl` over vec4 groups of the flat tensor when planes are not 4-aligned
 * (`straddlingGroups`): an invocation owns `run` groups, which lie in plane A or the
 * plane B after it; both planes' records are loaded once and each component selects
 * its own, so every element gets the same arithmetic as in the scalar pass.
 */
function straddlingInputGradWgsl(
  act: BnActivation,
  training: boolean,
  size: number,
  c: number,
  hw: number,
  grid: Grid1D,
  wg: number,
  run: number,
): string {
  const names = inputGradBindings(act, training);
  const groups = size / 4;
  const t = "vec4<f32>";
  const decls = inputGradDecls(names, t);
  const readsChan = names.includes("chan");
  // Per-component record fields: plane A's below the first element of plane B. `cp`
  // becomes a (scale, shift) pair of vec4s so that `upstreamGrad` reads it unchanged.
  const pick = (rec: string, field: string) =>
    `select(${t}(${rec}A.${field}), ${t}(${rec}B.${field}), inB)`;
  const units = Array.from({ length: run }, (_, v) => {
    const guard = groups % run === 0 ? "" : `if (g0 + ${v}u < ${groups}u) `;
    return `  ${guard}{
    let i = g0 + ${v}u;
    let inB = vec4<u32>(i * 4u) + vec4<u32>(0u, 1u, 2u, 3u) >= vec4<u32>(splitB);
    ${names.includes("x") ? "let xv = x[i];" : ""}
    ${readsChan ? `let cp = ScaleShift(${pick("cp", "x")}, ${pick("cp", "y")});` : ""}
    ${upstreamGrad(act, t)}
    dx[i] = ${
      training
        ? `${pick("cf", "x")} * dz + ${pick("cf", "y")} * xv + ${pick("cf", "z")}`
        : `${pick("cp", "x")} * dz`
    };
  }`;
  }).join("\n");
  return `
${decls}
struct ScaleShift { x: ${t}, y: ${t} }
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let inv = ${grid.index};
  if (inv >= ${Math.ceil(groups / run)}u) { return; }
  let g0 = inv * ${run}u;
  let planeA = (g0 * 4u) / ${hw}u;
  let planeB = min((g0 + ${run}u) * 4u - 1u, ${size - 1}u) / ${hw}u;
  let splitB = planeB * ${hw}u;
  let chA = planeA % ${c}u;
  let chB = planeB % ${c}u;
  ${readsChan ? "let cpA = chan[chA]; let cpB = chan[chB];" : ""}
  ${training ? "let cfA = coef[chA]; let cfB = coef[chB];" : ""}
${units}
}`;
}

/**
 * Training-mode backward in one dispatch, for channels short enough that one
 * invocation sums a whole channel (the 4×4 stage at batch 64: 256 vec4 a channel):
 * the two sums of `BACKWARD_TERMS`, dγ and dβ as `backwardFinalize` writes them, then
 * a second walk over the channel writing dx = a·dz + b·x + d, whose loads the first
 * walk has just brought into the cache. One dispatch instead of two (sums, dx), and
 * no coefficient records. Bindings: x, dy, chan, gamma, dgamma, dbeta, dx.
 */
export function backwardDirectWgsl(
  act: BnActivation,
  n: number,
  c: number,
  hw: number,
  wg: number,
): string {
  const vec4 = hw % 4 === 0;
  const t = vec4 ? "vec4<f32>" : "f32";
  const per = vec4 ? hw / 4 : hw;
  const m = n * hw;
  /** Statements over every unit `i` of channel r, plane by plane (a short plane unrolled). */
  const walk = (body: string) => {
    const each = per <= 16
      ? Array.from({ length: per }, (_, k) =>
        `{
      let i = o + ${k}u;
      ${body}
    }`).join("\n    ")
      : `for (var i = o; i < o + ${per}u; i = i + 1u) {
      ${body}
    }`;
    return `for (var p = 0u; p < ${n}u; p = p + 1u) {
    let o = (p * ${c}u + r) * ${per}u;
    ${each}
  }`;
  };
  const fold = (v: string) => (vec4 ? `${v}.x + ${v}.y + ${v}.z + ${v}.w` : v);
  return `
alias Item = ${t};
@group(0) @binding(0) var<storage, read> x: array<${t}>;
@group(0) @binding(1) var<storage, read> dy: array<${t}>;
@group(0) @binding(2) var<storage, read> chan: array<vec4<f32>>;
@group(0) @binding(3) var<storage, read> gamma: array<f32>;
@group(0) @binding(4) var<storage, read_write> dgamma: array<f32>;
@group(0) @binding(5) var<storage, read_write> dbeta: array<f32>;
@group(0) @binding(6) var<storage, read_write> dx: array<${t}>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let r = gid.x;
  if (r >= ${c}u) { return; }
  ${BACKWARD_PRELUDE}
  var v0 = ${t}();
  var v1 = ${t}();
  ${
    walk(`${backwardPerItem(act)}
      v0 = v0 + (${BACKWARD_TERMS[0]});
      v1 = v1 + (${BACKWARD_TERMS[1]});`)
  }
  let s0 = ${fold("v0")};
  let s1 = ${fold("v1")};
  let is = cp.w;
  let dg = s1 * is;
  dbeta[r] = s0;
  dgamma[r] = dg;
  let k = gamma[r] * is;
  let ca = k;
  let cb = -k * is * dg * ${f32(1 / m)};
  let cd = k * (mu * is * dg - s0) * ${f32(1 / m)};
  ${
    walk(`${backwardPerItem(act)}
      dx[i] = ca * dz + cb * xv + cd;`)
  }
}`;
}
