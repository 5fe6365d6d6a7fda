/**
 * Parameter and MAdds counters, per layer and in total, for any input size.
 *
 * Convention of ProxylessNAS, SPOS and the papers' tables: a conv costs
 * C_in·C_out·k²·H_out·W_out / groups multiply-adds, a linear layer its weight count;
 * BN, activations, pooling, identity, element-wise adds/products and residual adds
 * cost zero. `weights` counts conv and linear weights only (the tables' "params");
 * `params` counts every learnable number: weights, BN scale and shift, and biases.
 * SE convs act on a 1×1 map, so each costs C_in·C_out.
 */
import type { Cell } from "./cell.ts";
import { cellPlan } from "./cell_graph.ts";
import { edgeOpConv } from "./ops.ts";
import {
  type BlockSpec,
  describeBlock,
  hasResidual,
  type InvertedResidualBlock,
  irbMid,
  type NetworkSpec,
  outputSize,
  seChannels,
} from "./network_spec.ts";
import type { SearchSpaceSpec } from "./search_space_spec.ts";

/** MAdds, conv+linear weights, and all learnable parameters. */
export interface Cost {
  madds: number;
  weights: number;
  params: number;
}

const ZERO_COST: Cost = { madds: 0, weights: 0, params: 0 };

function add(a: Cost, b: Cost): Cost {
  return { madds: a.madds + b.madds, weights: a.weights + b.weights, params: a.params + b.params };
}

/** A bias-free conv (optionally followed by BN) producing an hOut × wOut map. */
export function convCost(
  cin: number,
  cout: number,
  kernel: number,
  hOut: number,
  wOut: number,
  options: { groups?: number; bn?: boolean; bias?: boolean } = {},
): Cost {
  const groups = options.groups ?? 1;
  const weights = (cin * cout * kernel * kernel) / groups;
  const extra = (options.bn === false ? 0 : 2 * cout) + (options.bias ? cout : 0);
  return { madds: weights * hOut * wOut, weights, params: weights + extra };
}

/** A linear layer with bias. */
export function linearCost(inFeatures: number, outFeatures: number): Cost {
  const weights = inFeatures * outFeatures;
  return { madds: weights, weights, params: weights + outFeatures };
}

/** Squeeze-and-excitation on `channels` channels (two 1×1 convs with bias on a 1×1 map). */
export function seCost(channels: number): Cost {
  const hidden = seChannels(channels);
  const reduce = convCost(channels, hidden, 1, 1, 1, { bn: false, bias: true });
  const expand = convCost(hidden, channels, 1, 1, 1, { bn: false, bias: true });
  return add(reduce, expand);
}

/** Cost of a cell block's parts, for tables that break a cell down. */
export interface CostPart extends Cost {
  part: string;
}

/** A cell block as the cost functions take it: the cell, cin → cout, stride, on an h × w input. */
export type CellPlacement = [
  cell: Cell,
  cin: number,
  cout: number,
  stride: number,
  h: number,
  w: number,
];

/** Costs of the parts of a cell with cin → cout, stride, on an h × w input (live edges only). */
export function cellCostParts(...[cell, cin, cout, stride, h, w]: CellPlacement): CostPart[] {
  const plan = cellPlan(cell);
  if (plan.zero) return [];
  const mid = cin * cell.ratio;
  const hOut = outputSize(h, stride);
  const wOut = outputSize(w, stride);
  const parts: CostPart[] = [];
  if (plan.expand) parts.push({ part: "expand 1x1", ...convCost(cin, mid, 1, h, w) });
  for (const node of plan.nodes) {
    for (const edge of node.inputs) {
      const conv = edgeOpConv(edge.op);
      if (!conv) continue;
      const groups = conv.depthwise ? mid : 1;
      parts.push({
        part: `${edge.from}->${edge.to} ${edge.op}`,
        ...convCost(mid, mid, conv.kernel, hOut, wOut, { groups }),
      });
    }
  }
  if (plan.se) parts.push({ part: "se", ...seCost(mid) });
  parts.push({ part: "project 1x1", ...convCost(mid, cout, 1, hOut, wOut) });
  return parts;
}

/** Total cost of a cell block (the zero cell costs nothing). */
export function cellCost(...block: CellPlacement): Cost {
  return cellCostParts(...block).reduce(add, ZERO_COST);
}

/** MAdds of a cell block on an h × w input. */
export function cellMAdds(...block: CellPlacement): number {
  return cellCost(...block).madds;
}

/** Conv+linear weights of a cell block (independent of the input size). */
export function cellParams(cell: Cell, cin: number, cout: number): number {
  return cellCost(cell, cin, cout, 1, 1, 1).weights;
}

/** Costs of the parts of an inverted residual block on an h × w input. */
export function irbCostParts(block: InvertedResidualBlock, h: number, w: number): CostPart[] {
  const mid = irbMid(block);
  const hOut = outputSize(h, block.stride);
  const wOut = outputSize(w, block.stride);
  const parts: CostPart[] = [];
  if (block.expansion !== 1) {
    parts.push({ part: "expand 1x1", ...convCost(block.cin, mid, 1, h, w) });
  }
  parts.push({
    part: `depthwise ${block.kernel}x${block.kernel}`,
    ...convCost(mid, mid, block.kernel, hOut, wOut, { groups: mid }),
  });
  if (block.se) parts.push({ part: "se", ...seCost(mid) });
  parts.push({ part: "project 1x1", ...convCost(mid, block.cout, 1, hOut, wOut) });
  return parts;
}

