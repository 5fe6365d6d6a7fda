/**
 * The basic trainable layers: convolution (dense or depthwise, no bias: BN follows),
 * batch norm, linear, dropout, and the conv → BN → activation unit every network
 * here is made of.
 */
import { conv2d } from "../ops/conv2d.ts";
import { depthwiseConv2d } from "../ops/depthwise_conv2d.ts";
import { batchNormAct, type BnActivation, bnChannelRecords } from "../ops/batch_norm.ts";
import { bnActConv2d } from "../ops/bn_act_conv2d.ts";
import { bnActDepthwiseConv2d } from "../ops/bn_act_depthwise.ts";
import { dropout } from "../ops/dropout.ts";
import type { SumTerm } from "../ops/normalized_sum.ts";
import { linear } from "../ops/linear.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import { kaimingConvInit, normalInit } from "./init.ts";
import { Module } from "./module.ts";

export type Activation = BnActivation;

export interface Conv2dOptions {
  kernel: number;
  stride?: 1 | 2;
  /** Depthwise: one k×k filter per channel (requires cin = cout). */
  depthwise?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly stride: 1 | 2;
  readonly depthwise: boolean;

  constructor(readonly cin: number, readonly cout: number, opts: Conv2dOptions, rng: Rng) {
    super();
    this.stride = opts.stride ?? 1;
    this.depthwise = opts.depthwise ?? false;
    if (this.depthwise && cin !== cout) {
      throw new Error(`Conv2d: depthwise needs cin = cout, got ${cin} → ${cout}`);
    }
    const k = opts.kernel;
    const cinPerGroup = this.depthwise ? 1 : cin;
    this.weight = this.param(
      "weight",
      [cout, cinPerGroup, k, k],
      kaimingConvInit(cout, cinPerGroup, k, rng),
      true,
    );
  }

  get kernel(): number {
    return this.weight.shape[2];
  }

  /**
   * `statistics`: a training-mode batch norm reads the output, so the conv writes its
   * per-channel partials where it can (src/ops/strip_partials.ts).
   */
  forward(x: Tensor, { statistics = false } = {}): Tensor {
    return this.depthwise
      ? depthwiseConv2d(x, this.weight, { stride: this.stride, statistics })
      : conv2d(x, this.weight, { stride: this.stride, statistics });
  }
}

/**
 * Batch-norm settings in PyTorch's convention (ProxylessNAS's `bn` uses it too):
 * running = (1 − momentum)·running + momentum·batch; y = (x − μ)/√(σ² + eps)·γ + β.
 */
export interface BatchNormSettings {
  momentum: number;
  eps: number;
}

/**
 * Watches every training-mode BatchNorm2d forward while installed (BN recalibration,
 * src/nn/bn_recalibration.ts). While one is installed, a BN in training mode updates
 * its running buffers with momentum 1, so after the forward they hold exactly this
 * batch's mean and unbiased variance.
 */
export interface BatchStatisticsCollector {
  /** Before `bn` normalises a batch (and overwrites its running buffers). */
  before(bn: BatchNorm2d): void;
  /** After: `bn.runningMean` / `bn.runningVar` hold this batch's statistics. */
  after(bn: BatchNorm2d): void;
}

let statisticsCollector: BatchStatisticsCollector | null = null;

/** Installs `collector` (null removes it); returns the one it replaces. */
export function setBatchStatisticsCollector(
  collector: BatchStatisticsCollector | null,
): BatchStatisticsCollector | null {
  const previous = statisticsCollector;
  statisticsCollector = collector;
  return previous;
}

export class BatchNorm2d extends Module {
  readonly gamma: Tensor;
  readonly beta: Tensor;
  readonly runningMean: Tensor;
  readonly runningVar: Tensor;

  constructor(readonly channels: number, readonly momentum = 0.1, readonly eps = 1e-5) {
    super();
    this.gamma = this.param("weight", [channels], new Float32Array(channels).fill(1), false);
    this.beta = this.param("bias", [channels], new Float32Array(channels), false);
    this.runningMean = this.buffer("running_mean", [channels], 0);
    this.runningVar = this.buffer("running_var", [channels], 1);
  }

  forward(x: Tensor): Tensor {
    return this.forwardAct(x, "none");
  }

  /** act(bn(x)) in one fused op (the same values and gradients as the two in turn). */
  forwardAct(x: Tensor, act: Activation): Tensor {
    return this.withCollector((momentum) =>
      batchNormAct(x, this.gamma, this.beta, this.runningMean, this.runningVar, {
        training: this.training,
        momentum,
        eps: this.eps,
        act,
      })
    );
  }

