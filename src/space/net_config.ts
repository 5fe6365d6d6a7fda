/**
 * Import and export of ProxylessNAS `net.config` networks (`"name": "ProxylessNASNets"`),
 * including AutoSpace's undocumented `Motif` block.
 *
 * Motif decoding (settled here, see `reference/autospace/README.md` for the hypothesis):
 * `build_graph` is a 4×4 matrix g over the inner nodes 0..3 (a JSON array, or a string
 * holding one, as in the released file):
 *
 * - strict lower triangle: g[i][j] (j < i) is the op on edge j → i, with codes
 *   1 zero, 2 identity, 3 conv 1×1, 4 conv 3×3, 5/7/9 depthwise 3×3/5×5/7×7
 *   (the depthwise code is kernel + 2);
 * - g[0][3] is the ratio index (0, 1, 2 ↔ r = 1, 3, 6) and must equal `dim_conv_idx`
 *   and match `expand_ratio`;
 * - g[1][3] is the pair of aggregation indices of nodes 2 and 3 (0 add, 1 product, in
 *   the paper's order "{addition, dot product}") and must equal `feature_mix_mode_idx`;
 * - every other entry is 0.
 *
 * Evidence: (1) with stride on the edges out of node 0, `net_340M.config` counts 336.3M
 * MAdds at 224×224 (README: 340M, −1.1%) and 4.46M conv+linear weights (README: 4.3M
 * params); reading codes 5/7/9 as dense 3×3/5×5/7×7 convs gives 18.3G, reading the codes
 * in reverse order (1 = dw 7×7 ... 9 = zero) gives 903M, and striding the expansion
 * conv instead of node 0's edges gives 304M. (2) The ratio code agrees with
 * `expand_ratio` and `dim_conv_idx` in all 13 Motifs. (3) Codes 1 and 2 cost nothing
 * either way; with 1 = zero, the three cells that close every layer of
 * `search_space.config` are the chains dw-dw-dw, dw-dw-id and dw-id-id, the last being
 * the paper's reference DAG (the first Motif of `net_340M.config` is that chain with
 * r = 6, an inverted residual block k3 e6). The aggregation order (0 = add) cannot be
 * checked against counts, since aggregations cost nothing; it follows the paper's
 * listing "{addition, dot product}". Codes 0, 6 and 8 never occur and are rejected.
 *
 * `atten_mode: "channel"` is carried by every released Motif while `has_se` is false;
 * SE on every Motif would add 3.3M weights to a network the README puts at 4.3M, so
 * only `has_se` turns SE on and `atten_mode` is written back unchanged ("channel").
 */
import { type Cell, EDGES } from "./cell.ts";
import {
  type BlockSpec,
  checkNetwork,
  hasResidual,
  IRB_KERNELS,
  type NetworkSpec,
} from "./network_spec.ts";
import { type Aggregation, AGGREGATIONS, type EdgeOp, type Ratio, RATIOS } from "./ops.ts";
import {
  at,
  field,
  readArray,
  readBool,
  readEnum,
  readInt,
  readNumber,
  readObject,
  show,
  SpecError,
} from "./spec_error.ts";

/** Motif op codes of the lower triangle of `build_graph`. */
export const MOTIF_OP_CODES: Readonly<Record<number, EdgeOp>> = {
  1: "zero",
  2: "identity",
  3: "conv1x1",
  4: "conv3x3",
  5: "dwconv3x3",
  7: "dwconv5x5",
  9: "dwconv7x7",
};

const CODE_OF_OP: Readonly<Record<EdgeOp, number>> = {
  zero: 1,
  identity: 2,
  conv1x1: 3,
  conv3x3: 4,
  dwconv3x3: 5,
  dwconv5x5: 7,
  dwconv7x7: 9,
};

const KNOWN_CODES = "1 zero, 2 identity, 3 conv1x1, 4 conv3x3, 5/7/9 depthwise 3x3/5x5/7x7";

