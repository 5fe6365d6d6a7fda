/**
 * The hard cost cap of a search (`--madds-max`): the cheapest network a space allows
 * (a cap below it is an error before any training), and the repair that brings a
 * derived network under the cap when its argmax path is too expensive.
 *
 * Repair, given the logits α: from the argmax path, repeatedly take the single-layer
 * switch to a cheaper candidate that gives up the least preference per unit of cost
 * saved (Δα / Δcost; log p differs from α by a per-layer constant, so Δα = Δlog p),
 * until the path fits; then, layer by layer, move up to the most preferred candidate
 * that still fits, until nothing changes. Choosing the best path under a budget is a
 * multiple-choice knapsack (NP-hard in general); this greedy always ends under the cap
 * when the cheapest path fits, because every switch lowers the cost and the cheapest
 * path is where the switches end.
 */
import type { Rng } from "../util/rng.ts";
import { checkPath, type CostModel, type Logits, type Path, pathCost } from "./expected_cost.ts";

/** The cheapest path of a cost model (the first cheapest candidate of each layer). */
export function cheapestPath(model: CostModel): { path: number[]; cost: number } {
  const path = model.perLayer.map((costs) => costs.indexOf(Math.min(...costs)));
  return { path, cost: pathCost(model, path) };
}

/** Thrown when a cost cap is below the cheapest network of the space. */
export class CostCapError extends Error {
  constructor(
    readonly cap: number,
    readonly cheapest: number,
    formatCost: (cost: number) => string = String,
  ) {
    super(
      `the cost cap ${formatCost(cap)} is below the cheapest network of this space ` +
        `(${formatCost(cheapest)}); raise the cap to at least ${formatCost(cheapest)}`,
    );
    this.name = "CostCapError";
  }
}

/**
 * Throws a `CostCapError` (one line, costs written with `formatCost`) when no path of
 * the space fits under `maxCost`; returns the cheapest path otherwise. Call it before
 * any training.
 */
export function requireReachableCap(
  model: CostModel,
  maxCost: number,
  formatCost: (cost: number) => string = String,
): { path: number[]; cost: number } {
  if (!(maxCost > 0)) throw new RangeError(`the cost cap must be > 0, got ${maxCost}`);
  const cheapest = cheapestPath(model);
  if (cheapest.cost > maxCost) throw new CostCapError(maxCost, cheapest.cost, formatCost);
  return cheapest;
}

/** A path fitted under a cap, and the layers where it differs from the one given. */
export interface FittedPath {
  path: number[];
  cost: number;
  /** Layers whose candidate the repair changed (empty when `path` already fitted). */
  changedLayers: number[];
}

/**
 * Returns `path` when it costs ≤ `maxCost`, else the repaired path described in the
 * module comment, guided by `alphas` (the logits the path was derived from).
 * Throws a `CostCapError` when even the cheapest path is over the cap.
 */
export function fitUnderCap(
  model: CostModel,
  path: Path,
  maxCost: number,
  alphas: Logits,
): FittedPath {
  const choices = model.perLayer.map((c) => c.length);
  checkPath(choices, path, "fitUnderCap");
  if (alphas.length !== choices.length || alphas.some((a, l) => a.length !== choices[l])) {
    throw new RangeError("fitUnderCap: the logits do not have the cost model's shape");
  }
  const cost = pathCost(model, path);
  if (cost <= maxCost) return { path: [...path], cost, changedLayers: [] };
  requireReachableCap(model, maxCost);
  const fitted = [...path];
  const c = model.perLayer;
  // Costs are re-summed in one order (pathCost) so that "fits" means what the caller checks.
  while (pathCost(model, fitted) > maxCost) {
    let best: { layer: number; to: number; ratio: number } | null = null;
    for (let l = 0; l < c.length; l++) {
      const from = fitted[l];
      for (let j = 0; j < c[l].length; j++) {
        const saved = c[l][from] - c[l][j];
        if (!(saved > 0)) continue;
        const ratio = (alphas[l][from] - alphas[l][j]) / saved;
        if (best === null || ratio < best.ratio) best = { layer: l, to: j, ratio };
      }
    }
    // Unreachable while the cheapest path fits (checked above): some layer can go cheaper.
    if (best === null) throw new Error("fitUnderCap: no cheaper switch left over the cap");
    fitted[best.layer] = best.to;
  }
  // Spend what the greedy steps left under the cap on the most preferred candidates.
  for (let changed = true; changed;) {
    changed = false;
    for (let l = 0; l < c.length; l++) {
      for (let j = 0; j < c[l].length; j++) {
        const from = fitted[l];
        if (!(alphas[l][j] > alphas[l][from])) continue;
        fitted[l] = j;
        if (pathCost(model, fitted) <= maxCost) changed = true;
        else fitted[l] = from;
      }
    }
  }
  const changedLayers = fitted.flatMap((i, l) => (i === path[l] ? [] : [l]));
  return { path: fitted, cost: pathCost(model, fitted), changedLayers };
}

/**
 * A sampler of paths under the cap, uniform over the paths whose cost fits once each
 * layer's excess over its cheapest candidate is rounded up to a grid of `buckets`
 * steps across the slack (cap − cheapest path). Rounding up keeps every path it draws
 * under the cap (and always admits the cheapest path); it leaves out only paths within
 * about L grid steps of the cap. Where most paths are over the cap, drawing uniformly
 * and rejecting would take many draws per path; this takes one.
 *
 * count[l][b] = the number of ways to fill layers l.. with rounded excess ≤ b; a path
 * is drawn layer by layer, candidate i with probability count[l+1][b − e_li]/count[l][b].
 */
export function uniformPathSamplerUnderCap(
  model: CostModel,
  maxCost: number,
  buckets = 4096,
): (rng: Rng) => number[] {
  const cheapest = requireReachableCap(model, maxCost);
  const slack = maxCost - cheapest.cost;
  const layers = model.perLayer.length;
  const excess = model.perLayer.map((costs, l) =>
    costs.map((c) => {
      const e = c - costs[cheapest.path[l]];
      return e <= 0 ? 0 : slack === Infinity ? 0 : Math.ceil((e / slack) * buckets);
    })
  );
  const count = Array.from({ length: layers + 1 }, () => new Float64Array(buckets + 1));
  count[layers].fill(1);
  for (let l = layers - 1; l >= 0; l--) {
    for (let b = 0; b <= buckets; b++) {
      let n = 0;
      for (const e of excess[l]) if (e <= b) n += count[l + 1][b - e];
      count[l][b] = n;
    }
  }
  return (rng) => {
    let b = buckets;
    return excess.map((row, l) => {
      let u = rng.next() * count[l][b];
      let pick = -1;
      for (let i = 0; i < row.length; i++) {
        if (row[i] > b) continue;
        pick = i;
        u -= count[l + 1][b - row[i]];
        if (u < 0) break;
      }
      b -= row[pick];
      return pick;
    });
  };
}
