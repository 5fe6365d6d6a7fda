/**
 * A search space as JSON: a network whose layers each offer a list of candidate
 * blocks. A network of the space picks one candidate per layer; a fixed layer offers
 * one. The supernet builder makes one path per candidate.
 */
import type { Backbone, LayerShape } from "./backbone.ts";
import {
  type BlockSpec,
  blockToJson,
  type BnSpec,
  checkNetwork,
  type HeadSpec,
  type InputSpec,
  type NetworkSpec,
  parseBlock,
  parseBn,
  parseHead,
  parseInput,
  parseStem,
  type StemSpec,
} from "./network_spec.ts";
import {
  at,
  field,
  readArray,
  readEnum,
  readInt,
  readObject,
  readString,
  SpecError,
} from "./spec_error.ts";

/** Format tag of search-space spec files. */
export const SEARCH_SPACE_SPEC_FORMAT = "autospace.search-space-spec/v1";

/** One layer of a search space: its shape and the blocks it may be. */
export interface LayerChoice extends LayerShape {
  readonly candidates: readonly BlockSpec[];
}

/** A search space: a backbone with candidate blocks per layer. */
export interface SearchSpaceSpec {
  readonly name: string;
  readonly input: InputSpec;
  readonly stem: StemSpec;
  readonly layers: readonly LayerChoice[];
  readonly head: HeadSpec;
  readonly classes: number;
  readonly bn?: BnSpec;
}

/** Builds a space from a backbone: fixed layers keep their block, others get `candidates(...)`. */
export function spaceFromBackbone(
  backbone: Backbone,
  candidates: (shape: LayerShape, layerIndex: number) => readonly BlockSpec[],
  name = backbone.name,
): SearchSpaceSpec {
  return {
    name,
    input: backbone.input,
    stem: backbone.stem,
    layers: backbone.layers.map((layer, index) => ({
      cin: layer.cin,
      cout: layer.cout,
      stride: layer.stride,
      candidates: layer.fixed ? [layer.fixed] : candidates(layer, index),
    })),
    head: backbone.head,
    classes: backbone.classes,
  };
}

/**
 * The skeleton of a space: layers with a single candidate are fixed to it, the others
 * are searchable (the inverse of `spaceFromBackbone`).
 */
export function spaceBackbone(space: SearchSpaceSpec): Backbone {
  return {
    name: space.name,
    input: space.input,
    stem: space.stem,
    layers: space.layers.map(({ cin, cout, stride, candidates }) =>
      candidates.length === 1 ? { cin, cout, stride, fixed: candidates[0] } : { cin, cout, stride }
    ),
    head: space.head,
    classes: space.classes,
  };
}

/** The network that picks candidate `choices[l]` in layer l. */
export function networkFromChoices(
  space: SearchSpaceSpec,
  choices: readonly number[],
  name = `${space.name}-net`,
): NetworkSpec {
  if (choices.length !== space.layers.length) {
    throw new RangeError(
      `networkFromChoices: ${choices.length} choices for ${space.layers.length} layers`,
    );
  }
  const blocks = space.layers.map((layer, index) => {
    const block = layer.candidates[choices[index]];
    if (!block) {
      throw new RangeError(
        `networkFromChoices: layer ${index} has ${layer.candidates.length} candidates, ` +
          `choice ${choices[index]} is out of range`,
      );
    }
    return block;
  });
  const spec: NetworkSpec = {
    name,
    input: space.input,
    stem: space.stem,
    blocks,
    head: space.head,
    classes: space.classes,
    ...(space.bn ? { bn: space.bn } : {}),
  };
  checkNetwork(spec);
  return spec;
}

/** Reads a search-space spec from parsed JSON; throws a `SpecError` naming the bad path. */
export function parseSearchSpaceSpec(value: unknown): SearchSpaceSpec {
  const obj = readObject(value, "");
  readEnum(field(obj, "format", ""), "format", [SEARCH_SPACE_SPEC_FORMAT], "format");
  const stem = parseStem(field(obj, "stem", ""), "stem");
  let channels = stem.cout;
  const layers = readArray(field(obj, "layers", ""), "layers").map((item, index) => {
    const path = at("layers", index);
    const layer = readObject(item, path);
    const cin = readInt(field(layer, "cin", path), at(path, "cin"), 1);
    const cout = readInt(field(layer, "cout", path), at(path, "cout"), 1);
    const stride = readInt(field(layer, "stride", path), at(path, "stride"), 1, 2);
    if (cin !== channels) {
      throw new SpecError(
        at(path, "cin"),
        `cin ${cin} does not match the previous layer's ${channels}`,
      );
    }
    channels = cout;
    const listPath = at(path, "candidates");
    const candidates = readArray(field(layer, "candidates", path), listPath).map((c, k) => {
      const blockPath = at(listPath, k);
      const block = parseBlock(c, blockPath);
      if (block.cin !== cin || block.cout !== cout || block.stride !== stride) {
        throw new SpecError(
          blockPath,
          `candidate is ${block.cin} -> ${block.cout} stride ${block.stride}, ` +
            `the layer is ${cin} -> ${cout} stride ${stride}`,
        );
      }
      return block;
    });
    if (candidates.length === 0) {
      throw new SpecError(listPath, "a layer needs at least one candidate");
    }
    return { cin, cout, stride, candidates };
  });
  return {
    name: "name" in obj ? readString(obj.name, "name") : "space",
    input: parseInput(field(obj, "input", ""), "input"),
    stem,
    layers,
    head: parseHead(field(obj, "head", ""), "head"),
    classes: readInt(field(obj, "classes", ""), "classes", 1),
    ...("bn" in obj ? { bn: parseBn(obj.bn, "bn") } : {}),
  };
}

/** JSON form of a search-space spec, tagged with `SEARCH_SPACE_SPEC_FORMAT`. */
export function searchSpaceSpecToJson(space: SearchSpaceSpec): Record<string, unknown> {
  return {
    format: SEARCH_SPACE_SPEC_FORMAT,
    name: space.name,
    input: { ...space.input },
    stem: { ...space.stem },
    layers: space.layers.map((layer) => ({
      cin: layer.cin,
      cout: layer.cout,
      stride: layer.stride,
      candidates: layer.candidates.map(blockToJson),
    })),
    head: { featureMix: space.head.featureMix, dropout: space.head.dropout },
    classes: space.classes,
    ...(space.bn ? { bn: { ...space.bn } } : {}),
  };
}