/** A Motif's graph decoded: the cell's genes except the SE flag. */
export interface DecodedMotif {
  edges: EdgeOp[];
  ratioIndex: number;
  aggregation: [Aggregation, Aggregation];
}

/** Decodes a `build_graph` matrix (already parsed) at `path`. */
export function decodeMotifGraph(value: unknown, path: string): DecodedMotif {
  const rows = readArray(value, path, 4).map((row, i) => readArray(row, at(path, i), 4));
  const edges = EDGES.map(([from, to]) => {
    const codePath = at(at(path, to), from);
    const code = readInt(rows[to][from], codePath);
    const op = MOTIF_OP_CODES[code];
    if (!op) throw new SpecError(codePath, `unknown Motif op code ${code} (known: ${KNOWN_CODES})`);
    return op;
  });
  const ratioIndex = readInt(rows[0][3], at(at(path, 0), 3), 0, RATIOS.length - 1);
  const aggPath = at(at(path, 1), 3);
  const aggs = readArray(rows[1][3], aggPath, 2).map((a, k) =>
    AGGREGATIONS[readInt(a, at(aggPath, k), 0, 1)]
  );
  for (let i = 0; i < 4; i++) {
    for (let j = i; j < 4; j++) {
      if ((i === 0 && j === 3) || (i === 1 && j === 3)) continue;
      if (rows[i][j] !== 0) {
        throw new SpecError(
          at(at(path, i), j),
          `expected 0 above the diagonal, got ${show(rows[i][j])}`,
        );
      }
    }
  }
  return { edges, ratioIndex, aggregation: [aggs[0], aggs[1]] };
}

/** Encodes a cell as a `build_graph` matrix (the inverse of `decodeMotifGraph`). */
export function encodeMotifGraph(cell: Cell): (number | number[])[][] {
  const rows: (number | number[])[][] = [0, 1, 2, 3].map(() => [0, 0, 0, 0]);
  EDGES.forEach(([from, to], index) => (rows[to][from] = CODE_OF_OP[cell.edges[index]]));
  rows[0][3] = RATIOS.indexOf(cell.ratio);
  rows[1][3] = cell.aggregation.map((agg) => AGGREGATIONS.indexOf(agg));
  return rows;
}

