/**
 * A tensor: a shape, a dtype and a pooled GPU buffer, plus the autograd fields.
 * Tensors created inside `tidy()` are freed when it returns unless kept; parameters
 * and optimizer state are persistent and live until `dispose()`.
 */
import type { PooledBuffer } from "../gpu/buffer_pool.ts";
import { engine } from "./engine.ts";

export type DType = "f32" | "i32";

/** The backward half of an op: given ∂L/∂output, returns ∂L/∂input for each input. */
export interface GradNode {
  readonly op: string;
  readonly inputs: readonly Tensor[];
  /**
   * ∂L/∂output → ∂L/∂inputs. `into[k]`, where set, is the gradient already summed for
   * input k; an op that can add its own into it in place (the dx of a conv, in the
   * conv's store) returns that same tensor, which saves autograd a pass that adds two.
   */
  backward(gradOutput: Tensor, into: readonly (Tensor | undefined)[]): readonly (Tensor | null)[];
}

let nextTensorId = 1;

export class Tensor {
  readonly id = nextTensorId++;
  readonly size: number;
  requiresGrad = false;
  /** Accumulated ∂L/∂this (leaf tensors only; persistent). */
  grad: Tensor | null = null;
  /** Set by `zeroGrad()`: the next gradient overwrites `grad` instead of adding. */
  gradIsStale = false;
  /** The op that produced this tensor, when gradients flow through it. */
  node: GradNode | null = null;
  private buf: PooledBuffer | null;

  constructor(
    readonly shape: readonly number[],
    buffer: PooledBuffer,
    readonly dtype: DType = "f32",
    public persistent = false,
    public name = "",
  ) {
    this.size = shapeSize(shape);
    this.buf = buffer;
  }

  /** The GPU buffer; throws if the tensor was freed. */
  get buffer(): PooledBuffer {
    if (!this.buf) {
      throw new Error(
        `tensor ${this.describe()} used after it was freed (keep() it or read it inside tidy())`,
      );
    }
    return this.buf;
  }

  get isDisposed(): boolean {
    return this.buf === null;
  }

  get bytes(): number {
    return this.size * 4;
  }

  /** "name[32,16,28,28]" for messages. */
  describe(): string {
    return `${this.name || "tensor"}[${this.shape.join(",")}]`;
  }

  /** Returns the buffer to the pool. Idempotent. */
  dispose(): void {
    if (!this.buf) return;
    engine.gpu.pool.release(this.buf);
    this.buf = null;
    this.node = null;
    if (this.grad) {
      this.grad.dispose();
      this.grad = null;
    }
  }

  /** Copies the data back to the host (one host sync; batch reads with `readAll`). */
  async read(): Promise<Float32Array> {
    const [a] = await readAll([this]);
    return a;
  }

  /** Reads i32 data. */
  async readInt(): Promise<Int32Array> {
    const [buf] = await engine.gpu.read([{ buffer: this.buffer, bytes: this.bytes }]);
    return new Int32Array(buf);
  }
}

/** Reads several tensors with one host sync. */
export async function readAll(tensors: readonly Tensor[]): Promise<Float32Array[]> {
  const bufs = await engine.gpu.read(tensors.map((t) => ({ buffer: t.buffer, bytes: t.bytes })));
  return bufs.map((b) => new Float32Array(b));
}

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`invalid shape [${shape.join(",")}]`);
    n *= d;
  }
  return n;
}

export function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(",")}]`;
}
