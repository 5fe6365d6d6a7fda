/**
 * Optimizers whose updates run as GPU kernels: SGD (momentum, Nesterov, weight
 * decay) and Adam (configurable betas, β1 = 0 allowed). Parameter groups carry
 * their own weight decay, so BN parameters and biases can be excluded.
 */
import { ELEMENTWISE_WG, type Grid1D, grid1D } from "../../kernels/common.ts";
import {
  ADAM_ARRAYS,
  adamGroupWgsl,
  adamWgsl,
  GROUP_WG,
  groupWords,
  sgdArrays,
  sgdGroupWgsl,
  sgdWgsl,
  singleUnits,
} from "../../kernels/optimizers.ts";
import { groupGrid } from "../../kernels/reduce.ts";
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

/** Floats of `hp` before the groups' layouts: [lr, bc1, bc2, 0]. */
const HP_HEAD = 4;
/** Tensors up to this size are updated in groups (dispatch overhead dominates them). */
const SMALL_PARAM = 4096;
/** Most tensors a group takes (each adds a branch to the kernel). */
const MAX_GROUP = 16;

/** Small tensors updated in one dispatch, and where their layout sits in hp. */
interface UpdateGroup {
  params: Tensor[];
  weightDecay: number;
  base: number;
  workgroups: number;
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
    this.hp = zeros([HP_HEAD], { name: "optimizer.hp", persistent: true });
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

  /**
   * Applies one update to every parameter that received a gradient: large tensors a
   * dispatch each, small ones in groups whose layout goes to `hp` beside the step's
   * hyper-parameters (one upload a step).
   */
  step(): void {
    this.stepCount++;
    const per = this.groupSize();
    const groups: UpdateGroup[] = [];
    const words: number[] = [];
    const large: { p: Tensor; weightDecay: number }[] = [];
    // Small tensors are pooled by weight decay across parameter groups: a weight bank
    // adds a group per module, and one dispatch per module would cost more than the update.
    const smallByDecay = new Map<number, Tensor[]>();
    for (const group of this.groups) {
      for (const p of group.params) {
        if (!p.grad || p.gradIsStale) continue;
        if (per > 1 && p.size <= SMALL_PARAM) {
          const list = smallByDecay.get(group.weightDecay);
          if (list) list.push(p);
          else smallByDecay.set(group.weightDecay, [p]);
        } else {
          large.push({ p, weightDecay: group.weightDecay });
        }
      }
    }
    for (const [weightDecay, small] of smallByDecay) {
      for (let s = 0; s < small.length; s += per) {
        const params = small.slice(s, s + per);
        // Group g's words sit at a fixed place, so its pipeline is the same every step.
        const base = HP_HEAD + groups.length * groupWords(per);
        let workgroups = 0;
        for (let k = 0; k <= per; k++) {
          const size = params[k]?.size ?? 0;
          words[base - HP_HEAD + k] = workgroups;
          if (k < per) words[base - HP_HEAD + per + 1 + k] = size;
          workgroups += Math.ceil(size / GROUP_WG);
        }
        groups.push({ params, weightDecay, base, workgroups });
      }
    }
    const data = new Float32Array(HP_HEAD + words.length);
    data.set(this.hyperParams());
    new Uint32Array(data.buffer, HP_HEAD * 4).set(words);
    if (this.hp.size < data.length) {
      this.hp.dispose();
      const size = 2 ** Math.ceil(Math.log2(data.length));
      this.hp = zeros([size], { name: "optimizer.hp", persistent: true });
    }
    engine.gpu.write(this.hp.buffer, data);
    for (const { p, weightDecay } of large) this.update(p, weightDecay);
    for (const g of groups) this.updateGroup(g, per);
  }

  /** Tensors a group takes: as many as the storage-binding limit allows (1: no groups). */
  protected groupSize(): number {
    const limit = engine.gpu.device.limits.maxStorageBuffersPerShaderStage;
    return Math.min(MAX_GROUP, Math.floor((limit - 1) / this.arrays().length));
  }

  /** The per-parameter arrays the update kernels bind (after hp). */
  protected abstract arrays(): readonly string[];

  /** The buffers of parameter p's arrays, in `arrays()` order. */
  protected abstract buffersOf(p: Tensor): Tensor[];