  /**
   * conv(act(bn(x))) for a depthwise `conv`, with act(bn(x)) never written (the
   * same values and gradients as `conv.forward(this.forwardAct(x, act), {statistics})`).
   */
  forwardActDepthwise(
    x: Tensor,
    act: Activation,
    conv: Conv2d,
    { statistics = false } = {},
  ): Tensor {
    if (!conv.depthwise) throw new Error("BatchNorm2d.forwardActDepthwise: conv is not depthwise");
    return this.withCollector((momentum) =>
      bnActDepthwiseConv2d(
        x,
        this.gamma,
        this.beta,
        this.runningMean,
        this.runningVar,
        conv.weight,
        {
          training: this.training,
          momentum,
          eps: this.eps,
          act,
          stride: conv.stride,
          statistics,
        },
      )
    );
  }

  /**
   * conv(act(bn(x))) for a dense 1×1 stride-1 `conv`, with act(bn(x)) never written (the
   * same values and gradients as `conv.forward(this.forwardAct(x, act), {statistics})`).
   */
  forwardActConv(x: Tensor, act: Activation, conv: Conv2d, { statistics = false } = {}): Tensor {
    if (conv.depthwise || conv.kernel !== 1 || conv.stride !== 1) {
      throw new Error("BatchNorm2d.forwardActConv: conv is not a dense 1×1 stride-1 conv");
    }
    return this.withCollector((momentum) =>
      bnActConv2d(
        x,
        this.gamma,
        this.beta,
        this.runningMean,
        this.runningVar,
        conv.weight,
        { training: this.training, momentum, eps: this.eps, act, stride: 1, statistics },
      )
    );
  }

  /**
   * act(bn(x)) as a term of `normalizedSum` (src/ops/normalized_sum.ts): the batch
   * statistics are taken (and the running buffers updated) now, the normalised tensor
   * is never written.
   */
  term(x: Tensor, act: Activation): SumTerm {
    return this.withCollector((momentum) => ({
      x,
      norm: {
        gamma: this.gamma,
        beta: this.beta,
        act,
        records: bnChannelRecords(x, this.gamma, this.beta, this.runningMean, this.runningVar, {
          training: this.training,
          momentum,
          eps: this.eps,
          act,
        }),
      },
    }));
  }

  /** Runs a forward with the statistics collector's hooks around it (training only). */
  private withCollector<T>(run: (momentum: number) => T): T {
    const collector = this.training ? statisticsCollector : null;
    collector?.before(this);
    const y = run(collector ? 1 : this.momentum);
    collector?.after(this);
    return y;
  }
}

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;

  constructor(readonly inFeatures: number, readonly outFeatures: number, rng: Rng) {
    super();
    this.weight = this.param(
      "weight",
      [outFeatures, inFeatures],
      normalInit(outFeatures * inFeatures, 0.01, rng),
      true,
    );
    this.bias = this.param("bias", [outFeatures], new Float32Array(outFeatures), false);
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}

/**
 * Inverted dropout: zeroes elements with probability `rate` in training mode and
 * scales the rest by 1 / (1 − rate); the identity in eval mode. The mask is drawn
 * from (seed, step); `step` advances after each training forward, and a trainer
 * that sets it from its global step (and `seed` from its run seed) gets the same
 * masks after a resume as in an uninterrupted run.
 */
export class Dropout extends Module {
  seed = 0;
  step = 0;

  constructor(readonly rate: number) {
    super();
    if (!(rate >= 0 && rate < 1)) {
      throw new RangeError(`Dropout: rate must be in [0, 1), got ${rate}`);
    }
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.rate === 0) return x;
    return dropout(x, { rate: this.rate, seed: this.seed, step: this.step++ });
  }
}

/** conv → BN → activation (the inverted residual block's unit). */
export class ConvBnAct extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;

  constructor(
    cin: number,
    cout: number,
    opts: Conv2dOptions & { act: Activation; bn?: BatchNormSettings },
    rng: Rng,
    readonly act: Activation = opts.act,
  ) {
    super();
    this.conv = this.child("conv", new Conv2d(cin, cout, opts, rng));
    this.bn = this.child("bn", new BatchNorm2d(cout, opts.bn?.momentum, opts.bn?.eps));
  }

  forward(x: Tensor): Tensor {
    return this.bn.forwardAct(this.conv.forward(x, { statistics: this.bn.training }), this.act);
  }

  /** The forward as a term of `normalizedSum`: its batch norm's output is not written. */
  forwardTerm(x: Tensor): SumTerm {
    return this.bn.term(this.conv.forward(x, { statistics: this.bn.training }), this.act);
  }
}

/** Applies modules in order. */
export class Sequential extends Module {
  readonly layers: Module[];

  constructor(layers: Module[]) {
    super();
    this.layers = layers.map((m, i) => this.child(String(i), m));
  }

  forward(x: Tensor): Tensor {
    let y = x;
    for (const m of this.layers) y = m.forward(y);
    return y;
  }
}