/** Python's `str()` of a nested int list, as the released files store `build_graph`. */
export function pythonListString(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(pythonListString).join(", ")}]`;
  return String(value);
}

/** Options of `importNetConfig`. */
export interface ImportNetConfigOptions {
  /** Input resolution, which net.config does not record (default 224). */
  inputSize?: number;
  /** Network name (default "ProxylessNASNets"). */
  name?: string;
}

/**
 * Reads a ProxylessNAS `net.config` object into a network spec; throws a `SpecError`
 * naming the path of anything malformed or unsupported.
 */
export function importNetConfig(value: unknown, options: ImportNetConfigOptions = {}): NetworkSpec {
  const root = readObject(value, "");
  readClass(root, "", ["ProxylessNASNets"], "network class");
  const first = readConvLayer(field(root, "first_conv", ""), "first_conv");
  const blocksPath = "blocks";
  let channels = first.cout;
  const blocks = readArray(field(root, "blocks", ""), blocksPath).map((item, index) => {
    const block = readBlock(item, at(blocksPath, index), channels);
    channels = block.cout;
    return block;
  });
  let featureMix: { cout: number } | null = null;
  if (root.feature_mix_layer !== null && root.feature_mix_layer !== undefined) {
    const mix = readConvLayer(root.feature_mix_layer, "feature_mix_layer");
    if (mix.kernel !== 1 || mix.stride !== 1) {
      throw new SpecError("feature_mix_layer", "expected a 1x1 conv with stride 1");
    }
    if (mix.cin !== channels) {
      throw new SpecError("feature_mix_layer.in_channels", `expected ${channels}, got ${mix.cin}`);
    }
    featureMix = { cout: mix.cout };
    channels = mix.cout;
  }
  const classifierPath = "classifier";
  const classifier = readObject(field(root, "classifier", ""), classifierPath);
  readClass(classifier, classifierPath, ["LinearLayer"], "layer");
  const inFeatures = readInt(
    field(classifier, "in_features", classifierPath),
    at(classifierPath, "in_features"),
    1,
  );
  if (inFeatures !== channels) {
    throw new SpecError(
      at(classifierPath, "in_features"),
      `expected ${channels}, got ${inFeatures}`,
    );
  }
  if ("bias" in classifier && classifier.bias !== true) {
    throw new SpecError(at(classifierPath, "bias"), "only classifiers with bias are supported");
  }
  const dropout = "dropout_rate" in classifier
    ? readNumber(classifier.dropout_rate, at(classifierPath, "dropout_rate"))
    : 0;
  const spec: NetworkSpec = {
    name: options.name ?? "ProxylessNASNets",
    input: { channels: first.cin, size: options.inputSize ?? 224 },
    stem: { cout: first.cout, kernel: first.kernel, stride: first.stride },
    blocks,
    head: { featureMix, dropout },
    classes: readInt(
      field(classifier, "out_features", classifierPath),
      at(classifierPath, "out_features"),
      1,
    ),
    ...(root.bn !== undefined && root.bn !== null ? { bn: readBn(root.bn, "bn") } : {}),
  };
  checkNetwork(spec);
  return spec;
}

function readBn(value: unknown, path: string): { momentum: number; eps: number } {
  const bn = readObject(value, path);
  return {
    momentum: readNumber(field(bn, "momentum", path), at(path, "momentum")),
    eps: readNumber(field(bn, "eps", path), at(path, "eps")),
  };
}

function readConvLayer(value: unknown, path: string) {
  const layer = readObject(value, path);
  readClass(layer, path, ["ConvLayer"], "layer");
  const check = (key: string, expected: unknown) => {
    if (key in layer && layer[key] !== expected) {
      throw new SpecError(
        at(path, key),
        `only ${show(expected)} is supported, got ${show(layer[key])}`,
      );
    }
  };
  check("groups", 1);
  check("dilation", 1);
  check("bias", false);
  check("use_bn", true);
  check("act_func", "relu6");
  check("ops_order", "weight_bn_act");
  check("has_shuffle", false);
  return {
    cin: readInt(field(layer, "in_channels", path), at(path, "in_channels"), 1),
    cout: readInt(field(layer, "out_channels", path), at(path, "out_channels"), 1),
    kernel: readEnum(
      field(layer, "kernel_size", path),
      at(path, "kernel_size"),
      [1, 3, 5, 7],
      "kernel",
    ),
    stride: readInt(field(layer, "stride", path), at(path, "stride"), 1, 2),
  };
}

/** A net.config object's `name`: the Python class it stands for, one of `classes`. */
function readClass<T extends string>(
  obj: Record<string, unknown>,
  path: string,
  classes: readonly T[],
  what = "layer",
): T {
  return readEnum(field(obj, "name", path), at(path, "name"), classes, what);
}

function readBlock(value: unknown, path: string, channels: number): BlockSpec {
  const wrapper = readObject(value, path);
  readClass(wrapper, path, ["MobileInvertedResidualBlock"], "block class");
  const convPath = at(path, "mobile_inverted_conv");
  const conv = readObject(field(wrapper, "mobile_inverted_conv", path), convPath);
  const kind = readClass(conv, convPath, ["MBInvertedConvLayer", "Motif", "ZeroLayer"] as const);
  let block: BlockSpec;
  if (kind === "ZeroLayer") {
    const stride = readInt(field(conv, "stride", convPath), at(convPath, "stride"), 1, 2);
    block = { type: "zero", cin: channels, cout: channels, stride };
  } else {
    const cin = readInt(field(conv, "in_channels", convPath), at(convPath, "in_channels"), 1);
    const cout = readInt(field(conv, "out_channels", convPath), at(convPath, "out_channels"), 1);
    const stride = readInt(field(conv, "stride", convPath), at(convPath, "stride"), 1, 2);
    if (cin !== channels) {
      throw new SpecError(
        at(convPath, "in_channels"),
        `expected ${channels} (the previous layer's output), got ${cin}`,
      );
    }
    const se = "has_se" in conv ? readBool(conv.has_se, at(convPath, "has_se")) : false;
    if (kind === "MBInvertedConvLayer") {
      const kernel = readEnum(
        field(conv, "kernel_size", convPath),
        at(convPath, "kernel_size"),
        IRB_KERNELS,
        "kernel",
      );
      const expansion = readInt(
        field(conv, "expand_ratio", convPath),
        at(convPath, "expand_ratio"),
        1,
      );
      const mid = conv.mid_channels === null || conv.mid_channels === undefined
        ? undefined
        : readInt(conv.mid_channels, at(convPath, "mid_channels"), 1);
      block = {
        type: "inverted_residual",
        cin,
        cout,
        stride,
        kernel,
        expansion,
        se,
        ...(mid !== undefined ? { mid } : {}),
      };
    } else {
      block = { type: "cell", cin, cout, stride, cell: readMotif(conv, convPath, se) };
    }
  }
  const shortcutPath = at(path, "shortcut");
  const shortcut = wrapper.shortcut ?? null;
  if (shortcut !== null) {
    const layer = readObject(shortcut, shortcutPath);
    readClass(layer, shortcutPath, ["IdentityLayer"], "shortcut");
  }
  const residual = block.type === "zero" || hasResidual(block);
  if ((shortcut !== null) !== residual) {
    throw new SpecError(
      shortcutPath,
      shortcut === null
        ? `missing the identity shortcut of a ${block.cin} -> ${block.cout} stride-1 block`
        : `a ${block.cin} -> ${block.cout} stride-${block.stride} block cannot have an identity shortcut`,
    );
  }
  return block;
}

