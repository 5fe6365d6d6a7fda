/**
 * Ops that move data without arithmetic: reshape (a copy into the new shape, so
 * every tensor keeps sole ownership of its buffer) and stride-2 subsampling.
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import { subsampleBackwardWgsl, subsampleWgsl } from "../../kernels/elementwise.ts";
import { record } from "../tensor/autograd.ts";
import { copyInto, empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import { shapeSize, shapeStr, type Tensor } from "../tensor/tensor.ts";

/** The same values in a new shape of equal size. */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  if (shapeSize(shape) !== x.size) {
    throw new Error(
      `reshape: ${x.describe()} has ${x.size} elements, ${shapeStr(shape)} needs ${
        shapeSize(shape)
      }`,
    );
  }
  const y = empty(shape, { name: "reshape" });
  copyInto(y, x);
  return record(y, "reshape", [x], (dy) => {
    const dx = empty(x.shape, { name: "reshape.dx" });
    copyInto(dx, dy);
    return [dx];
  });
}

/** Keeps pixel (2y, 2x) of every plane: [N,C,H,W] → [N,C,⌊(H−1)/2⌋+1, ⌊(W−1)/2⌋+1]. */
export function subsample2x(x: Tensor): Tensor {
  if (x.shape.length !== 4) throw new Error(`subsample2x: expects [N,C,H,W], got ${x.describe()}`);
  const [n, c, h, w] = x.shape;
  const ho = Math.floor((h - 1) / 2) + 1;
  const wo = Math.floor((w - 1) / 2) + 1;
  const gpu = engine.gpu;
  const y = empty([n, c, ho, wo], { name: "subsample" });
  const grid = grid1D(y.size, ELEMENTWISE_WG);
  const k = gpu.kernel(
    `subsample2x:${x.shape}`,
    () => subsampleWgsl(n, c, h, w, grid, ELEMENTWISE_WG),
  );
  gpu.dispatch(k, [x.buffer, y.buffer], grid.groups, `subsample2x ${x.describe()}`);
  return record(y, "subsample2x", [x], (dy) => {
    const dx = empty(x.shape, { name: "subsample.dx" });
    const gb = grid1D(x.size, ELEMENTWISE_WG);
    const kb = gpu.kernel(
      `subsample2x_bwd:${x.shape}`,
      () => subsampleBackwardWgsl(n, c, h, w, gb, ELEMENTWISE_WG),
    );
    gpu.dispatch(kb, [dy.buffer, dx.buffer], gb.groups, `subsample2x backward ${x.describe()}`);
    return [dx];
  });
}
