/**
 * conv2d(act(batchNorm2d(x)), w) as one op whose middle tensor is never written: the
 * batch norm's channel records are computed as usual, and the conv's forward and weight
 * gradient apply x·scale + shift and the activation as they load x (kernels/
 * conv2d_register.ts and conv2d_tiled.ts, `norm`). In MobileNetV2's inverted residual
 * block this is the depthwise layer's BN + ReLU6 feeding the 1×1 project conv.
 *
 * Values and gradients are those of the two ops in turn: the conv's input gradient is
 * the gradient of act(bn(x)), which batch norm's backward takes unchanged.
 */
import { record } from "../tensor/autograd.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { KernelVariant } from "../gpu/device.ts";
import {
  type BatchNormOptions,
  bnActBackward,
  type BnActivation,
  bnChannelRecords,
} from "./batch_norm.ts";
import { conv2dBackwardWeight, conv2dForward, conv2dWithInputGrad } from "./conv2d.ts";

/**
 * conv2d(act(bn(x)), w): x [N, C, H, W]; gamma, beta, runningMean, runningVar [C]
 * (training updates the running buffers, as batchNormAct does); w [Co, C, k, k]. The
 * register kernels take the weight gradient of a normalised source for 1×1 stride-1
 * convs only. Backward gives dx, dgamma, dbeta and dw.
 */
export function bnActConv2d(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  w: Tensor,
  opts: BatchNormOptions & {
    act: BnActivation;
    stride: 1 | 2;
    variant?: KernelVariant;
    /** A training-mode batch norm reads the output (`Conv2dOptions.statistics`). */
    statistics?: boolean;
  },
): Tensor {
  const bn = bnChannelRecords(x, gamma, beta, runningMean, runningVar, opts);
  const norm = { act: opts.act, chan: bn.chan };
  const { stride, variant, statistics = false } = opts;
  const needsBn = x.requiresGrad || gamma.requiresGrad || beta.requiresGrad;
  // The input gradient's weight packing is made with the forward's only when it is used.
  const { y, inputGrad } = needsBn
    ? conv2dWithInputGrad(x, w, stride, variant, norm, statistics)
    : { y: conv2dForward(x, w, stride, variant, norm, statistics), inputGrad: null };
  const op = `${bn.op}→conv2d`;
  return record(y, op, [x, gamma, beta, w], (dy) => {
    let bnGrads: (Tensor | null)[] = [null, null, null];
    if (inputGrad) {
      const dAct = inputGrad(dy);
      bnGrads = bnActBackward(x, gamma, beta, bn, opts.act, dAct);
      dAct.dispose();
    }
    const dW = w.requiresGrad ? conv2dBackwardWeight(x, dy, w.shape, stride, variant, norm) : null;
    return [...bnGrads, dW];
  });
}