function readMotif(conv: Record<string, unknown>, path: string, se: boolean): Cell {
  const nodes = readInt(field(conv, "num_nodes", path), at(path, "num_nodes"));
  if (nodes !== 4) {
    throw new SpecError(at(path, "num_nodes"), `only 4-node Motifs are supported, got ${nodes}`);
  }
  const graphPath = at(path, "build_graph");
  let graph = field(conv, "build_graph", path);
  if (typeof graph === "string") {
    try {
      graph = JSON.parse(graph);
    } catch {
      throw new SpecError(graphPath, `not a matrix: ${show(graph)}`);
    }
  }
  const decoded = decodeMotifGraph(graph, graphPath);
  const ratio: Ratio = RATIOS[decoded.ratioIndex];
  if ("dim_conv_idx" in conv) {
    const index = readInt(conv.dim_conv_idx, at(path, "dim_conv_idx"), 0, RATIOS.length - 1);
    if (index !== decoded.ratioIndex) {
      throw new SpecError(
        at(path, "dim_conv_idx"),
        `${index} disagrees with build_graph[0][3] = ${decoded.ratioIndex}`,
      );
    }
  }
  if ("expand_ratio" in conv) {
    const expandRatio = readInt(conv.expand_ratio, at(path, "expand_ratio"));
    if (expandRatio !== ratio) {
      throw new SpecError(
        at(path, "expand_ratio"),
        `${expandRatio} disagrees with the ratio index ${decoded.ratioIndex} (r = ${ratio})`,
      );
    }
  }
  if ("feature_mix_mode_idx" in conv) {
    const mixPath = at(path, "feature_mix_mode_idx");
    const mix = readArray(conv.feature_mix_mode_idx, mixPath, 2).map((v, k) =>
      readInt(v, at(mixPath, k), 0, 1)
    );
    const expected = decoded.aggregation.map((agg) => AGGREGATIONS.indexOf(agg));
    if (mix[0] !== expected[0] || mix[1] !== expected[1]) {
      throw new SpecError(
        mixPath,
        `${show(mix)} disagrees with build_graph[1][3] = ${show(expected)}`,
      );
    }
  }
  if ("atten_mode" in conv && conv.atten_mode !== "channel" && conv.atten_mode !== null) {
    throw new SpecError(at(path, "atten_mode"), `unsupported atten_mode ${show(conv.atten_mode)}`);
  }
  if ("kernel_size" in conv) readInt(conv.kernel_size, at(path, "kernel_size"), 1);
  return { ratio, edges: decoded.edges, aggregation: decoded.aggregation, se };
}

