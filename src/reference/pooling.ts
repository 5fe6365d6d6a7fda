/** Global average pooling: x [N, C, H, W] → y [N, C], the mean over each H×W map. */
import { assertRank, assertShape, type HostTensor, hostTensor } from "./host_tensor.ts";

/** y[n, c] = (1 / (H·W)) Σ_{h, w} x[n, c, h, w]. */
export function globalAvgPool(x: HostTensor): HostTensor {
  const [n, c, h, w] = assertRank(x, 4, "globalAvgPool: x");
  const hw = h * w;
  const y = hostTensor([n, c]);
  for (let nc = 0; nc < n * c; nc++) {
    let s = 0;
    for (let p = 0; p < hw; p++) s += x.data[nc * hw + p];
    y.data[nc] = s / hw;
  }
  return y;
}

/** dx[n, c, h, w] = dy[n, c] / (H·W); `xShape` is the forward input's shape. */
export function globalAvgPoolBackward(xShape: readonly number[], dy: HostTensor): HostTensor {
  if (xShape.length !== 4) {
    throw new Error(
      `globalAvgPoolBackward: xShape is [${xShape}]; pass the [N, C, H, W] input shape`,
    );
  }
  const [n, c, h, w] = xShape;
  assertShape(dy, [n, c], "globalAvgPoolBackward: dy");
  const hw = h * w;
  const dx = hostTensor(xShape);
  for (let nc = 0; nc < n * c; nc++) {
    for (let p = 0; p < hw; p++) dx.data[nc * hw + p] = dy.data[nc] / hw;
  }
  return dx;
}
