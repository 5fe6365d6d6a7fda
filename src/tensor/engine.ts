/**
 * Process-wide engine state: the GPU in use, the stack of `tidy()` scopes that own
 * temporary tensors, and the gradient mode.
 */
import type { Gpu } from "../gpu/gpu.ts";

/**
 * What a `tidy()` scope needs of a tensor: whether it outlives the scope, and how
 * to free it. `Tensor` (tensor.ts, the layer above) has both.
 */
export interface ScopedTensor {
  persistent: boolean;
  dispose(): void;
}

class EngineState {
  private current: Gpu | null = null;
  /** Each open tidy() scope collects the tensors created in it. */
  readonly scopes: ScopedTensor[][] = [];
  gradEnabled = true;

  get gpu(): Gpu {
    if (!this.current) {
      throw new Error("no GPU: call `await initEngine()` before creating tensors");
    }
    return this.current;
  }

  setGpu(gpu: Gpu | null): void {
    this.current = gpu;
  }

  get hasGpu(): boolean {
    return this.current !== null;
  }

  /** Registers a new non-persistent tensor with the innermost scope. */
  track(t: ScopedTensor): void {
    const scope = this.scopes[this.scopes.length - 1];
    if (scope) scope.push(t);
  }
}

export const engine = new EngineState();

/**
 * Runs `fn` and frees every tensor it created except those it returns (a tensor,
 * an array or an object of tensors) or `keep()`s. `fn` must be synchronous:
 * recording GPU work never awaits.
 */
export function tidy<T>(fn: () => T): T {
  engine.scopes.push([]);
  let result: T;
  try {
    result = fn();
  } catch (e) {
    for (const t of engine.scopes.pop()!) if (!t.persistent) t.dispose();
    throw e;
  }
  const created = engine.scopes.pop()!;
  const returned = new Set<ScopedTensor>();
  collectTensors(result, returned);
  for (const t of created) {
    if (returned.has(t)) {
      engine.track(t); // hand it to the enclosing scope
    } else if (!t.persistent) {
      t.dispose();
    }
  }
  return result;
}

/** Exempts a tensor from every enclosing `tidy()`; the caller must dispose it. */
export function keep<T extends ScopedTensor>(t: T): T {
  t.persistent = true;
  return t;
}

/** Runs `fn` without recording gradients (evaluation). */
export function noGrad<T>(fn: () => T): T {
  const prev = engine.gradEnabled;
  engine.gradEnabled = false;
  try {
    return fn();
  } finally {
    engine.gradEnabled = prev;
  }
}

function collectTensors(value: unknown, out: Set<ScopedTensor>, depth = 0): void {
  if (value === null || typeof value !== "object" || depth > 3) return;
  if (isTensor(value)) {
    out.add(value);
    return;
  }
  if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, out, depth + 1);
    return;
  }
  if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, out, depth + 1);
  }
}

function isTensor(v: object): v is ScopedTensor {
  return "shape" in v && "buffer" in v && "dtype" in v && "size" in v;
}
