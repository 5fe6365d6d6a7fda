/**
 * Sizes of search spaces: log10 of the number of networks (the paper's Table 1).
 *
 * A space with |S^l| candidates in layer l holds Π_l |S^l| networks. The open space
 * has 5^6 × 3 × 2 = 93,750 raw cells per layer (§4.3), so 21 layers give
 * log10(93,750^21) = 104.41; the paper's Table 1 prints 104.37, which is
 * 21 × 4.97, i.e. log10(93,750) rounded to two decimals before multiplying.
 * ProxylessNAS's row (17.74) is 21 × log10(7) = 17.75 truncated the same way;
 * the exact baseline count drops the zero op where a layer cannot be skipped.
 */
import type { Backbone } from "./backbone.ts";
import { searchableLayers } from "./backbone.ts";
import { EDGES } from "./cell.ts";
import { AGGREGATIONS, OPEN_SPACE_OPS, RATIOS } from "./ops.ts";
import type { SearchSpaceSpec } from "./search_space_spec.ts";

/** Raw cells per layer in the paper's count: 5^6 ops × 3 ratios × 2 aggregations = 93,750. */
export const PAPER_RAW_CELLS = OPEN_SPACE_OPS.length ** EDGES.length * RATIOS.length *
  AGGREGATIONS.length;

/** Raw cells per layer with independent aggregations at nodes 2 and 3 = 187,500. */
export const PER_NODE_RAW_CELLS = PAPER_RAW_CELLS * AGGREGATIONS.length;

/** log10 of the number of networks of a space (Σ_l log10 |S^l|). */
export function log10SpaceSize(space: SearchSpaceSpec): number {
  return space.layers.reduce((sum, layer) => sum + Math.log10(layer.candidates.length), 0);
}

/** log10 of the number of networks when each of `layers` layers has `perLayer` choices. */
export function log10UniformSpace(layers: number, perLayer: number): number {
  return layers * Math.log10(perLayer);
}

/** log10 of the open space on a backbone: `perLayer` cells in every searchable layer. */
export function log10OpenSpace(backbone: Backbone, perLayer = PAPER_RAW_CELLS): number {
  return log10UniformSpace(searchableLayers(backbone).length, perLayer);
}
