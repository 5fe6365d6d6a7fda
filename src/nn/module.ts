/**
 * Modules: trainable parameters (persistent tensors with a weight-decay flag) and
 * buffers (BN running statistics), collected by walking child modules.
 */
import { fromArray, full } from "../tensor/creation.ts";
import { requireGrad } from "../tensor/autograd.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** A parameter and whether weight decay applies to it (not to BN or biases). */
export interface Parameter {
  name: string;
  tensor: Tensor;
  decay: boolean;
}

export abstract class Module {
  training = true;
  protected readonly ownParams: Parameter[] = [];
  protected readonly ownBuffers: { name: string; tensor: Tensor }[] = [];
  protected readonly children: { name: string; module: Module }[] = [];

  abstract forward(x: Tensor): Tensor;

  /** Registers a child module under `name`. */
  protected child<M extends Module>(name: string, module: M): M {
    this.children.push({ name, module });
    return module;
  }

  /** Creates a trainable parameter from host data. */
  protected param(name: string, shape: number[], data: Float32Array, decay: boolean): Tensor {
    const t = requireGrad(fromArray(shape, data, { name, persistent: true }));
    this.ownParams.push({ name, tensor: t, decay });
    return t;
  }

  /** Creates a non-trainable persistent buffer filled with `value`. */
  protected buffer(name: string, shape: number[], value: number): Tensor {
    const t = full(shape, value, { name, persistent: true });
    this.ownBuffers.push({ name, tensor: t });
    return t;
  }

  /** All parameters, names prefixed by the module path. */
  parameters(prefix = ""): Parameter[] {
    const out = this.ownParams.map((p) => ({ ...p, name: prefix + p.name }));
    for (const c of this.children) out.push(...c.module.parameters(`${prefix}${c.name}.`));
    return out;
  }

  /** All buffers (running statistics), names prefixed by the module path. */
  buffers(prefix = ""): { name: string; tensor: Tensor }[] {
    const out = this.ownBuffers.map((b) => ({ ...b, name: prefix + b.name }));
    for (const c of this.children) out.push(...c.module.buffers(`${prefix}${c.name}.`));
    return out;
  }

  /** Switches training mode (BN batch statistics) on or off, recursively. */
  train(on = true): this {
    this.training = on;
    for (const c of this.children) c.module.train(on);
    return this;
  }

  eval(): this {
    return this.train(false);
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    for (const p of this.ownParams) p.tensor.dispose();
    for (const b of this.ownBuffers) b.tensor.dispose();
    for (const c of this.children) c.module.dispose();
  }
}

/** Groups parameters for an optimizer: decayed ones and the rest (BN, biases). */
export function paramGroups(
  params: readonly Parameter[],
  weightDecay: number,
): { params: Tensor[]; weightDecay: number }[] {
  return [
    { params: params.filter((p) => p.decay).map((p) => p.tensor), weightDecay },
    { params: params.filter((p) => !p.decay).map((p) => p.tensor), weightDecay: 0 },
  ].filter((g) => g.params.length > 0);
}