/** Costs of the parts of any block on an h × w input. */
export function blockCostParts(block: BlockSpec, h: number, w: number): CostPart[] {
  switch (block.type) {
    case "inverted_residual":
      return irbCostParts(block, h, w);
    case "cell":
      return cellCostParts(block.cell, block.cin, block.cout, block.stride, h, w);
    case "zero":
      return [];
  }
}

/** Total cost of a block on an h × w input. */
export function blockCost(block: BlockSpec, h: number, w: number): Cost {
  return blockCostParts(block, h, w).reduce(add, ZERO_COST);
}

/** One row of a network's table. */
export interface LayerCount extends Cost {
  /** Where in the spec: "stem", "blocks[3]", "feature_mix", "classifier". */
  name: string;
  /** What it is: "conv 3x3 s2", "IRB k3 e6", "cell r6:...", "zero (skip)", "linear". */
  op: string;
  input: [number, number, number];
  output: [number, number, number];
  stride: number;
  residual: boolean;
  parts: CostPart[];
}

/** Per-layer and total counts of a network. */
export interface NetworkCount {
  name: string;
  inputSize: number;
  layers: LayerCount[];
  total: Cost;
}

/**
 * Counts a network layer by layer at `inputSize` (default: the spec's input size).
 * `describe` names blocks in the `op` column (default: type and main parameters).
 */
export function countNetwork(
  spec: NetworkSpec,
  options: { inputSize?: number; describe?: (block: BlockSpec) => string } = {},
): NetworkCount {
  const size = options.inputSize ?? spec.input.size;
  const layers: LayerCount[] = [];
  let h = size;
  const stemOut = outputSize(h, spec.stem.stride);
  const stem = convCost(spec.input.channels, spec.stem.cout, spec.stem.kernel, stemOut, stemOut);
  layers.push({
    name: "stem",
    op: `conv ${spec.stem.kernel}x${spec.stem.kernel} s${spec.stem.stride}`,
    input: [spec.input.channels, h, h],
    output: [spec.stem.cout, stemOut, stemOut],
    stride: spec.stem.stride,
    residual: false,
    parts: [{ part: "conv", ...stem }],
    ...stem,
  });
  h = stemOut;
  let channels = spec.stem.cout;
  spec.blocks.forEach((block, index) => {
    const out = outputSize(h, block.stride);
    const parts = blockCostParts(block, h, h);
    const cost = parts.reduce(add, ZERO_COST);
    layers.push({
      name: `blocks[${index}]`,
      op: (options.describe ?? describeBlock)(block),
      input: [block.cin, h, h],
      output: [block.cout, out, out],
      stride: block.stride,
      residual: block.type === "zero" || hasResidual(block),
      parts,
      ...cost,
    });
    h = out;
    channels = block.cout;
  });
  if (spec.head.featureMix) {
    const cout = spec.head.featureMix.cout;
    const mix = convCost(channels, cout, 1, h, h);
    layers.push({
      name: "feature_mix",
      op: "conv 1x1",
      input: [channels, h, h],
      output: [cout, h, h],
      stride: 1,
      residual: false,
      parts: [{ part: "conv", ...mix }],
      ...mix,
    });
    channels = cout;
  }
  const classifier = linearCost(channels, spec.classes);
  layers.push({
    name: "classifier",
    op: `avgpool + linear`,
    input: [channels, h, h],
    output: [spec.classes, 1, 1],
    stride: 1,
    residual: false,
    parts: [{ part: "linear", ...classifier }],
    ...classifier,
  });
  const total = layers.reduce<Cost>((sum, layer) => add(sum, layer), ZERO_COST);
  return { name: spec.name, inputSize: size, layers, total };
}

/** MAdds as in the papers' tables: "300.8M" (or "1.23G" from a billion up). */
export function formatMAdds(madds: number): string {
  if (madds >= 1e9) return `${(madds / 1e9).toFixed(2)}G`;
  if (madds >= 1e5) return `${(madds / 1e6).toFixed(1)}M`;
  if (madds >= 1e3) return `${(madds / 1e3).toFixed(1)}K`;
  return `${madds}`;
}

/** Parameter counts: "3.47M", "12.3K". */
export function formatParams(count: number): string {
  if (count >= 1e5) return `${(count / 1e6).toFixed(2)}M`;
  if (count >= 1e3) return `${(count / 1e3).toFixed(1)}K`;
  return `${count}`;
}

/** Costs of every candidate of every layer of a search space. */
export interface SpaceLayerCount {
  index: number;
  cin: number;
  cout: number;
  stride: number;
  inputSize: number;
  candidates: { block: BlockSpec; cost: Cost }[];
}

/** Counts each candidate of each layer of a search space at `inputSize` (default the space's). */
export function countSearchSpace(
  space: SearchSpaceSpec,
  options: { inputSize?: number } = {},
): SpaceLayerCount[] {
  let size = outputSize(options.inputSize ?? space.input.size, space.stem.stride);
  return space.layers.map((layer, index) => {
    const here = size;
    size = outputSize(size, layer.stride);
    return {
      index,
      cin: layer.cin,
      cout: layer.cout,
      stride: layer.stride,
      inputSize: here,
      candidates: layer.candidates.map((block) => ({ block, cost: blockCost(block, here, here) })),
    };
  });
}
