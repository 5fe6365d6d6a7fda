/**
 * y = Σ_t term_t, where a term is a tensor as it is (`null`) or act(x·scale[c] +
 * shift[c]) with a batch norm's channel records (kernels/batch_norm.ts): a cell node
 * that adds its edges' outputs, or a block's projection plus its residual, without
 * writing each normalised term and reading it back. The walk is batch norm's
 * element-wise pass (`elementwiseHead`): vec4 groups where a plane's size allows.
 * Bindings: for each term its x, then (normalised terms) its channel records; y last.
 */
import { activationWgsl } from "./elementwise.ts";
import { type BnActivation, elementwiseHead } from "./batch_norm.ts";
import type { Grid1D } from "./common.ts";

/** A term's activation after its batch norm, or null for a term added as it is. */
export type SumTermKind = BnActivation | null;

export function normalizedSumWgsl(
  terms: readonly SumTermKind[],
  size: number,
  c: number,
  hw: number,
  grid: Grid1D,
  wg: number,
  run: number,
): string {
  const loads = terms.flatMap((t, k) => t === null ? [] : [`let cp${k} = chan${k}[ch];`]);
  const h = elementwiseHead(size, c, hw, grid, wg, run, loads.join("\n  "));
  const bindings: string[] = [];
  terms.forEach((t, k) => {
    bindings.push(`var<storage, read> x${k}: array<${h.type}>;`);
    if (t !== null) bindings.push(`var<storage, read> chan${k}: array<vec4<f32>>;`);
  });
  bindings.push(`var<storage, read_write> y: array<${h.type}>;`);
  const value = (t: SumTermKind, k: number) => {
    if (t === null) return `x${k}[i]`;
    const z = `(x${k}[i] * cp${k}.x + cp${k}.y)`;
    return t === "none" ? z : activationWgsl(t, z, h.type);
  };
  return `
${bindings.map((b, i) => `@group(0) @binding(${i}) ${b}`).join("\n")}
${h.main}
${h.each(`y[i] = ${terms.map(value).join(" + ")};`)}
}`;
}
