/** Global average pooling with autograd: x [N, C, H, W] → [N, C]. */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import {
  avgPoolFinalize,
  globalAvgPoolBackwardUnits,
  globalAvgPoolBackwardWgsl,
} from "../../kernels/pooling.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { readF32, runReduction, writeF32 } from "./reduce.ts";

/** y[n, c] = mean over H×W of x[n, c]; backward spreads dy[n, c] / (H·W). */
export function globalAvgPool(x: Tensor): Tensor {
  if (x.shape.length !== 4) {
    throw new Error(`globalAvgPool: x must be [N,C,H,W], got ${x.describe()}`);
  }
  if (x.dtype !== "f32") throw new Error(`globalAvgPool: ${x.describe()} has dtype ${x.dtype}`);
  if (x.size === 0) throw new Error(`globalAvgPool: ${x.describe()} is empty`);
  const [n, c, h, w] = x.shape;
  const hw = h * w;
  const y = empty([n, c], { name: "avgpool" });
  runReduction({
    key: `avgpool:${hw}`,
    layout: { rows: n * c, items: hw, segLen: hw, rowStride: hw, segStride: 0 },
    inputs: [readF32("x", x)],
    terms: ["x[i]"],
    outputs: [writeF32("y", y)],
    finalize: avgPoolFinalize(hw),
    label: `globalAvgPool ${x.describe()}`,
  });
  return record(y, "globalAvgPool", [x], (dy) => {
    const gpu = engine.gpu;
    const dx = empty(x.shape, { name: "avgpool.dx" });
    const grid = grid1D(globalAvgPoolBackwardUnits(x.size, hw), ELEMENTWISE_WG);
    const k = gpu.kernel(
      `avgpool_bwd:${x.size}:${hw}`,
      () => globalAvgPoolBackwardWgsl(x.size, hw, grid, ELEMENTWISE_WG),
    );
    gpu.dispatch(k, [dy.buffer, dx.buffer], grid.groups, `globalAvgPool backward ${x.describe()}`);
    return [dx];
  });
}
