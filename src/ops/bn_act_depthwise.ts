/**
 * depthwiseConv2d(act(batchNorm2d(x)), w) as one op whose middle tensor is never
 * written: the batch norm's channel records are computed as usual, and the depthwise
 * forward and weight gradient apply x·scale + shift and the activation as they load x
 * (kernels/depthwise_conv2d.ts, `SourceNorm`). In MobileNetV2's inverted residual
 * block this is the expand layer's BN + ReLU6 feeding the depthwise conv: its
 * normalise pass read and wrote the block's widest activation.
 *
 * Values and gradients are those of the two ops in turn: the depthwise input gradient
 * is the gradient of act(bn(x)), which batch norm's backward takes unchanged.
 */
import { record } from "../tensor/autograd.ts";
import type { Tensor } from "../tensor/tensor.ts";
import {
  type BatchNormOptions,
  bnActBackward,
  type BnActivation,
  bnChannelRecords,
} from "./batch_norm.ts";
import {
  depthwiseConv2dBackwardInput,
  depthwiseConv2dBackwardWeight,
  depthwiseConv2dForward,
  type DepthwiseOptions,
} from "./depthwise_conv2d.ts";

/**
 * depthwiseConv2d(act(bn(x)), w): x [N, C, H, W]; gamma, beta, runningMean,
 * runningVar [C] (training updates the running buffers, as batchNormAct does);
 * w [C, 1, k, k]. Backward gives dx, dgamma, dbeta and dw.
 */
export function bnActDepthwiseConv2d(
  x: Tensor,
  gamma: Tensor,
  beta: Tensor,
  runningMean: Tensor,
  runningVar: Tensor,
  w: Tensor,
  opts: BatchNormOptions & { act: BnActivation } & DepthwiseOptions,
): Tensor {
  const bn = bnChannelRecords(x, gamma, beta, runningMean, runningVar, opts);
  const norm = { act: opts.act, chan: bn.chan };
  const dw = { stride: opts.stride };
  const y = depthwiseConv2dForward(x, w, { ...dw, statistics: opts.statistics }, undefined, norm);
  const op = `${bn.op}→depthwiseConv2d`;
  return record(y, op, [x, gamma, beta, w], (dy) => {
    const needsBn = x.requiresGrad || gamma.requiresGrad || beta.requiresGrad;
    let bnGrads: (Tensor | null)[] = [null, null, null];
    if (needsBn) {
      const dAct = depthwiseConv2dBackwardInput(dy, w, x.shape, dw);
      bnGrads = bnActBackward(x, gamma, beta, bn, opts.act, dAct);
      dAct.dispose();
    }
    const dW = w.requiresGrad
      ? depthwiseConv2dBackwardWeight(x, dy, w.shape, dw, undefined, norm)
      : null;
    return [...bnGrads, dW];
  });
}
