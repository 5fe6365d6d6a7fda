/**
 * The cost tables of a search space: per searchable layer (one with more than one
 * candidate), the MAdds and the conv+linear weights of each candidate at the space's
 * input size, plus what every network pays (stem, fixed layers, head). MAdds feed
 * Eq. 6 and the cap; another cost (a measured latency table) has the same shape.
 */
import { countNetwork, countSearchSpace } from "../space/counting.ts";
import { networkFromChoices, type SearchSpaceSpec } from "../space/search_space_spec.ts";
import { type LatencyTable, tableOnLayers } from "../latency/table.ts";
import { formatMAdds } from "../space/counting.ts";
import { type CostModel, validateCostModel } from "./expected_cost.ts";

/** A space's searchable layers and their cost models. */
export interface SpaceCosts {
  /** Indices of the searchable layers in `space.layers`, in order. */
  readonly searchable: readonly number[];
  /** Candidates per searchable layer. */
  readonly choices: readonly number[];
  readonly madds: CostModel;
  /** Conv and linear weights (the papers' "params"). */
  readonly params: CostModel;
}

/** Counts every candidate of `space` (see the module comment). */
export function spaceCosts(space: SearchSpaceSpec): SpaceCosts {
  const searchable = space.layers.flatMap((layer, i) => (layer.candidates.length > 1 ? [i] : []));
  const counted = countSearchSpace(space);
  const table = (pick: (cost: { madds: number; weights: number }) => number) =>
    searchable.map((i) => counted[i].candidates.map(({ cost }) => pick(cost)));
  const madds = table((c) => c.madds);
  const params = table((c) => c.weights);
  // The fixed part: a whole network's count minus its searchable layers' share.
  const first = countNetwork(networkFromChoices(space, space.layers.map(() => 0))).total;
  const fixedMAdds = first.madds - madds.reduce((s, costs) => s + costs[0], 0);
  const fixedParams = first.weights - params.reduce((s, costs) => s + costs[0], 0);
  return {
    searchable,
    choices: madds.map((costs) => costs.length),
    madds: { perLayer: madds, fixed: fixedMAdds },
    params: { perLayer: params, fixed: fixedParams },
  };
}

/**
 * The cost that Eq. 6's term and the hard cap act on: MAdds (`maddsCost`) or the
 * latency table measured on this adapter (`latencyCost`), both per searchable layer
 * and candidate, so E[cost] under p = softmax(α) and the cap work the same for both.
 */
export interface SearchCost {
  /** What is counted, for messages and outputs ("MAdds", "latency"). */
  readonly name: "MAdds" | "latency";
  /** A cost as text with its unit ("3.2M MAdds", "1.84 ms"). */
  readonly format: (cost: number) => string;
  readonly model: CostModel;
  /** Cost per unit of `--lambda` (1e6: λ is per million MAdds). */
  readonly lambdaUnit: number;
  /** The hard cap on the found network (Infinity for none). */
  readonly max: number;
  /** The floor under the found network (`--madds-min`; 0 for none). */
  readonly min: number;
}

/** MAdds as the search's cost, capped at `max` and floored at `min` (null: none). */
export function maddsCost(
  costs: SpaceCosts,
  max: number | null,
  min: number | null = null,
): SearchCost {
  return {
    name: "MAdds",
    format: (cost) => `${formatMAdds(cost)} MAdds`,
    model: costs.madds,
    lambdaUnit: 1e6,
    max: max ?? Infinity,
    min: min ?? 0,
  };
}

/** Milliseconds as the search writes them. */
export function formatMs(ms: number): string {
  return `${ms.toFixed(ms < 10 ? 3 : 1)} ms`;
}

/**
 * The latency table of the space (src/latency/, laid on every layer) as the search's
 * cost over its searchable layers, λ per millisecond, capped at `maxMs` (null: no cap).
 */
export function latencyCost(
  costs: SpaceCosts,
  table: Pick<LatencyTable, "fixed" | "perLayer">,
  maxMs: number | null,
): SearchCost {
  const model = tableOnLayers(table, costs.searchable);
  const shape = model.perLayer.map((row) => row.length);
  if (shape.join() !== costs.choices.join()) {
    throw new RangeError(
      `latency table: candidates per searchable layer ${shape.join(",")} do not match the ` +
        `space's ${costs.choices.join(",")}`,
    );
  }
  validateCostModel(model);
  return {
    name: "latency",
    format: formatMs,
    model,
    lambdaUnit: 1,
    max: maxMs ?? Infinity,
    min: 0,
  };
}

/** The choice of every layer of the space (fixed layers 0) for a path over the searchable ones. */
export function fullChoices(
  space: SearchSpaceSpec,
  costs: SpaceCosts,
  path: readonly number[],
): number[] {
  const choices = space.layers.map(() => 0);
  costs.searchable.forEach((layer, l) => choices[layer] = path[l]);
  return choices;
}
