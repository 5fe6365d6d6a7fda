/**
 * Optimizers whose updates run as GPU kernels: SGD (momentum, Nesterov, weight
 * decay) and Adam (configurable betas, β1 = 0 allowed). Parameter groups carry
 * their own weight decay, so BN parameters and biases can be excluded.
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import { adamWgsl, sgdWgsl } from "../../kernels/optimizers.ts";
import { zeros } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** Parameters that share a weight decay. */
export interface ParamGroup {
  params: Tensor[];
  weightDecay: number;
}

export interface SgdOptions {
  lr: number;
  momentum?: number;
  nesterov?: boolean;
  weightDecay?: number;
}

export interface AdamOptions {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

/** Normalises `Tensor[] | ParamGroup[]` into groups. */
function toGroups(params: readonly Tensor[] | readonly ParamGroup[], wd: number): ParamGroup[] {
  if (params.length === 0) return [];
  if ("params" in params[0]) return params as ParamGroup[];
  return [{ params: [...(params as Tensor[])], weightDecay: wd }];
}

abstract class Optimizer {
  readonly groups: ParamGroup[];
  /** [lr, ...] uploaded once per step. */
  protected hp: Tensor;
  stepCount = 0;
  lr: number;

  constructor(params: readonly Tensor[] | readonly ParamGroup[], lr: number, wd: number) {
    this.groups = toGroups(params, wd);
    this.lr = lr;
    this.hp = zeros([4], { name: "optimizer.hp", persistent: true });
    for (const g of this.groups) {
      for (const p of g.params) {
        if (!p.persistent) throw new Error(`optimizer: ${p.describe()} is not a persistent tensor`);
      }
    }
  }

  /**
   * Adds parameters (a supernet's new candidates) with their own weight decay; their
   * optimizer state starts at zero.
   */
  addParams(params: readonly Tensor[], weightDecay: number): void {
    if (params.length === 0) return;
    this.groups.push({ params: [...params], weightDecay });
    this.initState(params);
  }

  /** Removes parameters and frees their optimizer state. */
  removeParams(params: readonly Tensor[]): void {
    const gone = new Set(params);
    for (const g of this.groups) g.params = g.params.filter((p) => !gone.has(p));
    this.dropState(gone);
  }

  protected abstract initState(params: readonly Tensor[]): void;
  protected abstract dropState(params: ReadonlySet<Tensor>): void;

  /** Every parameter, in group order (the order state names use). */
  protected allParams(): Tensor[] {
    return this.groups.flatMap((g) => g.params);
  }

  /** Marks gradients stale: the next backward overwrites them (no fill kernel). */
  zeroGrad(): void {
    for (const g of this.groups) for (const p of g.params) p.gradIsStale = true;
  }

  /** Applies one update to every parameter that received a gradient. */
  step(): void {
    this.stepCount++;
    engine.gpu.write(this.hp.buffer, this.hyperParams());
    for (const group of this.groups) {
      for (const p of group.params) {
        if (!p.grad || p.gradIsStale) continue; // no gradient reached it this step
        this.update(p, p.grad, group.weightDecay);
      }
    }
  }

  protected abstract hyperParams(): Float32Array;
  protected abstract update(p: Tensor, g: Tensor, weightDecay: number): void;

  /** Optimizer state tensors, for checkpoints (name → tensor). The step count is
   * part of the state too: restore it with `stepCount`. */
  abstract state(): Map<string, Tensor>;

  dispose(): void {
    this.hp.dispose();
    for (const t of this.state().values()) t.dispose();
  }
}

export class Sgd extends Optimizer {
  readonly momentum: number;
  readonly nesterov: boolean;
  private buffers = new Map<Tensor, Tensor>();

  constructor(params: readonly Tensor[] | readonly ParamGroup[], opts: SgdOptions) {
    super(params, opts.lr, opts.weightDecay ?? 0);
    this.momentum = opts.momentum ?? 0;
    this.nesterov = opts.nesterov ?? false;
    if (this.nesterov && this.momentum <= 0) {
      throw new Error("SGD: Nesterov momentum needs momentum > 0");
    }
    // State is created up front so a checkpoint can be restored before the first step.
    this.initState(this.allParams());
  }

