/**
 * What a set of cells is like, layer by layer: the figures that tell a learned space
 * from the population it started from and from a null run's space (`deno task
 * compare-spaces --figures`). Per searchable layer, over its cells:
 *
 * - the op mix: the share of each edge op among the live edges (dead edges compute
 *   nothing), and the live edges per cell;
 * - the ratio mix: the share of each expansion ratio;
 * - product nodes: the share of aggregating nodes (inner nodes with two or more live
 *   inputs) that multiply their inputs instead of adding them, and the aggregating
 *   nodes per cell (compare-spaces' aggregation mix counts both aggregation genes of
 *   every cell instead, an unused one as add);
 * - MAdds per cell, and per cell as a multiple of the reference cell's MAdds in that
 *   layer (the inverted residual block, Eq. 2's reference), which compares layers of
 *   different widths and resolutions;
 * - depth: the most convolutions on a path from the cell's input to its output
 *   (`cellDepth`, 0–3 inner convs).
 *
 * The figures of a space are the means of its layers' figures.
 */
import type { Cell } from "./cell.ts";
import { REFERENCE_CELL } from "./cell.ts";
import { cellDepth, cellPlan, liveEdges } from "./cell_graph.ts";
import { cellMAdds } from "./counting.ts";
import { EDGE_OP_SHORT, EDGE_OPS, type EdgeOp, RATIOS } from "./ops.ts";
import type { SearchSpaceFile } from "./search_space_file.ts";

/** Edge ops a live edge can carry (every op but zero), in `EDGE_OPS` order. */
export const LIVE_EDGE_OPS: readonly EdgeOp[] = EDGE_OPS.filter((op) => op !== "zero");

/** One layer's figures, or a space's (the means of its layers'). */
export interface CellFigures {
  /** Cells counted (in a space's figures: per layer, the mean). */
  readonly cells: number;
  /** Share of each op among the live edges (`LIVE_EDGE_OPS` order). */
  readonly opShares: number[];
  readonly liveEdgesPerCell: number;
  /** Share of each expansion ratio (`RATIOS` order). */
  readonly ratioShares: number[];
  /** Share of the aggregating nodes that multiply (0 when no node aggregates). */
  readonly productShare: number;
  readonly aggregatingNodesPerCell: number;
  readonly maddsPerCell: number;
  /** Mean over cells of MAdds / the reference cell's MAdds in the layer. */
  readonly maddsVsReference: number;
  /** Mean `cellDepth`. */
  readonly depth: number;
}

/** A space's figures: per layer, and their means. */
export interface SpaceFigures {
  readonly layers: (CellFigures & { readonly layer: number })[];
  readonly mean: CellFigures;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
const shareOf = <T>(values: readonly T[], categories: readonly T[]) =>
  categories.map((c) => values.filter((v) => v === c).length / Math.max(1, values.length));

/** The figures of `cells` in one layer (`cin` → `cout`, `stride`, on `inputSize`²). */
export function cellFigures(
  cells: readonly Cell[],
  shape: { cin: number; cout: number; stride: number; inputSize: number },
): CellFigures {
  if (cells.length === 0) throw new RangeError("cellFigures: no cells");
  const { cin, cout, stride, inputSize } = shape;
  const madds = (cell: Cell) => cellMAdds(cell, cin, cout, stride, inputSize, inputSize);
  const reference = madds(REFERENCE_CELL);
  const liveOps = cells.flatMap((cell) => {
    const live = liveEdges(cell);
    return cell.edges.filter((_, index) => live[index]);
  });
  const aggregations = cells.flatMap((cell) =>
    cellPlan(cell).nodes.flatMap((node) => (node.aggregation ? [node.aggregation] : []))
  );
  return {
    cells: cells.length,
    opShares: shareOf(liveOps, LIVE_EDGE_OPS),
    liveEdgesPerCell: liveOps.length / cells.length,
    ratioShares: shareOf(cells.map((c) => c.ratio), RATIOS),
    productShare: aggregations.filter((a) => a === "product").length /
      Math.max(1, aggregations.length),
    aggregatingNodesPerCell: aggregations.length / cells.length,
    maddsPerCell: mean(cells.map(madds)),
    maddsVsReference: mean(cells.map((cell) => madds(cell) / reference)),
    depth: mean(cells.map(cellDepth)),
  };
}

/** The means of several figures, share by share. */
function meanFigures(figures: readonly CellFigures[]): CellFigures {
  const pick = (f: (x: CellFigures) => number) => mean(figures.map(f));
  const shares = (f: (x: CellFigures) => number[]) =>
    f(figures[0]).map((_, k) => mean(figures.map((x) => f(x)[k])));
  return {
    cells: pick((x) => x.cells),
    opShares: shares((x) => x.opShares),
    liveEdgesPerCell: pick((x) => x.liveEdgesPerCell),
    ratioShares: shares((x) => x.ratioShares),
    productShare: pick((x) => x.productShare),
    aggregatingNodesPerCell: pick((x) => x.aggregatingNodesPerCell),
    maddsPerCell: pick((x) => x.maddsPerCell),
    maddsVsReference: pick((x) => x.maddsVsReference),
    depth: pick((x) => x.depth),
  };
}

/** A learned (or initial, or null) space's figures, layer by layer and on average. */
export function spaceFigures(space: SearchSpaceFile): SpaceFigures {
  if (space.layers.length === 0) throw new RangeError("spaceFigures: the space has no layers");
  const layers = space.layers.map((l) => ({
    layer: l.layer,
    ...cellFigures(l.cells.map((c) => c.cell), l),
  }));
  return { layers, mean: meanFigures(layers) };
}

/** One row per space (its layers' means), as a markdown table. */
export function spaceFiguresMarkdown(
  rows: readonly { readonly name: string; readonly figures: SpaceFigures }[],
): string {
  const pct = (shares: readonly number[]) => shares.map((v) => Math.round(100 * v)).join("/");
  const f2 = (v: number) => v.toFixed(2);
  return [
    "| space | cells a layer | op mix of live edges (" +
    `${LIVE_EDGE_OPS.map((op) => EDGE_OP_SHORT[op]).join("/")}) % | live edges a cell | ` +
    `ratios (${RATIOS.join("/")}) % | product nodes | aggregating nodes a cell | ` +
    "MAdds a cell | × reference cell | depth (convs) |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map(({ name, figures: { mean: m } }) =>
      `| ${name} | ${m.cells.toFixed(1)} | ${pct(m.opShares)} | ${f2(m.liveEdgesPerCell)} | ` +
      `${pct(m.ratioShares)} | ${Math.round(100 * m.productShare)}% | ` +
      `${f2(m.aggregatingNodesPerCell)} | ${(m.maddsPerCell / 1e6).toFixed(3)}M | ` +
      `${f2(m.maddsVsReference)} | ${f2(m.depth)} |`
    ),
  ].join("\n");
}
