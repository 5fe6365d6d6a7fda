/**
 * The learned search space that `deno task evolve` writes: per searchable layer of a
 * backbone, the top-K cells with their canonical id, structure, fitness and cost.
 *
 * File shape (JSON):
 *
 *   {
 *     "format": "autospace.search-space/v1",
 *     "backbone": { ...Backbone },             // see backbone.ts
 *     "layers": [
 *       { "layer": 1, "cin": 16, "cout": 24, "stride": 2, "inputSize": 112,
 *         "cells": [ { "id": "r6:dw3,-,id,-,-,id:++", "cell": { ...CellJson },
 *                      "fitness": 0.0123, "madds": 12345678, "params": 4321 }, ... ] },
 *       ...
 *     ],
 *     "meta": { ... }                           // free-form: seed, epochs, dataset, ...
 *   }
 *
 * `layer` indexes `backbone.layers`; cells are sorted by fitness, best first; `madds`
 * and `params` (conv+linear weights) are those of the cell in that layer at the
 * backbone's input size; `id` is `cellId(cell)`. The reader checks all of these.
 */
import { type Backbone, backboneToJson, layerInputSizes, parseBackbone } from "./backbone.ts";
import { cellId } from "./canonical.ts";
import { cellCandidates } from "./cell_candidates.ts";
import { type Cell, cellToJson, parseCell } from "./cell.ts";
import { cellCost } from "./counting.ts";
import { type SearchSpaceSpec, spaceFromBackbone } from "./search_space_spec.ts";
import {
  at,
  field,
  parseJsonText,
  readArray,
  readEnum,
  readInt,
  readNumber,
  readObject,
  readString,
  SpecError,
  withFile,
} from "./spec_error.ts";

/** Format tag of learned search-space files. */
export const SEARCH_SPACE_FILE_FORMAT = "autospace.search-space/v1";

/** One cell of a learned layer space. */
export interface EvolvedCell {
  readonly id: string;
  readonly cell: Cell;
  readonly fitness: number;
  readonly madds: number;
  readonly params: number;
}

/** The learned space of one layer. */
export interface EvolvedLayer {
  readonly layer: number;
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
  readonly inputSize: number;
  readonly cells: readonly EvolvedCell[];
}

/** A learned search space. */
export interface SearchSpaceFile {
  readonly backbone: Backbone;
  readonly layers: readonly EvolvedLayer[];
  readonly meta?: Record<string, unknown>;
}

/** Builds an `EvolvedCell` for layer `layer` of `backbone` (id and costs computed here). */
export function evolvedCell(
  backbone: Backbone,
  layer: number,
  cell: Cell,
  fitness: number,
): EvolvedCell {
  const shape = backbone.layers[layer];
  if (!shape) throw new RangeError(`evolvedCell: backbone ${backbone.name} has no layer ${layer}`);
  const size = layerInputSizes(backbone)[layer];
  const cost = cellCost(cell, shape.cin, shape.cout, shape.stride, size, size);
  return { id: cellId(cell), cell, fitness, madds: cost.madds, params: cost.weights };
}

/** Builds a file from per-layer cells with fitness (cells sorted best first here). */
export function makeSearchSpaceFile(
  backbone: Backbone,
  layers: readonly { layer: number; cells: readonly { cell: Cell; fitness: number }[] }[],
  meta?: Record<string, unknown>,
): SearchSpaceFile {
  const sizes = layerInputSizes(backbone);
  return {
    backbone,
    layers: layers.map(({ layer, cells }) => {
      const shape = backbone.layers[layer];
      if (!shape) throw new RangeError(`makeSearchSpaceFile: backbone has no layer ${layer}`);
      return {
        layer,
        cin: shape.cin,
        cout: shape.cout,
        stride: shape.stride,
        inputSize: sizes[layer],
        cells: cells.map(({ cell, fitness }) => evolvedCell(backbone, layer, cell, fitness))
          .sort((a, b) => b.fitness - a.fitness),
      };
    }),
    ...(meta ? { meta } : {}),
  };
}

/** The file as JSON text (2-space indent, trailing newline). */
export function writeSearchSpaceFile(file: SearchSpaceFile): string {
  const json = {
    format: SEARCH_SPACE_FILE_FORMAT,
    backbone: backboneToJson(file.backbone),
    layers: file.layers.map((layer) => ({
      layer: layer.layer,
      cin: layer.cin,
      cout: layer.cout,
      stride: layer.stride,
      inputSize: layer.inputSize,
      cells: layer.cells.map((c) => ({
        id: c.id,
        cell: cellToJson(c.cell),
        fitness: c.fitness,
        madds: c.madds,
        params: c.params,
      })),
    })),
    ...(file.meta ? { meta: file.meta } : {}),
  };
  return JSON.stringify(json, null, 2) + "\n";
}