  protected initState(params: readonly Tensor[]): void {
    if (this.momentum === 0) return;
    for (const p of params) {
      this.buffers.set(p, zeros(p.shape, { name: `${p.name}.momentum`, persistent: true }));
    }
  }

  protected dropState(params: ReadonlySet<Tensor>): void {
    for (const p of params) {
      this.buffers.get(p)?.dispose();
      this.buffers.delete(p);
    }
  }

  protected hyperParams(): Float32Array {
    return new Float32Array([this.lr, 0, 0, 0]);
  }

  protected update(p: Tensor, g: Tensor, weightDecay: number): void {
    const gpu = engine.gpu;
    const grid = grid1D(p.size, ELEMENTWISE_WG);
    const k = gpu.kernel(
      `sgd:${p.size}:${this.momentum}:${this.nesterov}:${weightDecay}`,
      () => sgdWgsl(p.size, this.momentum, this.nesterov, weightDecay, grid, ELEMENTWISE_WG),
    );
    const bufs = [p.buffer, g.buffer, this.hp.buffer];
    if (this.momentum !== 0) bufs.push(this.buffers.get(p)!.buffer);
    gpu.dispatch(k, bufs, grid.groups, `sgd ${p.describe()}`);
  }

  state(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    this.allParams().forEach((p, i) => {
      const b = this.buffers.get(p);
      if (b) out.set(`momentum.${i}`, b);
    });
    return out;
  }
}

export class Adam extends Optimizer {
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  private moments = new Map<Tensor, [Tensor, Tensor]>();

  constructor(params: readonly Tensor[] | readonly ParamGroup[], opts: AdamOptions) {
    super(params, opts.lr, opts.weightDecay ?? 0);
    this.beta1 = opts.beta1 ?? 0.9;
    this.beta2 = opts.beta2 ?? 0.999;
    this.eps = opts.eps ?? 1e-8;
    if (!(this.beta1 >= 0 && this.beta1 < 1 && this.beta2 >= 0 && this.beta2 < 1)) {
      throw new Error(`Adam: betas must be in [0, 1), got ${this.beta1}, ${this.beta2}`);
    }
    this.initState(this.allParams());
  }

  protected initState(params: readonly Tensor[]): void {
    for (const p of params) {
      this.moments.set(p, [
        zeros(p.shape, { name: `${p.name}.adam_m`, persistent: true }),
        zeros(p.shape, { name: `${p.name}.adam_v`, persistent: true }),
      ]);
    }
  }

  protected dropState(params: ReadonlySet<Tensor>): void {
    for (const p of params) {
      for (const t of this.moments.get(p) ?? []) t.dispose();
      this.moments.delete(p);
    }
  }

  protected hyperParams(): Float32Array {
    const t = this.stepCount;
    return new Float32Array([this.lr, 1 - this.beta1 ** t, 1 - this.beta2 ** t, 0]);
  }

  protected update(p: Tensor, g: Tensor, weightDecay: number): void {
    const gpu = engine.gpu;
    const grid = grid1D(p.size, ELEMENTWISE_WG);
    const k = gpu.kernel(
      `adam:${p.size}:${this.beta1}:${this.beta2}:${this.eps}:${weightDecay}`,
      () => adamWgsl(p.size, this.beta1, this.beta2, this.eps, weightDecay, grid, ELEMENTWISE_WG),
    );
    const mv = this.moments.get(p)!;
    gpu.dispatch(
      k,
      [p.buffer, g.buffer, this.hp.buffer, mv[0].buffer, mv[1].buffer],
      grid.groups,
      `adam ${p.describe()}`,
    );
  }

  state(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    this.allParams().forEach((p, i) => {
      const mv = this.moments.get(p);
      if (mv) {
        out.set(`adam_m.${i}`, mv[0]);
        out.set(`adam_v.${i}`, mv[1]);
      }
    });
    return out;
  }
}
