/**
 * How alike several learned search spaces are — the stability of what `deno task evolve`
 * learns across seeds or settings. Per searchable layer:
 *
 * - cells shared: cells (by canonical id, so equivalent DAGs count as one) present in
 *   every space, and the mean pairwise Jaccard overlap |A ∩ B| / |A ∪ B| of the cell sets;
 * - coarser, the distributions of edge ops, ratios and aggregations over each space's
 *   cells, compared by the mean pairwise total-variation distance (0: the same
 *   distribution, 1: disjoint), so two spaces of different cells with the same taste
 *   (say, identity-heavy ratio-6 cells) read as alike.
 */
import type { SearchSpaceFile } from "./search_space_file.ts";
import { AGGREGATIONS, EDGE_OPS, RATIOS } from "./ops.ts";

/** One layer's comparison. */
export interface LayerOverlap {
  readonly layer: number;
  /** Cells per space in this layer. */
  readonly cells: number[];
  /** Cells present in every space. */
  readonly sharedByAll: number;
  /** Mean pairwise Jaccard overlap of the cell sets. */
  readonly jaccard: number;
  /** Mean pairwise total-variation distance of the edge-op, ratio and aggregation mixes. */
  readonly opDistance: number;
  readonly ratioDistance: number;
  readonly aggregationDistance: number;
  /** Per space: the share of each edge op over its cells' edges (EDGE_OPS order). */
  readonly opShares: number[][];
  /** Per space: the share of each aggregation over its cells' nodes (AGGREGATIONS order). */
  readonly aggregationShares: number[][];
}

/** The comparison of two or more spaces. */
export interface SpaceOverlap {
  readonly layers: LayerOverlap[];
  /** Means over layers. */
  readonly mean: {
    readonly sharedFraction: number;
    readonly jaccard: number;
    readonly opDistance: number;
    readonly ratioDistance: number;
    readonly aggregationDistance: number;
  };
}

function shares<T>(values: readonly T[], categories: readonly T[]): number[] {
  return categories.map((c) => values.filter((v) => v === c).length / Math.max(1, values.length));
}

function totalVariation(a: readonly number[], b: readonly number[]): number {
  return a.reduce((s, v, i) => s + Math.abs(v - b[i]), 0) / 2;
}

/** Mean of f over every unordered pair of items. */
function meanOverPairs<T>(items: readonly T[], f: (a: T, b: T) => number): number {
  let sum = 0;
  let pairs = 0;
  for (let i = 0; i < items.length; i++) {
    for (let j = i + 1; j < items.length; j++) {
      sum += f(items[i], items[j]);
      pairs++;
    }
  }
  return sum / pairs;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Compares spaces learned over the same backbone (the same searchable layers). */
export function compareSpaces(spaces: readonly SearchSpaceFile[]): SpaceOverlap {
  if (spaces.length < 2) throw new RangeError("compareSpaces: give at least two spaces");
  const layerIds = spaces[0].layers.map((l) => l.layer);
  spaces.forEach((s, i) => {
    const ids = s.layers.map((l) => l.layer);
    if (ids.join() !== layerIds.join()) {
      throw new RangeError(
        `space ${i + 1} has searchable layers ${ids.join(",")}, space 1 ${layerIds.join(",")}: ` +
          `compare spaces learned on the same backbone`,
      );
    }
  });
  const layers = layerIds.map((layer, li) => {
    const cellsOf = spaces.map((s) => s.layers[li].cells);
    const idSets = cellsOf.map((cells) => new Set(cells.map((c) => c.id)));
    const sharedByAll = [...idSets[0]].filter((id) => idSets.every((set) => set.has(id))).length;
    const jaccard = meanOverPairs(idSets, (a, b) => {
      const inter = [...a].filter((id) => b.has(id)).length;
      return inter / (a.size + b.size - inter);
    });
    const opShares = cellsOf.map((cells) => shares(cells.flatMap((c) => c.cell.edges), EDGE_OPS));
    const ratioShares = cellsOf.map((cells) => shares(cells.map((c) => c.cell.ratio), RATIOS));
    const aggShares = cellsOf.map((cells) =>
      shares(cells.flatMap((c) => c.cell.aggregation), AGGREGATIONS)
    );
    return {
      layer,
      cells: cellsOf.map((c) => c.length),
      sharedByAll,
      jaccard,
      opDistance: meanOverPairs(opShares, totalVariation),
      ratioDistance: meanOverPairs(ratioShares, totalVariation),
      aggregationDistance: meanOverPairs(aggShares, totalVariation),
      opShares,
      aggregationShares: aggShares,
    };
  });
  return {
    layers,
    mean: {
      sharedFraction: mean(layers.map((l) => l.sharedByAll / Math.min(...l.cells))),
      jaccard: mean(layers.map((l) => l.jaccard)),
      opDistance: mean(layers.map((l) => l.opDistance)),
      ratioDistance: mean(layers.map((l) => l.ratioDistance)),
      aggregationDistance: mean(layers.map((l) => l.aggregationDistance)),
    },
  };
}

/** The comparison as a markdown table (one row per layer, then the means). */
export function spaceOverlapMarkdown(o: SpaceOverlap, names: readonly string[]): string {
  const f = (v: number) => v.toFixed(2);
  const percents = (perSpace: readonly (readonly number[])[]) =>
    perSpace.map((s) => s.map((v) => Math.round(100 * v)).join("/")).join("; ");
  // Per space, each share's mean over the layers.
  const layerMean = (pick: (l: LayerOverlap) => number[][]) =>
    pick(o.layers[0]).map((shares, space) =>
      shares.map((_, k) => mean(o.layers.map((l) => pick(l)[space][k])))
    );
  return [
    `Spaces: ${names.join(", ")}`,
    "",
    `| layer | cells shared by all | mean Jaccard | TV ops | TV ratios | TV aggregations | ` +
    `edge ops (${EDGE_OPS.join(" / ")}) per space | ` +
    `aggregations (${AGGREGATIONS.join(" / ")}) per space |`,
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...o.layers.map((l) =>
      `| ${l.layer} | ${l.sharedByAll} of ${Math.min(...l.cells)} | ${f(l.jaccard)} | ` +
      `${f(l.opDistance)} | ${f(l.ratioDistance)} | ${f(l.aggregationDistance)} | ` +
      `${percents(l.opShares)} | ${percents(l.aggregationShares)} |`
    ),
    `| mean | ${f(o.mean.sharedFraction)} | ${f(o.mean.jaccard)} | ${f(o.mean.opDistance)} | ` +
    `${f(o.mean.ratioDistance)} | ${f(o.mean.aggregationDistance)} | ` +
    `${percents(layerMean((l) => l.opShares))} | ${
      percents(layerMean((l) => l.aggregationShares))
    } |`,
  ].join("\n");
}
