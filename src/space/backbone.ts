/**
 * A backbone: the fixed skeleton of a supernet (input, stem, layer shapes, head) whose
 * searchable layers each receive a list of candidate blocks. The paper follows
 * ProxylessNAS and MNASNet: 21 searchable layers after a fixed first block.
 */
import {
  type BlockSpec,
  blockToJson,
  type HeadSpec,
  type InputSpec,
  parseBlock,
  parseHead,
  parseInput,
  parseStem,
  type StemSpec,
} from "./network_spec.ts";
import { at, field, readArray, readInt, readObject, readString, SpecError } from "./spec_error.ts";

/** Channels and stride of one layer. */
export interface LayerShape {
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
}

/** One backbone layer: searchable, or fixed to one block. */
export interface BackboneLayer extends LayerShape {
  readonly fixed?: BlockSpec;
}

/** A supernet skeleton. */
export interface Backbone {
  readonly name: string;
  readonly input: InputSpec;
  readonly stem: StemSpec;
  readonly layers: readonly BackboneLayer[];
  readonly head: HeadSpec;
  readonly classes: number;
}

/** ProxylessNAS stages after the first block: channels, repeats, first stride (at 224). */
const PROXYLESS_STAGES: readonly (readonly [number, number, number])[] = [
  [24, 4, 2],
  [40, 4, 2],
  [80, 4, 2],
  [96, 4, 1],
  [192, 4, 2],
  [320, 1, 1],
];

/** The fixed first layer of the ProxylessNAS-style backbones: an IRB k3 e1 to 16 channels. */
function firstLayer(cin: number): BackboneLayer {
  const irb = { kernel: 3, expansion: 1, se: false };
  const fixed: BlockSpec = { type: "inverted_residual", cin, cout: 16, stride: 1, ...irb };
  return { cin, cout: 16, stride: 1, fixed };
}

/**
 * ProxylessNAS's backbone (also AutoSpace's): stem 3×3 conv to 32, a fixed
 * IRB k3 e1 32 → 16, 21 searchable layers in stages of 24/40/80/96/192/320 channels,
 * 1×1 feature mix to 1280, classifier. `stageStrides` sets the stages' first strides.
 */
export function proxylessBackbone(options: {
  name: string;
  inputSize: number;
  inputChannels: number;
  classes: number;
  stemStride: number;
  stageStrides: readonly number[];
}): Backbone {
  const layers: BackboneLayer[] = [firstLayer(32)];
  let cin = 16;
  PROXYLESS_STAGES.forEach(([cout, repeats], stage) => {
    for (let i = 0; i < repeats; i++) {
      layers.push({ cin, cout, stride: i === 0 ? options.stageStrides[stage] : 1 });
      cin = cout;
    }
  });
  return {
    name: options.name,
    input: { channels: options.inputChannels, size: options.inputSize },
    stem: { cout: 32, kernel: 3, stride: options.stemStride },
    layers,
    head: { featureMix: { cout: 1280 }, dropout: 0 },
    classes: options.classes,
  };
}

/**
 * A compact backbone for 28×28 images, sized so that evolution finishes in about an
 * hour on a 2-core CPU adapter: stem 3×3 stride 2 to 16 channels (14×14), the fixed
 * IRB k3 e1 16 → 16, then 7 searchable layers of 24, 24 | 40, 40 | 80, 80, 96 channels
 * (14 → 7 → 4), 1×1 feature mix to 256. Its reference network counts about 8.5M MAdds,
 * a fifth of proxyless-28's.
 */
export function compactBackbone28(): Backbone {
  const stages: [number, number, number][] = [[24, 2, 1], [40, 2, 2], [80, 2, 2], [96, 1, 1]];
  const layers: BackboneLayer[] = [firstLayer(16)];
  let cin = 16;
  for (const [cout, repeats, stride] of stages) {
    for (let i = 0; i < repeats; i++) {
      layers.push({ cin, cout, stride: i === 0 ? stride : 1 });
      cin = cout;
    }
  }
  return {
    name: "compact-28",
    input: { channels: 1, size: 28 },
    stem: { cout: 16, kernel: 3, stride: 2 },
    layers,
    head: { featureMix: { cout: 256 }, dropout: 0 },
    classes: 10,
  };
}

/** The backbone of the released search_space.config, where a config is read without one named. */
export const SEARCH_SPACE_CONFIG_BACKBONE = "proxyless-224";

