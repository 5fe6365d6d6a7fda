/** Fully connected layer y = x·wᵀ + b with x [N, I], w [O, I], b [O], y [N, O]. */
import { assertRank, assertShape, type HostTensor, hostTensor } from "./host_tensor.ts";

/** y[n, o] = Σ_i x[n, i]·w[o, i] + b[o]; `b` may be omitted for no bias. */
export function linear(x: HostTensor, w: HostTensor, b?: HostTensor): HostTensor {
  const [n, inF] = assertRank(x, 2, "linear: x");
  const [outF] = assertRank(w, 2, "linear: w");
  assertShape(w, [outF, inF], "linear: w");
  if (b !== undefined) assertShape(b, [outF], "linear: b");
  const y = hostTensor([n, outF]);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outF; o++) {
      let acc = b === undefined ? 0 : b.data[o];
      for (let i = 0; i < inF; i++) acc += x.data[r * inF + i] * w.data[o * inF + i];
      y.data[r * outF + o] = acc;
    }
  }
  return y;
}

/** dx = dy·w, dw = dyᵀ·x, db = Σ_n dy (db is returned whether or not a bias was used). */
export function linearBackward(
  x: HostTensor,
  w: HostTensor,
  dy: HostTensor,
): { dx: HostTensor; dw: HostTensor; db: HostTensor } {
  const [n, inF] = assertRank(x, 2, "linearBackward: x");
  const [outF] = assertRank(w, 2, "linearBackward: w");
  assertShape(w, [outF, inF], "linearBackward: w");
  assertShape(dy, [n, outF], "linearBackward: dy");
  const dx = hostTensor([n, inF]);
  const dw = hostTensor([outF, inF]);
  const db = hostTensor([outF]);
  for (let r = 0; r < n; r++) {
    for (let o = 0; o < outF; o++) {
      const g = dy.data[r * outF + o];
      db.data[o] += g;
      for (let i = 0; i < inF; i++) {
        dx.data[r * inF + i] += g * w.data[o * inF + i];
        dw.data[o * inF + i] += g * x.data[r * inF + i];
      }
    }
  }
  return { dx, dw, db };
}
