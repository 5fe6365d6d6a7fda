/**
 * Full reductions `sum(x)` and `mean(x)` with autograd, and the machinery every
 * reducing op here shares: choosing the kernel variant and running a segmented
 * reduction (kernels/reduce.ts) as one or two deterministic dispatches.
 */
import { ELEMENTWISE_WG, f32, grid1D } from "../../kernels/common.ts";
import {
  type BindingDecl,
  directBindings,
  groupGrid,
  planReduce,
  type ReduceBody,
  reduceDirectWgsl,
  type ReduceLayout,
  reducePass1Wgsl,
  reducePass2Wgsl,
  type ReducePlan,
  vectorizeReduction,
} from "../../kernels/reduce.ts";
import type { KernelVariant } from "../gpu/device.ts";
import type { Bindable } from "../gpu/gpu.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";

let variantOverride: KernelVariant | null = null;

/** The kernel family ops use now: a forced one, else the device's (`gpu.info.variant`). */
export function kernelVariant(): KernelVariant {
  return variantOverride ?? engine.gpu.info.variant;
}

/**
 * Runs `fn` with every op in this folder forced to `variant` (tests use it to check
 * both kernel families on one adapter). Kernels are cached per variant.
 */
export function withKernelVariant<T>(variant: KernelVariant, fn: () => T): T {
  const prev = variantOverride;
  variantOverride = variant;
  try {
    return fn();
  } finally {
    variantOverride = prev;
  }
}

/** A binding declaration together with the buffer bound to it. */
export interface BoundDecl extends BindingDecl {
  buffer: Bindable;
}

/** A segmented reduction to run: layout, WGSL body and the buffers it binds. */
export interface Reduction {
  /** Identifies the body: every fact baked into the terms and finalize. */
  key: string;
  layout: ReduceLayout;
  inputs: readonly BoundDecl[];
  prelude?: string;
  perItem?: string;
  terms: readonly string[];
  outputs: readonly BoundDecl[];
  finalize: string;
  label: string;
  /** See `ReduceBody.walkSegments` (kernels/reduce.ts). */
  walkSegments?: boolean;
}

function layoutKey(l: ReduceLayout): string {
  return `${l.rows},${l.items},${l.segLen},${l.rowStride},${l.segStride}`;
}

function bodyOf(red: Omit<Reduction, "key" | "layout" | "label">): ReduceBody {
  return {
    inputs: red.inputs,
    prelude: red.prelude,
    perItem: red.perItem,
    terms: red.terms,
    outputs: red.outputs,
    finalize: red.finalize,
    walkSegments: red.walkSegments,
  };
}

/** The reduction as it will run: over vec4 items where it can. */
function prepare(
  layout: ReduceLayout,
  body: ReduceBody,
): { layout: ReduceLayout; body: ReduceBody } {
  return vectorizeReduction(layout, body) ?? { layout, body };
}

function kernelKey(key: string, layout: ReduceLayout, body: ReduceBody, variant: KernelVariant) {
  return `reduce:${key}:${layoutKey(layout)}${body.vec4 ? ":v4" : ""}${
    body.walkSegments ? ":walk" : ""
  }:${variant}`;
}

/**
 * The split plan `runPass1` will use for this layout and body (callers that
 * allocate the partials themselves size them with `plan.partials`).
 */
export function planSplit(
  red: Pick<Reduction, "layout" | "inputs" | "terms" | "prelude" | "perItem">,
): ReducePlan {
  const p = prepare(red.layout, bodyOf({ ...red, outputs: [], finalize: "" }));
  return planReduce(p.layout, kernelVariant(), true);
}

/**
 * Records a reduction: one direct dispatch for short rows, else pass 1 into a
 * temporary partials buffer and pass 2 (which runs `finalize`).
 */
export function runReduction(red: Reduction): void {
  const gpu = engine.gpu;
  const variant = kernelVariant();
  const { layout, body } = prepare(red.layout, bodyOf(red));
  const plan = planReduce(layout, variant);
  if (plan.mode === "direct") {
    const k = gpu.kernel(
      `${kernelKey(red.key, layout, body, variant)}:direct:${plan.wg}`,
      () => reduceDirectWgsl(layout, body, plan.wg),
    );
    const byName = new Map<string, Bindable>();
    for (const b of [...red.inputs, ...red.outputs]) {
      if (!byName.has(b.name)) byName.set(b.name, b.buffer);
    }
    const buffers = directBindings(body).map((b) => byName.get(b.name)!);
    gpu.dispatch(k, buffers, groupGrid(Math.ceil(layout.rows / plan.wg)), red.label);
    return;
  }
  const partials = empty([red.terms.length * layout.rows * plan.partials], {
    name: "partials",
  });
  runPass1(red, plan, partials);
  runPass2(red.key, layout.rows, red.terms.length, plan, partials, red.outputs, red.finalize, {
    label: red.label,
  });
  partials.dispose();
}

