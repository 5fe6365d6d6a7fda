/**
 * The cost tables of a search space: per searchable layer (one with more than one
 * candidate), the MAdds and the conv+linear weights of each candidate at the space's
 * input size, plus what every network pays (stem, fixed layers, head). MAdds feed
 * Eq. 6 and the cap; another cost (a measured latency table) has the same shape.
 */
import { countNetwork, countSearchSpace } from "../space/counting.ts";
import { networkFromChoices, type SearchSpaceSpec } from "../space/search_space_spec.ts";
import type { CostModel } from "./expected_cost.ts";

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
 * The cost that Eq. 6's term and the hard cap act on. MAdds today (`maddsCost`); a
 * measured latency table has the same shape and plugs in here.
 */
export interface SearchCost {
  /** What is counted, for messages ("MAdds"). */
  readonly name: string;
  readonly model: CostModel;
  /** Cost per unit of `--lambda` (1e6: λ is per million MAdds). */
  readonly lambdaUnit: number;
  /** The hard cap on the found network (Infinity for none). */
  readonly max: number;
}

/** MAdds as the search's cost, capped at `max` (null: no cap). */
export function maddsCost(costs: SpaceCosts, max: number | null): SearchCost {
  return { name: "MAdds", model: costs.madds, lambdaUnit: 1e6, max: max ?? Infinity };
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