const LAYER_TAIL = { dropout_rate: 0, ops_order: "weight_bn_act" };

function convLayerJson(cin: number, cout: number, kernel: number, stride: number) {
  return {
    name: "ConvLayer",
    kernel_size: kernel,
    stride,
    dilation: 1,
    groups: 1,
    bias: false,
    has_shuffle: false,
    in_channels: cin,
    out_channels: cout,
    use_bn: true,
    act_func: "relu6",
    ...LAYER_TAIL,
  };
}

function blockJson(block: BlockSpec): Record<string, unknown> {
  const shortcut = block.type === "zero" || hasResidual(block)
    ? {
      name: "IdentityLayer",
      in_channels: block.cin,
      out_channels: block.cout,
      use_bn: false,
      act_func: null,
      ...LAYER_TAIL,
    }
    : null;
  let conv: Record<string, unknown>;
  switch (block.type) {
    case "zero":
      conv = { name: "ZeroLayer", stride: block.stride };
      break;
    case "inverted_residual":
      conv = {
        name: "MBInvertedConvLayer",
        in_channels: block.cin,
        out_channels: block.cout,
        kernel_size: block.kernel,
        stride: block.stride,
        expand_ratio: block.expansion,
        mid_channels: block.mid ?? null,
        has_se: block.se,
      };
      break;
    case "cell": {
      const graph = encodeMotifGraph(block.cell);
      conv = {
        name: "Motif",
        in_channels: block.cin,
        out_channels: block.cout,
        kernel_size: 3,
        stride: block.stride,
        expand_ratio: block.cell.ratio,
        num_nodes: 4,
        build_graph: pythonListString(graph),
        dim_conv_idx: RATIOS.indexOf(block.cell.ratio),
        atten_mode: "channel",
        feature_mix_mode_idx: block.cell.aggregation.map((agg) => AGGREGATIONS.indexOf(agg)),
        has_se: block.cell.se,
      };
      break;
    }
  }
  return { name: "MobileInvertedResidualBlock", mobile_inverted_conv: conv, shortcut };
}

/** Writes a network spec as a ProxylessNAS `net.config` object. */
export function exportNetConfig(spec: NetworkSpec): Record<string, unknown> {
  checkNetwork(spec);
  const lastBlock = spec.blocks[spec.blocks.length - 1];
  const trunkChannels = lastBlock ? lastBlock.cout : spec.stem.cout;
  const mix = spec.head.featureMix;
  return {
    name: "ProxylessNASNets",
    ...(spec.bn ? { bn: { momentum: spec.bn.momentum, eps: spec.bn.eps } } : {}),
    first_conv: convLayerJson(
      spec.input.channels,
      spec.stem.cout,
      spec.stem.kernel,
      spec.stem.stride,
    ),
    blocks: spec.blocks.map(blockJson),
    feature_mix_layer: mix ? convLayerJson(trunkChannels, mix.cout, 1, 1) : null,
    classifier: {
      name: "LinearLayer",
      in_features: mix ? mix.cout : trunkChannels,
      out_features: spec.classes,
      bias: true,
      use_bn: false,
      act_func: null,
      dropout_rate: spec.head.dropout,
      ops_order: "weight_bn_act",
    },
  };
}
