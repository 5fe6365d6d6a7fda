/**
 * One timed convolution: its inputs made once on the GPU, and a function that
 * records one invocation of the forward kernel or of a gradient (no autograd:
 * the op functions the backward pass itself calls).
 *
 * Inputs are constant fills: these kernels run the same instructions whatever
 * the values, and filling on the GPU avoids uploading hundreds of MiB.
 */
import { conv2dBackwardInput, conv2dBackwardWeight, conv2dForward } from "../ops/conv2d.ts";
import {
  depthwiseConv2dBackwardInput,
  depthwiseConv2dBackwardWeight,
  depthwiseConv2dForward,
} from "../ops/depthwise_conv2d.ts";
import { full } from "../tensor/creation.ts";
import { tidy } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { type ConvShape, type Direction, outputShape, weightShape } from "./shapes.ts";

/** A prepared measurement: `call` records one invocation and frees its outputs. */
export interface ConvCase {
  readonly call: () => void;
  dispose(): void;
}

/** Makes the inputs of `shape` and the recorder of `direction`. */
export function prepareConvCase(shape: ConvShape, direction: Direction): ConvCase {
  const xShape = [shape.n, shape.cin, shape.h, shape.w];
  const wShape = weightShape(shape);
  const stride = shape.stride as 1 | 2;
  const made: Tensor[] = [];
  const make = (dims: readonly number[], value: number, name: string) => {
    const t = full(dims, value, { name, persistent: true });
    made.push(t);
    return t;
  };
  const needX = direction !== "backward-input";
  const needDy = direction !== "forward";
  const x = needX ? make(xShape, 0.5, "bench.x") : null;
  const w = make(wShape, 0.01, "bench.w");
  const dy = needDy ? make(outputShape(shape), 0.01, "bench.dy") : null;
  const depthwise = shape.kind === "depthwise";
  const forward = () =>
    depthwise ? depthwiseConv2dForward(x!, w, { stride }) : conv2dForward(x!, w, stride);
  const inputGrad = () =>
    depthwise
      ? depthwiseConv2dBackwardInput(dy!, w, xShape, { stride })
      : conv2dBackwardInput(dy!, w, xShape, stride);
  const weightGrad = () =>
    depthwise
      ? depthwiseConv2dBackwardWeight(x!, dy!, wShape, { stride })
      : conv2dBackwardWeight(x!, dy!, wShape, stride);
  const body: Record<Direction, () => void> = {
    "forward": () => void forward(),
    "backward-input": () => void inputGrad(),
    "backward-weight": () => void weightGrad(),
    "backward": () => {
      inputGrad();
      weightGrad();
    },
  };
  const record = body[direction];
  return {
    call: () => tidy(record),
    dispose: () => {
      for (const t of made) t.dispose();
    },
  };
}