  /**
   * Stand-ins for a partial group's absent members (distinct per slot and array, as
   * writable bindings must not alias); their range is empty, so nothing touches them.
   */
  private placeholders(slot: number): Tensor[] {
    while (this.spares.length <= slot) {
      this.spares.push(
        this.arrays().map(() => zeros([1], { name: "optimizer.spare", persistent: true })),
      );
    }
    return this.spares[slot];
  }
  private spares: Tensor[][] = [];

  /** Records one dispatch for a group of small tensors. */
  private updateGroup(group: UpdateGroup, per: number): void {
    const gpu = engine.gpu;
    const k = gpu.kernel(
      `${this.groupKey()}:${per}:${group.base}:${group.weightDecay}`,
      () => this.groupWgsl(per, group.base, group.weightDecay),
    );
    const buffers = [this.hp.buffer];
    for (let slot = 0; slot < per; slot++) {
      const p = group.params[slot];
      buffers.push(...(p ? this.buffersOf(p) : this.placeholders(slot)).map((t) => t.buffer));
    }
    const label = `${this.name} ${group.params.length} tensors`;
    gpu.dispatch(k, buffers, groupGrid(group.workgroups), label);
  }

  /** Records the update of one tensor. */
  protected update(p: Tensor, weightDecay: number): void {
    const gpu = engine.gpu;
    const grid = grid1D(singleUnits(p.size), ELEMENTWISE_WG);
    const k = gpu.kernel(
      `${this.groupKey()}:${p.size}:${weightDecay}:${grid.index}`,
      () => this.singleWgsl(p.size, weightDecay, grid),
    );
    gpu.dispatch(
      k,
      [this.hp.buffer, ...this.buffersOf(p).map((t) => t.buffer)],
      grid.groups,
      `${this.name} ${p.describe()}`,
    );
  }

  /** The optimizer's name, first word of its dispatch labels. */
  protected abstract readonly name: string;
  /** Pipeline-key prefix naming the optimizer and its constants. */
  protected abstract groupKey(): string;
  protected abstract singleWgsl(n: number, weightDecay: number, grid: Grid1D): string;
  protected abstract groupWgsl(members: number, base: number, weightDecay: number): string;
  protected abstract hyperParams(): Float32Array;

  /** Optimizer state tensors, for checkpoints (name → tensor). The step count is
   * part of the state too: restore it with `stepCount`. */
  abstract state(): Map<string, Tensor>;

  dispose(): void {
    this.hp.dispose();
    for (const t of this.state().values()) t.dispose();
    for (const t of this.spares.flat()) t.dispose();
    this.spares = [];
  }
}

export class Sgd extends Optimizer {
  protected readonly name = "sgd";
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

  protected arrays(): readonly string[] {
    return sgdArrays(this.momentum);
  }

  protected buffersOf(p: Tensor): Tensor[] {
    return this.momentum !== 0 ? [p, p.grad!, this.buffers.get(p)!] : [p, p.grad!];
  }

  protected groupKey(): string {
    return `sgd:${this.momentum}:${this.nesterov}`;
  }

  protected singleWgsl(n: number, weightDecay: number, grid: Grid1D): string {
    return sgdWgsl(n, this.momentum, this.nesterov, weightDecay, grid, ELEMENTWISE_WG);
  }

  protected groupWgsl(members: number, base: number, weightDecay: number): string {
    return sgdGroupWgsl(members, base, this.momentum, this.nesterov, weightDecay);
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
  protected readonly name = "adam";
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

  protected arrays(): readonly string[] {
    return ADAM_ARRAYS;
  }

  protected buffersOf(p: Tensor): Tensor[] {
    return [p, p.grad!, ...this.moments.get(p)!];
  }

  protected groupKey(): string {
    return `adam:${this.beta1}:${this.beta2}:${this.eps}`;
  }

  protected singleWgsl(n: number, weightDecay: number, grid: Grid1D): string {
    return adamWgsl(n, this.beta1, this.beta2, this.eps, weightDecay, grid, ELEMENTWISE_WG);
  }

  protected groupWgsl(members: number, base: number, weightDecay: number): string {
    return adamGroupWgsl(members, base, this.beta1, this.beta2, this.eps, weightDecay);
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
