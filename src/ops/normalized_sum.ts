/**
 * Σ_t term_t with autograd, where a term is a tensor as it is or act(bn(x)) given by
 * its batch norm's channel records (`bnChannelRecords`): the same values and gradients
 * as `add` over `batchNormAct` outputs, without writing the normalised terms. A cell
 * node that adds its edges' outputs and a block's projection plus its residual both
 * take this form. Gradients: dy to each plain term; `bnActBackward` with dy to each
 * normalised one (its x, γ and β).
 */
import { ELEMENTWISE_WG, grid1D } from "../../kernels/common.ts";
import { normalizedSumWgsl, type SumTermKind } from "../../kernels/normalized_sum.ts";
import { BN_RUN, bnElementwiseUnits } from "../../kernels/batch_norm.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import { shapeStr, type Tensor } from "../tensor/tensor.ts";
import { bnActBackward, type BnActivation, type BnChannels } from "./batch_norm.ts";
import { kernelVariant } from "./reduce.ts";

/** A term of `normalizedSum`: x as it is, or act(bn(x)) with the batch norm's records. */
export interface SumTerm {
  x: Tensor;
  norm?: { gamma: Tensor; beta: Tensor; records: BnChannels; act: BnActivation };
}

/** Σ terms (at least two, all [N, C, H, W] of one shape). */
export function normalizedSum(terms: readonly SumTerm[]): Tensor {
  if (terms.length < 2) {
    throw new Error(`normalizedSum: needs 2 or more terms, got ${terms.length}`);
  }
  const shape = terms[0].x.shape;
  if (shape.length !== 4) {
    throw new Error(`normalizedSum: terms must be [N,C,H,W], got ${shapeStr(shape)}`);
  }
  for (const t of terms) {
    if (t.x.shape.some((d, i) => d !== shape[i]) || t.x.shape.length !== 4) {
      throw new Error(
        `normalizedSum: terms of different shapes ${shapeStr(shape)} and ${shapeStr(t.x.shape)}`,
      );
    }
  }
  const [, c, h, w] = shape;
  const hw = h * w;
  const size = terms[0].x.size;
  const kinds: SumTermKind[] = terms.map((t) => t.norm?.act ?? null);
  const run = BN_RUN[kernelVariant()];
  const grid = grid1D(bnElementwiseUnits(size, hw, run).invocations, ELEMENTWISE_WG);
  const gpu = engine.gpu;
  const k = gpu.kernel(
    `normalized_sum:${kinds.map((t) => t ?? "x").join("+")}:${shape}:${run}`,
    () => normalizedSumWgsl(kinds, size, c, hw, grid, ELEMENTWISE_WG, run),
  );
  const y = empty(shape, { name: "sum" });
  gpu.dispatch(
    k,
    [
      ...terms.flatMap((t) => [t.x.buffer, ...(t.norm ? [t.norm.records.chan.buffer] : [])]),
      y.buffer,
    ],
    grid.groups,
    `normalizedSum ${kinds.map((t) => t ?? "x").join("+")} ${terms[0].x.describe()}`,
  );
  const inputs = terms.flatMap((t) => t.norm ? [t.x, t.norm.gamma, t.norm.beta] : [t.x]);
  return record(y, "normalizedSum", inputs, (dy) =>
    terms.flatMap((t) => {
      if (!t.norm) return [dy];
      if (!t.x.requiresGrad && !t.norm.gamma.requiresGrad && !t.norm.beta.requiresGrad) {
        return [null, null, null];
      }
      const { gamma, beta, records, act } = t.norm;
      return bnActBackward(t.x, gamma, beta, records, act, dy);
    }));
}
