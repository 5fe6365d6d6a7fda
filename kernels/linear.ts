/**
 * WGSL for the small matrix products of a fully connected layer:
 * C[M, N] = Σ_k A(m, k)·B(k, n) (+ bias[n]), where A and B are read either as
 * stored or transposed, so y = x·wᵀ, dx = dy·w and dw = dyᵀ·x share one generator.
 *
 * One form for llvmpipe and GPUs: each invocation accumulates a 4×4 register block
 * over k (4 + 4 loads for 16 FMAs, no barriers). The classifier head is well under
 * 1% of a network's work, so a shared-memory tiled variant would not pay for itself.
 */
import type { Grid1D } from "./common.ts";

export interface GemmShape {
  m: number;
  n: number;
  k: number;
  /** A is stored [K, M] (read transposed) instead of [M, K]. */
  aTransposed: boolean;
  /** B is stored [N, K] (read transposed) instead of [K, N]. */
  bTransposed: boolean;
  bias: boolean;
}

/** Register block of one invocation. */
export const GEMM_TILE = 4;

/** Invocations a GEMM of this shape launches. */
export function gemmInvocations(s: GemmShape): number {
  return Math.ceil(s.m / GEMM_TILE) * Math.ceil(s.n / GEMM_TILE);
}

/** Bindings: 0 A, 1 B, [2 bias,] then C. */
export function gemmWgsl(s: GemmShape, grid: Grid1D, wg: number): string {
  const t = GEMM_TILE;
  const bn = Math.ceil(s.n / t);
  const aAt = (row: string) => (s.aTransposed ? `kk * ${s.m}u + ${row}` : `${row} * ${s.k}u + kk`);
  const bAt = (col: string) => (s.bTransposed ? `${col} * ${s.k}u + kk` : `kk * ${s.n}u + ${col}`);
  const lines: string[] = [];
  const loads: string[] = [];
  for (let i = 0; i < t; i++) {
    lines.push(`let row${i} = min(m0 + ${i}u, ${s.m - 1}u);`);
    lines.push(`let col${i} = min(n0 + ${i}u, ${s.n - 1}u);`);
    loads.push(`let a${i} = A[${aAt(`row${i}`)}];`);
    loads.push(`let b${i} = B[${bAt(`col${i}`)}];`);
  }
  const accs: string[] = [];
  const fmas: string[] = [];
  const stores: string[] = [];
  for (let i = 0; i < t; i++) {
    for (let j = 0; j < t; j++) {
      accs.push(`var c${i}_${j} = 0.0;`);
      fmas.push(`c${i}_${j} = fma(a${i}, b${j}, c${i}_${j});`);
      const value = s.bias ? `c${i}_${j} + bias[col${j}]` : `c${i}_${j}`;
      stores.push(
        `if (m0 + ${i}u < ${s.m}u && n0 + ${j}u < ${s.n}u) { C[(m0 + ${i}u) * ${s.n}u + n0 + ${j}u] = ${value}; }`,
      );
    }
  }
  return `
@group(0) @binding(0) var<storage, read> A: array<f32>;
@group(0) @binding(1) var<storage, read> B: array<f32>;
${s.bias ? "@group(0) @binding(2) var<storage, read> bias: array<f32>;" : ""}
@group(0) @binding(${s.bias ? 3 : 2}) var<storage, read_write> C: array<f32>;
@compute @workgroup_size(${wg})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let g = ${grid.index};
  if (g >= ${gemmInvocations(s)}u) { return; }
  let m0 = (g / ${bn}u) * ${t}u;
  let n0 = (g % ${bn}u) * ${t}u;
  ${lines.join("\n  ")}
  ${accs.join(" ")}
  for (var kk = 0u; kk < ${s.k}u; kk = kk + 1u) {
    ${loads.join("\n    ")}
    ${fmas.join("\n    ")}
  }
  ${stores.join("\n  ")}
}`;
}
