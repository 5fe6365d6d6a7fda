/**
 * Import and export of ProxylessNAS-style search-space configs
 * (`"name": "SuperProxylessNASNets"`), as released with AutoSpace.
 *
 * The released file holds `blocks`: 11 entries of 9 Motif graphs each (see
 * `net_config.ts` for the graph decoding), and no channels. 11 is the number of distinct
 * layer shapes (cin, cout, stride) among the 21 searchable layers of the ProxylessNAS
 * backbone, so entry k is read as the candidates of every layer with the k-th distinct
 * shape, in layer order (`spaceFromSuperNetConfig`).
 */
import type { Backbone, LayerShape } from "./backbone.ts";
import type { Cell } from "./cell.ts";
import { cellCandidates } from "./cell_candidates.ts";
import { decodeMotifGraph, encodeMotifGraph } from "./net_config.ts";
import { RATIOS } from "./ops.ts";
import { type SearchSpaceSpec, spaceFromBackbone } from "./search_space_spec.ts";
import { at, field, readArray, readEnum, readObject, SpecError } from "./spec_error.ts";

/** Reads a `SuperProxylessNASNets` config: per entry, its candidate cells. */
export function importSuperNetConfig(value: unknown): Cell[][] {
  const root = readObject(value, "");
  readEnum(field(root, "name", ""), "name", ["SuperProxylessNASNets"], "search space class");
  return readArray(field(root, "blocks", ""), "blocks").map((entry, k) => {
    const entryPath = at("blocks", k);
    const graphs = readArray(entry, entryPath);
    if (graphs.length === 0) throw new SpecError(entryPath, "an entry needs at least one cell");
    return graphs.map((graph, c) => {
      const decoded = decodeMotifGraph(graph, at(entryPath, c));
      return {
        ratio: RATIOS[decoded.ratioIndex],
        edges: decoded.edges,
        aggregation: decoded.aggregation,
        se: false,
      };
    });
  });
}

/** Writes entries of cells as a `SuperProxylessNASNets` config (graphs as nested arrays). */
export function exportSuperNetConfig(
  entries: readonly (readonly Cell[])[],
): Record<string, unknown> {
  return {
    name: "SuperProxylessNASNets",
    blocks: entries.map((cells) => cells.map(encodeMotifGraph)),
  };
}

/** The distinct shapes of a backbone's searchable layers, in order, with the layers of each. */
export function distinctLayerShapes(backbone: Backbone): { shape: LayerShape; layers: number[] }[] {
  const shapes: { shape: LayerShape; layers: number[] }[] = [];
  backbone.layers.forEach((layer, index) => {
    if (layer.fixed) return;
    const found = shapes.find(({ shape }) =>
      shape.cin === layer.cin && shape.cout === layer.cout && shape.stride === layer.stride
    );
    if (found) found.layers.push(index);
    else {shapes.push({
        shape: { cin: layer.cin, cout: layer.cout, stride: layer.stride },
        layers: [index],
      });}
  });
  return shapes;
}

/**
 * The search space that `entries` define on `backbone`: entry k supplies the cells of
 * every layer of the k-th distinct shape. With `includeZero` (default true) a zero block
 * is added where a layer may be skipped, as ProxylessNAS's search does.
 */
export function spaceFromSuperNetConfig(
  entries: readonly (readonly Cell[])[],
  backbone: Backbone,
  options: { includeZero?: boolean; name?: string } = {},
): SearchSpaceSpec {
  const shapes = distinctLayerShapes(backbone);
  if (shapes.length !== entries.length) {
    throw new SpecError(
      "blocks",
      `${entries.length} entries, but backbone ${backbone.name} has ${shapes.length} distinct layer shapes`,
    );
  }
  return spaceFromBackbone(backbone, (shape, index) => {
    const k = shapes.findIndex(({ layers }) => layers.includes(index));
    return cellCandidates(shape, entries[k], options.includeZero !== false);
  }, options.name ?? `${backbone.name}-autospace`);
}