/** Reads a learned search space from parsed JSON; throws a `SpecError` naming the bad path. */
export function parseSearchSpaceFile(value: unknown): SearchSpaceFile {
  const root = readObject(value, "");
  readEnum(field(root, "format", ""), "format", [SEARCH_SPACE_FILE_FORMAT], "format");
  const backbone = parseBackbone(field(root, "backbone", ""), "backbone");
  const sizes = layerInputSizes(backbone);
  const layers = readArray(field(root, "layers", ""), "layers").map((item, index) => {
    const path = at("layers", index);
    const obj = readObject(item, path);
    const layer = readInt(
      field(obj, "layer", path),
      at(path, "layer"),
      0,
      backbone.layers.length - 1,
    );
    const shape = backbone.layers[layer];
    const cin = readInt(field(obj, "cin", path), at(path, "cin"), 1);
    const cout = readInt(field(obj, "cout", path), at(path, "cout"), 1);
    const stride = readInt(field(obj, "stride", path), at(path, "stride"), 1, 2);
    if (cin !== shape.cin || cout !== shape.cout || stride !== shape.stride) {
      throw new SpecError(
        path,
        `shape ${cin} -> ${cout} stride ${stride} differs from backbone layer ${layer} ` +
          `(${shape.cin} -> ${shape.cout} stride ${shape.stride})`,
      );
    }
    const inputSize = readInt(field(obj, "inputSize", path), at(path, "inputSize"), 1);
    if (inputSize !== sizes[layer]) {
      throw new SpecError(
        at(path, "inputSize"),
        `expected ${sizes[layer]} for layer ${layer}, got ${inputSize}`,
      );
    }
    const cellsPath = at(path, "cells");
    const cells = readArray(field(obj, "cells", path), cellsPath).map((entry, k) => {
      const cellPath = at(cellsPath, k);
      const e = readObject(entry, cellPath);
      const cell = parseCell(field(e, "cell", cellPath), at(cellPath, "cell"));
      const fitness = readNumber(field(e, "fitness", cellPath), at(cellPath, "fitness"));
      const expected = evolvedCell(backbone, layer, cell, fitness);
      const id = readString(field(e, "id", cellPath), at(cellPath, "id"));
      if (id !== expected.id) {
        throw new SpecError(
          at(cellPath, "id"),
          `"${id}" is not the cell's canonical id "${expected.id}"`,
        );
      }
      const madds = readNumber(field(e, "madds", cellPath), at(cellPath, "madds"));
      if (madds !== expected.madds) {
        throw new SpecError(
          at(cellPath, "madds"),
          `${madds} differs from the counted ${expected.madds}`,
        );
      }
      const params = readNumber(field(e, "params", cellPath), at(cellPath, "params"));
      if (params !== expected.params) {
        throw new SpecError(
          at(cellPath, "params"),
          `${params} differs from the counted ${expected.params}`,
        );
      }
      return expected;
    });
    return { layer, cin, cout, stride, inputSize, cells };
  });
  const meta = root.meta === undefined ? undefined : readObject(root.meta, "meta");
  return { backbone, layers, ...(meta ? { meta } : {}) };
}

/** Reads a learned search space from JSON text; errors name `file`. */
export function readSearchSpaceFile(text: string, file?: string): SearchSpaceFile {
  return withFile(file, () => parseSearchSpaceFile(parseJsonText(text, file)));
}

/**
 * The search space a learned file defines: layers it lists offer their cells (best
 * first), plus a zero block where the layer may be skipped when `includeZero` (default
 * true); layers it does not list must be fixed in the backbone.
 */
export function searchSpaceFromFile(
  file: SearchSpaceFile,
  options: { includeZero?: boolean; name?: string } = {},
): SearchSpaceSpec {
  return spaceFromBackbone(file.backbone, (shape, index) => {
    const layer = file.layers.find((l) => l.layer === index);
    if (!layer) throw new SpecError("layers", `no cells for searchable layer ${index}`);
    const cells = layer.cells.map(({ cell }) => cell);
    return cellCandidates(shape, cells, options.includeZero !== false);
  }, options.name ?? `${file.backbone.name}-learned`);
}
