/**
 * The candidates of one searchable layer of a cell space (a learned search_space.json
 * or a search_space.config): its cells in the layer's shape, best first, and the zero
 * block where the layer may be skipped.
 */
import type { LayerShape } from "./backbone.ts";
import { allowsZero } from "./baseline_space.ts";
import type { Cell } from "./cell.ts";
import type { BlockSpec } from "./network_spec.ts";

/** `cells` as blocks of `shape`, plus the zero block where allowed and `includeZero`. */
export function cellCandidates(
  shape: LayerShape,
  cells: readonly Cell[],
  includeZero: boolean,
): BlockSpec[] {
  const blocks: BlockSpec[] = cells.map((cell) => ({
    type: "cell",
    cin: shape.cin,
    cout: shape.cout,
    stride: shape.stride,
    cell,
  }));
  if (includeZero && allowsZero(shape)) {
    blocks.push({ type: "zero", cin: shape.cin, cout: shape.cout, stride: shape.stride });
  }
  return blocks;
}