/** Built-in backbones by name. */
export const BUILTIN_BACKBONES: Readonly<Record<string, () => Backbone>> = {
  /** ImageNet: 224 → 112 (stem) → 56 → 28 → 14 → 7. */
  "proxyless-224": () =>
    proxylessBackbone({
      name: "proxyless-224",
      inputSize: 224,
      inputChannels: 3,
      classes: 1000,
      stemStride: 2,
      stageStrides: PROXYLESS_STAGES.map((stage) => stage[2]),
    }),
  /** 28×28×1, small enough for an hour of evolution on a CPU adapter. */
  "compact-28": compactBackbone28,
  /** 28×28×1 (Fashion-MNIST): stem stride 1, then 28 → 14 → 7 → 4 at the first three stages. */
  "proxyless-28": () =>
    proxylessBackbone({
      name: "proxyless-28",
      inputSize: 28,
      inputChannels: 1,
      classes: 10,
      stemStride: 1,
      stageStrides: [2, 2, 2, 1, 1, 1],
    }),
};

/** The built-in backbone `name`, or undefined. */
export function builtinBackbone(name: string): Backbone | undefined {
  return BUILTIN_BACKBONES[name]?.();
}

/** Indices of the searchable layers (those without `fixed`). */
export function searchableLayers(backbone: Backbone): number[] {
  return backbone.layers.flatMap((layer, index) => (layer.fixed ? [] : [index]));
}

/** Spatial input size of every backbone layer, at `inputSize` (default the backbone's). */
export function layerInputSizes(backbone: Backbone, inputSize = backbone.input.size): number[] {
  let size = Math.floor((inputSize - 1) / backbone.stem.stride) + 1;
  return backbone.layers.map((layer) => {
    const here = size;
    size = Math.floor((size - 1) / layer.stride) + 1;
    return here;
  });
}

/** Reads a backbone from parsed JSON at `path`; throws a `SpecError` naming the bad path. */
export function parseBackbone(value: unknown, path: string): Backbone {
  const obj = readObject(value, path);
  const layersPath = at(path, "layers");
  const layers = readArray(field(obj, "layers", path), layersPath).map((item, index) => {
    const layerPath = at(layersPath, index);
    const layer = readObject(item, layerPath);
    const shape = {
      cin: readInt(field(layer, "cin", layerPath), at(layerPath, "cin"), 1),
      cout: readInt(field(layer, "cout", layerPath), at(layerPath, "cout"), 1),
      stride: readInt(field(layer, "stride", layerPath), at(layerPath, "stride"), 1, 2),
    };
    if (layer.fixed === undefined || layer.fixed === null) return shape;
    const fixed = parseBlock(layer.fixed, at(layerPath, "fixed"));
    if (fixed.cin !== shape.cin || fixed.cout !== shape.cout || fixed.stride !== shape.stride) {
      throw new SpecError(
        at(layerPath, "fixed"),
        "the fixed block's cin/cout/stride differ from the layer's",
      );
    }
    return { ...shape, fixed };
  });
  const stem = parseStem(field(obj, "stem", path), at(path, "stem"));
  let channels = stem.cout;
  layers.forEach((layer, index) => {
    if (layer.cin !== channels) {
      throw new SpecError(
        at(at(layersPath, index), "cin"),
        `cin ${layer.cin} does not match the previous layer's ${channels} output channels`,
      );
    }
    channels = layer.cout;
  });
  return {
    name: "name" in obj ? readString(obj.name, at(path, "name")) : "backbone",
    input: parseInput(field(obj, "input", path), at(path, "input")),
    stem,
    layers,
    head: parseHead(field(obj, "head", path), at(path, "head")),
    classes: readInt(field(obj, "classes", path), at(path, "classes"), 1),
  };
}

/** JSON form of a backbone. */
export function backboneToJson(backbone: Backbone): Record<string, unknown> {
  return {
    name: backbone.name,
    input: { ...backbone.input },
    stem: { ...backbone.stem },
    layers: backbone.layers.map((layer) => ({
      cin: layer.cin,
      cout: layer.cout,
      stride: layer.stride,
      ...(layer.fixed ? { fixed: blockToJson(layer.fixed) } : {}),
    })),
    head: { featureMix: backbone.head.featureMix, dropout: backbone.head.dropout },
    classes: backbone.classes,
  };
}
