/**
 * The cost term of the search loss (paper Eq. 6): Loss = CE + λ·Cost(N), where Cost(N)
 * is the expected cost of the network under the architecture distribution, one
 * independent p_l = softmax(α_l) per searchable layer (as in ProxylessNAS):
 *
 *   E[Cost] = fixed + Σ_l Σ_i p_li · c_li
 *   ∂E/∂α_li = p_li · (c_li − Σ_j p_lj · c_lj)
 *
 * (the softmax Jacobian p_li(δ_ij − p_lj) contracted with c_lj). E is exactly the mean
 * cost of a path sampled from p, so it is differentiable in α where the cost of the
 * argmax network is not. The cost is generic: MAdds, or the latency measured on this
 * adapter (`--cost latency`); `fixed` is the part every network pays (stem, head,
 * classifier).
 */
import { softmax } from "../supernet/gates.ts";

/** Per searchable layer, the cost of each candidate (candidate order = α order). */
export type CostTable = readonly (readonly number[])[];

/** Everything Eq. 6's cost term needs. */
export interface CostModel {
  /** c_li: per searchable layer, per candidate. */
  readonly perLayer: CostTable;
  /** The cost outside the searchable layers (stem, head); paid by every path. */
  readonly fixed: number;
}

/** Architecture logits α: per searchable layer, one per candidate. */
export type Logits = readonly (readonly number[])[];

/** A network in the space: per searchable layer, the index of its candidate. */
export type Path = readonly number[];

/** E[Cost] and ∂E/∂α (same layout as α). */
export interface ExpectedCost {
  value: number;
  gradient: number[][];
}

/**
 * Checks that a cost model is usable: at least one layer, at least one candidate a
 * layer, and every cost finite and ≥ 0. Throws a RangeError naming the bad entry.
 */
export function validateCostModel(model: CostModel): void {
  if (!(Number.isFinite(model.fixed) && model.fixed >= 0)) {
    throw new RangeError(`cost model: the fixed cost must be finite and >= 0, got ${model.fixed}`);
  }
  if (model.perLayer.length === 0) throw new RangeError("cost model: no searchable layers");
  model.perLayer.forEach((costs, l) => {
    if (costs.length === 0) throw new RangeError(`cost model: layer ${l} has no candidates`);
    costs.forEach((c, i) => {
      if (!(Number.isFinite(c) && c >= 0)) {
        throw new RangeError(`cost model: layer ${l} candidate ${i} costs ${c}; need >= 0`);
      }
    });
  });
}

function checkLogitsShape(model: CostModel, alphas: Logits, where: string): void {
  if (alphas.length !== model.perLayer.length) {
    throw new RangeError(
      `${where}: ${alphas.length} layers of logits for ${model.perLayer.length} cost layers`,
    );
  }
  alphas.forEach((a, l) => {
    if (a.length !== model.perLayer[l].length) {
      throw new RangeError(
        `${where}: layer ${l} has ${a.length} logits for ${model.perLayer[l].length} candidates`,
      );
    }
  });
}

/** Eq. 6's Cost(N) = E_{p=softmax(α)}[cost] and its gradient with respect to α. */
export function expectedCost(model: CostModel, alphas: Logits): ExpectedCost {
  checkLogitsShape(model, alphas, "expectedCost");
  let value = model.fixed;
  const gradient = alphas.map((a, l) => {
    const p = softmax(a);
    const c = model.perLayer[l];
    let layerMean = 0;
    for (let i = 0; i < p.length; i++) layerMean += p[i] * c[i];
    value += layerMean;
    return Array.from(p, (pi, i) => pi * (c[i] - layerMean));
  });
  return { value, gradient };
}

/** The cost of one path: fixed + Σ_l c_l,path[l]. */
export function pathCost(model: CostModel, path: Path): number {
  checkPath(model.perLayer.map((c) => c.length), path, "pathCost");
  let cost = model.fixed;
  path.forEach((i, l) => cost += model.perLayer[l][i]);
  return cost;
}

/** The derived network: per layer the candidate of largest α (the lowest index on ties). */
export function derivedPath(alphas: Logits): number[] {
  return alphas.map((a) => {
    let best = 0;
    for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
    return best;
  });
}

/** Throws unless `path` picks one valid candidate for each of `choices.length` layers. */
export function checkPath(choices: readonly number[], path: Path, where = "path"): void {
  if (path.length !== choices.length) {
    throw new RangeError(`${where}: ${path.length} layers chosen for ${choices.length} layers`);
  }
  path.forEach((i, l) => {
    if (!(Number.isInteger(i) && i >= 0 && i < choices[l])) {
      throw new RangeError(`${where}: layer ${l} chooses ${i}, not in 0..${choices[l] - 1}`);
    }
  });
}
