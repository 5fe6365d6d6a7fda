/**
 * MobileNetV2's inverted residual block (semantics in src/space/network_spec.ts):
 * [1×1 expand → BN → ReLU6] → depthwise k×k (stride) → BN → ReLU6 → [SE] →
 * 1×1 project → BN, plus the input when stride is 1 and widths match.
 */
import { type BatchNormSettings, ConvBnAct } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { normalizedSum } from "../ops/normalized_sum.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import { hasResidual, type InvertedResidualBlock, irbMid } from "../space/network_spec.ts";
import { SqueezeExcite } from "./squeeze_excite.ts";

export class InvertedResidual extends Module {
  readonly expand: ConvBnAct | null;
  readonly depthwise: ConvBnAct;
  readonly se: SqueezeExcite | null;
  readonly project: ConvBnAct;
  readonly residual: boolean;

  constructor(readonly spec: InvertedResidualBlock, rng: Rng, bn?: BatchNormSettings) {
    super();
    const mid = irbMid(spec);
    this.expand = mid !== spec.cin
      ? this.child("expand", new ConvBnAct(spec.cin, mid, { kernel: 1, act: "relu6", bn }, rng))
      : null;
    this.depthwise = this.child(
      "depthwise",
      new ConvBnAct(mid, mid, {
        kernel: spec.kernel,
        stride: spec.stride as 1 | 2,
        depthwise: true,
        act: "relu6",
        bn,
      }, rng),
    );
    this.se = spec.se ? this.child("se", new SqueezeExcite(mid, rng)) : null;
    this.project = this.child(
      "project",
      new ConvBnAct(mid, spec.cout, { kernel: 1, act: "none", bn }, rng),
    );
    this.residual = hasResidual(spec);
  }

  forward(x: Tensor): Tensor {
    const dw = this.depthwise;
    let pre: Tensor; // the depthwise conv's output, before its BN
    const dwStatistics = { statistics: dw.bn.training };
    if (this.expand) {
      // The expand layer's BN + activation are applied as the depthwise conv loads
      // its input (src/ops/bn_act_depthwise.ts), so their output is never written.
      const { conv, bn, act } = this.expand;
      const expanded = conv.forward(x, { statistics: bn.training });
      pre = bn.forwardActDepthwise(expanded, act, dw.conv, dwStatistics);
    } else {
      pre = dw.conv.forward(x, dwStatistics);
    }
    const p = this.project;
    const statistics = p.bn.training;
    // The depthwise layer's BN + activation are applied as the project conv loads its
    // input (src/ops/bn_act_conv2d.ts), unless SE sits between them.
    const projected = this.se
      ? p.conv.forward(this.se.forward(dw.bn.forwardAct(pre, dw.act)), { statistics })
      : dw.bn.forwardActConv(pre, dw.act, p.conv, { statistics });
    // With a residual, the projection's BN is applied as the input is added to it.
    return this.residual
      ? normalizedSum([p.bn.term(projected, p.act), { x }])
      : p.bn.forwardAct(projected, p.act);
  }
}