/**
 * Pass 1 alone (split plans, from `planSplit` or `runReduction`): writes the
 * partial sums of `red`'s rows to `partials`, at row `rowOffset` of `totalRows`
 * (several dispatches — one per group of bound buffers — so share one pass 2).
 */
export function runPass1(
  red: Omit<Reduction, "outputs" | "finalize">,
  plan: ReducePlan,
  partials: Tensor,
  rowOffset = 0,
  totalRows = red.layout.rows,
): void {
  const gpu = engine.gpu;
  const { layout, body } = prepare(red.layout, bodyOf({ ...red, outputs: [], finalize: "" }));
  const key = `${kernelKey(red.key, layout, body, plan.variant)}:p1:${plan.chunks}:` +
    `${rowOffset}/${totalRows}`;
  const k1 = gpu.kernel(key, () => reducePass1Wgsl(layout, body, plan, rowOffset, totalRows));
  gpu.dispatch(
    k1,
    [...red.inputs.map((b) => b.buffer), partials.buffer],
    groupGrid(layout.rows * plan.chunks),
    `${red.label} (pass 1)`,
  );
}

/**
 * Pass 2 alone, for ops that write their own pass-1 partials (depthwise dw, the
 * per-path dot products of weightedSum): sums `plan.partials` values per row and term.
 */
export function runPass2(
  key: string,
  rows: number,
  terms: number,
  plan: Pick<ReducePlan, "partials" | "variant">,
  partials: Tensor,
  outputs: readonly BoundDecl[],
  finalize: string,
  opts: { label: string },
): void {
  const gpu = engine.gpu;
  const k = gpu.kernel(
    `reduce2:${key}:${rows}:${terms}:${plan.partials}:${plan.variant}`,
    () => reducePass2Wgsl(rows, terms, plan.partials, plan.variant, outputs, finalize),
  );
  const groups = plan.variant === "register" ? groupGrid(Math.ceil(rows / 64)) : groupGrid(rows);
  gpu.dispatch(
    k,
    [partials.buffer, ...outputs.map((b) => b.buffer)],
    groups,
    `${opts.label} (pass 2)`,
  );
}

/** A read-only f32 binding. */
export function readF32(name: string, t: Tensor): BoundDecl {
  return { name, access: "read", buffer: t.buffer };
}

/** A writable f32 binding. */
export function writeF32(name: string, t: Tensor): BoundDecl {
  return { name, access: "read_write", buffer: t.buffer };
}

/** WGSL that fills `out` with `scale · g[0]` (the backward of a full reduction). */
function broadcastScalarWgsl(n: number, scale: number, index: string): string {
  return `
@group(0) @binding(0) var<storage, read> g: array<f32>;
@group(0) @binding(1) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(${ELEMENTWISE_WG})
fn main(@builtin(global_invocation_id) gid: vec3<u32>) {
  let i = ${index};
  if (i >= ${n}u) { return; }
  out[i] = ${f32(scale)} * g[0];
}`;
}

/** A tensor of `shape` filled with scale·g[0], read on the GPU (no host sync). */
export function broadcastScalar(g: Tensor, shape: readonly number[], scale: number): Tensor {
  const gpu = engine.gpu;
  const out = empty(shape, { name: "broadcast" });
  const grid = grid1D(out.size, ELEMENTWISE_WG);
  const k = gpu.kernel(
    `broadcast_scalar:${out.size}:${scale}`,
    () => broadcastScalarWgsl(out.size, scale, grid.index),
  );
  gpu.dispatch(k, [g.buffer, out.buffer], grid.groups, `broadcast ${g.describe()}`);
  return out;
}

function fullReduction(op: "sum" | "mean", x: Tensor): Tensor {
  if (x.dtype !== "f32") throw new Error(`${op}: ${x.describe()} has dtype ${x.dtype}; need f32`);
  if (x.size === 0) throw new Error(`${op}: ${x.describe()} is empty; nothing to reduce`);
  const y = empty([1], { name: op });
  const scale = op === "sum" ? 1 : 1 / x.size;
  runReduction({
    key: `${op}:${scale}`,
    layout: { rows: 1, items: x.size, segLen: x.size, rowStride: 0, segStride: 0 },
    inputs: [readF32("x", x)],
    terms: ["x[i]"],
    outputs: [writeF32("y", y)],
    finalize: `y[0] = s0 * ${f32(scale)};`,
    label: `${op} ${x.describe()}`,
  });
  return record(y, op, [x], (dy) => [broadcastScalar(dy, x.shape, scale)]);
}

/** Σ of all entries → [1]; backward fills dy[0] (read on the GPU). */
export const sum = (x: Tensor): Tensor => fullReduction("sum", x);

/** Mean of all entries → [1]; backward fills dy[0] / size. */
export const mean = (x: Tensor): Tensor => fullReduction("mean", x);
