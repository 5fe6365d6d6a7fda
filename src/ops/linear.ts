/** Fully connected layer with autograd: y = x·wᵀ + b, x [N, I], w [O, I], b [O]. */
import { grid1D } from "../../kernels/common.ts";
import { gemmInvocations, type GemmShape, gemmWgsl } from "../../kernels/linear.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { readF32, runReduction, writeF32 } from "./reduce.ts";

const WG = 64;

/** Records C = op(A)·op(B) (+ bias) into a new [m, n] tensor. */
function gemm(s: GemmShape, a: Tensor, b: Tensor, bias: Tensor | null, name: string): Tensor {
  const gpu = engine.gpu;
  const c = empty([s.m, s.n], { name });
  const grid = grid1D(gemmInvocations(s), WG);
  const key = `gemm:${s.m},${s.n},${s.k}:${s.aTransposed ? "T" : "N"}${s.bTransposed ? "T" : "N"}` +
    `:${s.bias ? "b" : "-"}`;
  const k = gpu.kernel(key, () => gemmWgsl(s, grid, WG));
  const buffers = bias
    ? [a.buffer, b.buffer, bias.buffer, c.buffer]
    : [a.buffer, b.buffer, c.buffer];
  gpu.dispatch(k, buffers, grid.groups, `${name} ${a.describe()} ${b.describe()}`);
  return c;
}

function validate(x: Tensor, w: Tensor, b: Tensor | null): [number, number, number] {
  const shapes = `x ${x.describe()}, w ${w.describe()}${b ? `, b ${b.describe()}` : ""}`;
  if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[1]) {
    throw new Error(`linear: x must be [N,I] and w [O,I] with the same I (${shapes})`);
  }
  if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[0])) {
    throw new Error(`linear: b must be [O] = [${w.shape[0]}] (${shapes})`);
  }
  for (const t of [x, w, b]) {
    if (t && t.dtype !== "f32") {
      throw new Error(`linear: ${t.describe()} has dtype ${t.dtype}; need f32`);
    }
  }
  if (x.size === 0 || w.size === 0) throw new Error(`linear: empty operand (${shapes})`);
  return [x.shape[0], x.shape[1], w.shape[0]];
}

/** y [N, O] = x·wᵀ + b (b may be null). Backward: dx = dy·w, dw = dyᵀ·x, db = Σ_n dy. */
export function linear(x: Tensor, w: Tensor, b: Tensor | null): Tensor {
  const [n, inF, outF] = validate(x, w, b);
  const y = gemm(
    { m: n, n: outF, k: inF, aTransposed: false, bTransposed: true, bias: b !== null },
    x,
    w,
    b,
    "linear",
  );
  const inputs = b ? [x, w, b] : [x, w];
  return record(y, "linear", inputs, (dy) => {
    const dx = x.requiresGrad
      ? gemm(
        { m: n, n: inF, k: outF, aTransposed: false, bTransposed: false, bias: false },
        dy,
        w,
        null,
        "linear.dx",
      )
      : null;
    const dw = w.requiresGrad
      ? gemm(
        { m: outF, n: inF, k: n, aTransposed: true, bTransposed: false, bias: false },
        dy,
        x,
        null,
        "linear.dw",
      )
      : null;
    let db: Tensor | null = null;
    if (b?.requiresGrad) {
      db = empty([outF], { name: "linear.db" });
      runReduction({
        key: "linear_db",
        layout: { rows: outF, items: n, segLen: 1, rowStride: 1, segStride: outF },
        inputs: [readF32("dy", dy)],
        terms: ["dy[i]"],
        outputs: [writeF32("db", db)],
        finalize: "db[r] = s0;",
        label: `linear db ${dy.describe()}`,
      });
    }
    return b ? [dx, dw, db] : [dx, dw];
  });
}
