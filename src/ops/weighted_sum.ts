/**
 * Path aggregation with autograd: y = Σ_k w_k·y_k over the candidate outputs that
 * ran (K = 1 or 2 under binary gates, up to 16 with all paths). The weight
 * gradient dw_k = Σ(y_k ⊙ dy) is ProxylessNAS's binary-gate gradient ∂L/∂g_k,
 * which Eq. 4 maps to the architecture logits.
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import { scaleByWeightsWgsl, weightedSumChunkWgsl } from "../../kernels/weighted_sum.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import { sameShape, shapeStr, type Tensor } from "../tensor/tensor.ts";
import { planSplit, readF32, runPass1, runPass2, writeF32 } from "./reduce.ts";

/** Most paths one call takes. */
export const WEIGHTED_SUM_MAX_PATHS = 64;

function validate(ys: readonly Tensor[], w: Tensor): void {
  if (ys.length === 0) throw new Error("weightedSum: no paths given; pass at least one tensor");
  if (ys.length > WEIGHTED_SUM_MAX_PATHS) {
    throw new Error(`weightedSum: ${ys.length} paths, at most ${WEIGHTED_SUM_MAX_PATHS}`);
  }
  if (w.dtype !== "f32" || w.shape.length !== 1 || w.shape[0] !== ys.length) {
    throw new Error(
      `weightedSum: w must be f32 [${ys.length}] (one weight a path), got ${w.dtype} ${w.describe()}`,
    );
  }
  ys.forEach((y, k) => {
    if (y.dtype !== "f32") throw new Error(`weightedSum: ys[${k}] has dtype ${y.dtype}; need f32`);
    if (!sameShape(y.shape, ys[0].shape)) {
      throw new Error(
        `weightedSum: ys[${k}] is ${shapeStr(y.shape)} but ys[0] is ${shapeStr(ys[0].shape)}`,
      );
    }
  });
  if (ys[0].size === 0) throw new Error(`weightedSum: paths ${ys[0].describe()} are empty`);
}

/**
 * y = Σ_k w[k]·ys[k] (all ys of one shape, w [K] on the GPU). Backward:
 * dys[k] = w[k]·dy, dw[k] = Σ(ys[k] ⊙ dy).
 */
export function weightedSum(ys: readonly Tensor[], w: Tensor): Tensor {
  validate(ys, w);
  const gpu = engine.gpu;
  const n = ys[0].size;
  const kCount = ys.length;
  const grid = grid1D(n, ELEMENTWISE_WG);
  const perDispatch = Math.max(1, gpu.device.limits.maxStorageBuffersPerShaderStage - 2);
  const y = empty(ys[0].shape, { name: "weightedSum" });
  for (let first = 0; first < kCount; first += perDispatch) {
    const count = Math.min(perDispatch, kCount - first);
    const acc = first > 0;
    const k = gpu.kernel(
      `wsum:${n}:${first}:${count}:${acc}`,
      () => weightedSumChunkWgsl(n, first, count, acc, grid, ELEMENTWISE_WG),
    );
    const paths = ys.slice(first, first + count).map((t) => t.buffer);
    gpu.dispatch(
      k,
      [w.buffer, ...paths, y.buffer],
      grid.groups,
      `weightedSum ${kCount}×${y.describe()}`,
    );
  }
  return record(y, "weightedSum", [w, ...ys], (dy) => {
    const dw = w.requiresGrad ? pathDots(ys, dy, perDispatch) : null;
    const dys: (Tensor | null)[] = ys.map(() => null);
    const wanted = ys.flatMap((t, k) => (t.requiresGrad ? [k] : []));
    for (let first = 0; first < wanted.length; first += perDispatch) {
      const paths = wanted.slice(first, first + perDispatch);
      const outs = paths.map((k) => (dys[k] = empty(ys[k].shape, { name: `weightedSum.dy${k}` })));
      const kd = gpu.kernel(
        `wsum_dy:${n}:${paths}`,
        () => scaleByWeightsWgsl(n, paths, grid, ELEMENTWISE_WG),
      );
      gpu.dispatch(
        kd,
        [w.buffer, dy.buffer, ...outs.map((t) => t.buffer)],
        grid.groups,
        `weightedSum dys ${paths}`,
      );
    }
    return [dw, ...dys];
  });
}

/**
 * dw[k] = Σ_i ys[k][i]·dy[i]: pass-1 dispatches of up to `perDispatch` paths
 * (one term a path) into one partials buffer, then one pass 2 over all K.
 */
function pathDots(ys: readonly Tensor[], dy: Tensor, perDispatch: number): Tensor {
  const n = dy.size;
  const kCount = ys.length;
  const layout = { rows: 1, items: n, segLen: n, rowStride: 0, segStride: 0 };
  const plan = planSplit({
    layout,
    inputs: [readF32("dy", dy), readF32("y0", ys[0])],
    terms: ["y0[i] * dy[i]"],
  });
  const partials = empty([kCount * plan.partials], { name: "weightedSum.partials" });
  const per = Math.max(1, perDispatch - 1); // dy takes one binding
  for (let first = 0; first < kCount; first += per) {
    const count = Math.min(per, kCount - first);
    const paths = ys.slice(first, first + count);
    runPass1(
      {
        key: `wsum_dot:${count}`,
        layout,
        inputs: [readF32("dy", dy), ...paths.map((t, j) => readF32(`y${j}`, t))],
        terms: paths.map((_, j) => `y${j}[i] * dy[i]`),
        label: `weightedSum dw ${first}..${first + count - 1}`,
      },
      plan,
      partials,
      first,
      1,
    );
  }
  const dw = empty([kCount], { name: "weightedSum.dw" });
  runPass2("wsum_dot", kCount, 1, plan, partials, [writeF32("dw", dw)], "dw[r] = s0;", {
    label: "weightedSum dw",
  });
  partials.dispose();
  return dw;
}
