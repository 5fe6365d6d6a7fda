/**
 * Reverse-mode automatic differentiation over the recorded ops.
 *
 * Ops call `record()` when gradients are enabled and an input requires them; the
 * output then carries a `GradNode` whose `backward` maps ∂L/∂output to ∂L/∂inputs.
 * `backward(loss)` walks the graph in reverse topological order, sums gradients
 * that reach a tensor along several paths, and accumulates leaf gradients into
 * each leaf's persistent `grad` tensor.
 */
import { accumulateInto, copyInto, empty, full } from "./creation.ts";
import { engine } from "./engine.ts";
import type { GradNode, Tensor } from "./tensor.ts";

/** Attaches a backward function to `output` if any input needs gradients. */
export function record(
  output: Tensor,
  op: string,
  inputs: readonly Tensor[],
  backward: GradNode["backward"],
): Tensor {
  if (!engine.gradEnabled || !inputs.some((t) => t.requiresGrad)) return output;
  const node: GradNode = { op, inputs, backward };
  output.node = node;
  output.requiresGrad = true;
  return output;
}

/** Marks a tensor as a leaf whose gradient is wanted (parameters, α). */
export function requireGrad<T extends Tensor>(t: T): T {
  t.requiresGrad = true;
  return t;
}

/**
 * Back-propagates from `root` (a scalar loss, or any tensor with `seed` as its
 * upstream gradient; default all ones).
 */
export function backward(root: Tensor, seed?: Tensor): void {
  if (!root.requiresGrad) {
    throw new Error(`backward: ${root.describe()} does not depend on any tensor needing gradients`);
  }
  const order = topologicalOrder(root);
  // A gradient tensor may be handed to several inputs (∂(a+b) gives dy to both),
  // so each is reference-counted and copied before an in-place accumulation.
  const grads = new Map<Tensor, Tensor>();
  const refs = new Map<Tensor, number>();
  const hold = (g: Tensor) => refs.set(g, (refs.get(g) ?? 0) + 1);
  const drop = (g: Tensor) => {
    const n = (refs.get(g) ?? 1) - 1;
    if (n > 0) return refs.set(g, n);
    refs.delete(g);
    if (g !== seed && !g.persistent) g.dispose();
  };
  const start = seed ?? full(root.shape, 1, { name: "seed" });
  grads.set(root, start);
  hold(start);
  const prevMode = engine.gradEnabled;
  engine.gradEnabled = false; // backward kernels are not themselves recorded
  try {
    for (let i = order.length - 1; i >= 0; i--) {
      const t = order[i];
      const g = grads.get(t);
      if (!g) continue;
      grads.delete(t);
      if (!t.node) {
        accumulateLeaf(t, g);
        drop(g);
        continue;
      }
      const inputs = t.node.inputs;
      // A gradient this backward may add into in place: summed already, held by
      // nothing else, and for an input the op takes once.
      const into = inputs.map((input, k) => {
        const prev = grads.get(input);
        const owned = prev && refs.get(prev) === 1 && !prev.persistent && prev !== g;
        return owned && inputs.indexOf(input) === k && inputs.lastIndexOf(input) === k
          ? prev
          : undefined;
      });
      const inputGrads = t.node.backward(g, into);
      inputs.forEach((input, k) => {
        const gi = inputGrads[k];
        if (!gi || !input.requiresGrad) return;
        if (gi === into[k]) return; // added in place
        let prev = grads.get(input);
        if (!prev) {
          grads.set(input, gi);
          hold(gi);
          return;
        }
        if ((refs.get(prev) ?? 0) > 1 || prev === gi || prev.persistent) {
          const own = empty(prev.shape, { name: "grad" });
          copyInto(own, prev);
          drop(prev);
          grads.set(input, own);
          hold(own);
          prev = own;
        }
        accumulateInto(prev, gi);
        if (!refs.has(gi) && gi !== g && !gi.persistent) gi.dispose();
      });
      drop(g);
    }
  } finally {
    engine.gradEnabled = prevMode;
  }
}

function accumulateLeaf(leaf: Tensor, g: Tensor): void {
  if (!leaf.grad || leaf.grad.isDisposed) {
    leaf.grad = empty(leaf.shape, { name: `${leaf.name || "leaf"}.grad`, persistent: true });
    copyInto(leaf.grad, g);
  } else if (leaf.gradIsStale) {
    copyInto(leaf.grad, g);
  } else {
    accumulateInto(leaf.grad, g);
  }
  leaf.gradIsStale = false;
}

function topologicalOrder(root: Tensor): Tensor[] {
  const order: Tensor[] = [];
  const visited = new Set<Tensor>();
  // Iterative DFS: networks of hundreds of ops would overflow a recursive walk less
  // often than not, but evolution builds deep graphs.
  const stack: [Tensor, number][] = [[root, 0]];
  visited.add(root);
  while (stack.length) {
    const top = stack[stack.length - 1];
    const [t, k] = top;
    const inputs = t.node?.inputs ?? [];
    if (k < inputs.length) {
      top[1]++;
      const next = inputs[k];
      if (next.requiresGrad && !visited.has(next)) {
        visited.add(next);
        stack.push([next, 0]);
      }
    } else {
      stack.pop();
      order.push(t);
    }
  }
  return order;
}
