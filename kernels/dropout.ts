/**
 * WGSL for inverted dropout (Srivastava et al. 2014): out[i] = in[i] · keep(i) / (1 − p).
 *
 * The mask is never stored: keep(i) is recomputed from a counter-based hash of
 * (seed, step, i), so forward and backward agree without a mask buffer, a step's
 * mask is reproducible from two integers (a resumed run redraws it exactly), and
 * the host uploads 8 bytes per call instead of a mask. Forward (in = x) and
 * backward (in = dy) are the same kernel: ∂y/∂x = keep(i) / (1 − p).
 *
 * Hash: the PCG output permutation used as a hash (Jarzynski & Olano, "Hash
 * Functions for GPU Rendering", JCGT 2020), nested as
 *   h(i) = pcg(pcg(i) ^ pcg(pcg(seed) + step)),
 * so that masks of different steps are not shifted copies of each other.
 * Element i is kept when h(i) ≥ threshold = ⌊p · 2³²⌋, i.e. with probability 1 − p.
 * src/reference/dropout.ts computes the same bits on the host.
 */
import { f32, type Grid1D } from "./common.ts";

/** The PCG hash as a WGSL function (u32 arithmetic wraps modulo 2³²). */
const PCG_WGSL = `
fn pcg(v: u32) -> u32 {
  let state = v * 747796405u + 2891336453u;
  let word = ((state >> ((state >> 28u) + 4u)) ^ state) * 277803737u;
  return (word >> 22u) ^ word;
}`;

/** The keep threshold of rate p: elements whose hash is below it are dropped. */
export function dropoutThreshold(rate: number): number {
  if (!(rate >= 0 && rate < 1)) throw new RangeError(`dropout rate must be in [0, 1), got ${rate}`);
  return Math.floor(rate * 2 ** 32);
}

/**
 * out[i] = in[i] · scale where hash(key, i) ≥ threshold, else 0. `key` holds
 * [seed, step] as two u32 words.
 */
export function dropoutWgsl(
  n: number,
  threshold: number,
  scale: number,
  grid: Grid1D,
  wg: number,
): string {
  return `
@group(0) @binding(0) var<storage, read> key: array<u32>;
@group(0) @binding(1) var<storage, read> src: array<f32>;
@group(0) @binding(2) var<storage, read_write> dst: array<f32>;
${PCG_WGSL}
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${grid.index};
  if (i >= ${n}u) { return; }
  let stepKey = pcg(pcg(key[0]) + key[1]);
  let keep = pcg(pcg(i) ^ stepKey) >= ${threshold >>> 0}u;
  dst[i] = select(0.0, src[i] * ${f32(scale)}, keep);
}`;
}
