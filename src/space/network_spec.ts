/**
 * A network as plain JSON: the contract between the space code (counting, import,
 * export, drawing) and the builder that turns a spec into a trainable network.
 *
 * Layer semantics (the builder follows these exactly; "conv" means bias-free conv):
 *
 * - Input: `input.channels` × `input.size` × `input.size` (counters accept other sizes).
 * - Stem: conv k×k, stride s, padding ⌊k/2⌋, input.channels → stem.cout, → BN → ReLU6.
 * - Block "inverted_residual" (MobileNetV2): mid = `mid` ?? cin·expansion;
 *   [expansion ≠ 1: 1×1 conv cin → mid → BN → ReLU6] → depthwise k×k conv, stride,
 *   padding ⌊k/2⌋ → BN → ReLU6 → [se: squeeze-and-excitation on mid] → 1×1 conv
 *   mid → cout → BN (linear, no activation).
 * - Block "cell": see `cell.ts` for the DAG and `cell_graph.ts` (`cellPlan`) for what to
 *   build: expansion 1×1 conv → BN → ReLU6 (ratio > 1), then each live node in order;
 *   each live edge is conv → BN → ReLU6 for 1×1, 3×3 (full) and depthwise k×k ops
 *   (padding ⌊k/2⌋), a copy for identity; edges out of node 0 carry the block's stride
 *   (identity out of node 0 subsamples, keeping pixel (2y, 2x)); a node's live inputs
 *   are summed or multiplied element-wise; [cell.se: SE on node 3]; 1×1 conv
 *   r·cin → cout → BN (linear). Dead edges and nodes are not built.
 * - Block "zero": the op is zero and the block is an identity skip; only valid where
 *   stride is 1 and cin = cout (ProxylessNAS's ZeroLayer with its shortcut).
 * - Residual: "inverted_residual" and "cell" blocks add their input to their output
 *   when stride = 1 and cin = cout (`hasResidual`). A cell block whose cell is the zero
 *   cell must have a residual, and then is an identity skip.
 * - SE (squeeze-and-excitation): global average pool → 1×1 conv mid → se_mid (bias)
 *   → ReLU → 1×1 conv se_mid → mid (bias) → hard sigmoid → scale; se_mid =
 *   `seChannels(mid)` (mid/4 rounded to a multiple of 8).
 * - Head: [featureMix: 1×1 conv → BN → ReLU6 to featureMix.cout] → global average
 *   pool → dropout(head.dropout) → linear classifier with bias → `classes` logits.
 * - BN: learnable scale and shift; `bn` gives momentum and eps when a file carries them.
 * - Spatial size: every conv pads ⌊k/2⌋, so a stride-s layer maps H to ⌊(H − 1)/s⌋ + 1.
 */
import { type Cell, type CellJson, cellToJson, formatCell, makeCell, parseCell } from "./cell.ts";
import { type EdgeOp, isRatio } from "./ops.ts";
import { isZeroCell } from "./cell_graph.ts";
import {
  at,
  field,
  readArray,
  readBool,
  readEnum,
  readInt,
  readNumber,
  readObject,
  readString,
  SpecError,
} from "./spec_error.ts";

/** Format tag of network spec files. */
export const NETWORK_SPEC_FORMAT = "autospace.network/v1";

/** Kernel sizes of inverted residual blocks. */
export const IRB_KERNELS = [3, 5, 7] as const;

/** MobileNetV2's inverted residual block. */
export interface InvertedResidualBlock {
  readonly type: "inverted_residual";
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
  readonly kernel: number;
  readonly expansion: number;
  /** Hidden width when it is not cin·expansion (net.config `mid_channels`). */
  readonly mid?: number;
  readonly se: boolean;
}

/** A cell of the open space as a block. SE is the cell's own flag. */
export interface CellBlock {
  readonly type: "cell";
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
  readonly cell: Cell;
}

/** The zero op with its identity shortcut: a skipped layer. */
export interface ZeroBlock {
  readonly type: "zero";
  readonly cin: number;
  readonly cout: number;
  readonly stride: number;
}

/** One layer of a network. */
export type BlockSpec = InvertedResidualBlock | CellBlock | ZeroBlock;

/** Input images: channels × size × size. */
export interface InputSpec {
  readonly channels: number;
  readonly size: number;
}

/** First conv → BN → ReLU6. */
export interface StemSpec {
  readonly cout: number;
  readonly kernel: number;
  readonly stride: number;
}

/** Feature mix, pooling, dropout; the classifier is linear(with bias) → `classes`. */
export interface HeadSpec {
  readonly featureMix: { readonly cout: number } | null;
  readonly dropout: number;
}

/** Batch-norm settings carried by some files (ProxylessNAS `bn`). */
export interface BnSpec {
  readonly momentum: number;
  readonly eps: number;
}

/** A whole network. */
export interface NetworkSpec {
  readonly name: string;
  readonly input: InputSpec;
  readonly stem: StemSpec;
  readonly blocks: readonly BlockSpec[];
  readonly head: HeadSpec;
  readonly classes: number;
  readonly bn?: BnSpec;
}

/** True when the block adds its input to its output: stride 1 and cin = cout. */
export function hasResidual(block: BlockSpec): boolean {
  return block.stride === 1 && block.cin === block.cout;
}

/** Spatial output size of a layer with padding ⌊k/2⌋ and stride s (odd k or k = 1). */
export function outputSize(size: number, stride: number): number {
  return Math.floor((size - 1) / stride) + 1;
}

/** SE hidden width: mid/4 rounded to the nearest multiple of 8 (at least 8, ≥ 90% of mid/4). */
export function seChannels(mid: number): number {
  const target = mid / 4;
  let value = Math.max(8, Math.floor((target + 4) / 8) * 8);
  if (value < 0.9 * target) value += 8;
  return value;
}

/** Hidden width of an inverted residual block. */
export function irbMid(block: InvertedResidualBlock): number {
  return block.mid ?? block.cin * block.expansion;
}

/** Short description of a block for tables: "IRB k3 e6", "cell r6:dw3,-,id,-,-,id:++", "zero (skip)". */
export function describeBlock(block: BlockSpec): string {
  switch (block.type) {
    case "inverted_residual":
      return `IRB k${block.kernel} e${block.expansion}${block.se ? " se" : ""}`;
    case "cell":
      return `cell ${formatCell(block.cell)}`;
    case "zero":
      return "zero (skip)";
  }
}

/**
 * A block as a cell of the open space, for drawings: a cell block's own cell; an
 * inverted residual block kK eE (no SE, the usual width, E a cell ratio) as the
 * reference-DAG cell with a depthwise K×K edge, which builds the same network; null
 * for the zero block and for blocks no cell expresses.
 */
export function blockAsCell(block: BlockSpec): Cell | null {
  if (block.type === "cell") return block.cell;
  if (block.type === "zero" || block.se || block.mid !== undefined) return null;
  if (!isRatio(block.expansion)) return null;
  const dw = `dwconv${block.kernel}x${block.kernel}` as EdgeOp;
  return makeCell({
    ratio: block.expansion,
    edges: { "0-1": dw, "1-2": "identity", "2-3": "identity" },
  });
}

/** Checks the structural rules a block must obey; throws a `SpecError` at `path`. */
export function checkBlock(block: BlockSpec, path: string): void {
  if (block.stride !== 1 && block.stride !== 2) {
    throw new SpecError(at(path, "stride"), `stride must be 1 or 2, got ${block.stride}`);
  }
  if (block.type === "zero" && !hasResidual(block)) {
    throw new SpecError(
      path,
      `a zero block needs stride 1 and cin = cout (got stride ${block.stride}, ` +
        `${block.cin} -> ${block.cout}); it is a skipped layer`,
    );
  }
  if (block.type === "cell" && !hasResidual(block) && isZeroCell(block.cell)) {
    throw new SpecError(
      at(path, "cell"),
      "the zero cell (output unreachable) needs a residual (stride 1, cin = cout); " +
        "this block would output zeros",
    );
  }
}

/** Checks channel chaining and block rules of a whole spec; throws a `SpecError`. */
export function checkNetwork(spec: NetworkSpec): void {
  let channels = spec.stem.cout;
  spec.blocks.forEach((block, index) => {
    const path = at("blocks", index);
    if (block.cin !== channels) {
      throw new SpecError(
        at(path, "cin"),
        `cin ${block.cin} does not match the previous layer's ${channels} output channels`,
      );
    }
    checkBlock(block, path);
    channels = block.cout;
  });
}

/** Reads one block at `path`. */
export function parseBlock(value: unknown, path: string): BlockSpec {
  const obj = readObject(value, path);
  const type = readEnum(
    field(obj, "type", path),
    at(path, "type"),
    ["inverted_residual", "cell", "zero"] as const,
    "block type",
  );
  const cin = readInt(field(obj, "cin", path), at(path, "cin"), 1);
  const cout = readInt(field(obj, "cout", path), at(path, "cout"), 1);
  const stride = readInt(field(obj, "stride", path), at(path, "stride"), 1, 2);
  let block: BlockSpec;
  if (type === "inverted_residual") {
    const kernel = readEnum(field(obj, "kernel", path), at(path, "kernel"), IRB_KERNELS, "kernel");
    const expansion = readInt(field(obj, "expansion", path), at(path, "expansion"), 1);
    const se = "se" in obj ? readBool(obj.se, at(path, "se")) : false;
    const mid = obj.mid === undefined || obj.mid === null
      ? undefined
      : readInt(obj.mid, at(path, "mid"), 1);
    block = { type, cin, cout, stride, kernel, expansion, se, ...(mid ? { mid } : {}) };
  } else if (type === "cell") {
    block = {
      type,
      cin,
      cout,
      stride,
      cell: parseCell(field(obj, "cell", path), at(path, "cell")),
    };
  } else {
    block = { type, cin, cout, stride };
  }
  checkBlock(block, path);
  return block;
}

/** Reads `input` at `path`. */
export function parseInput(value: unknown, path: string): InputSpec {
  const obj = readObject(value, path);
  return {
    channels: readInt(field(obj, "channels", path), at(path, "channels"), 1),
    size: readInt(field(obj, "size", path), at(path, "size"), 1),
  };
}

/** Reads `stem` at `path`. */
export function parseStem(value: unknown, path: string): StemSpec {
  const obj = readObject(value, path);
  return {
    cout: readInt(field(obj, "cout", path), at(path, "cout"), 1),
    kernel: readEnum(field(obj, "kernel", path), at(path, "kernel"), [1, 3, 5, 7], "kernel"),
    stride: readInt(field(obj, "stride", path), at(path, "stride"), 1, 2),
  };
}

/** Reads `head` at `path`. */
export function parseHead(value: unknown, path: string): HeadSpec {
  const obj = readObject(value, path);
  const mixPath = at(path, "featureMix");
  let featureMix: { cout: number } | null = null;
  if (obj.featureMix !== null && obj.featureMix !== undefined) {
    const mix = readObject(obj.featureMix, mixPath);
    featureMix = { cout: readInt(field(mix, "cout", mixPath), at(mixPath, "cout"), 1) };
  }
  const dropoutPath = at(path, "dropout");
  const dropout = "dropout" in obj ? readNumber(obj.dropout, dropoutPath) : 0;
  if (dropout < 0 || dropout >= 1) {
    throw new SpecError(dropoutPath, `dropout must be in [0, 1), got ${dropout}`);
  }
  return { featureMix, dropout };
}

/** Reads a network spec from parsed JSON; throws a `SpecError` naming the bad path. */
export function parseNetworkSpec(value: unknown): NetworkSpec {
  const obj = readObject(value, "");
  if ("format" in obj && obj.format !== NETWORK_SPEC_FORMAT) {
    readEnum(obj.format, "format", [NETWORK_SPEC_FORMAT], "format");
  }
  const spec: NetworkSpec = {
    name: "name" in obj ? readString(obj.name, "name") : "network",
    input: parseInput(field(obj, "input", ""), "input"),
    stem: parseStem(field(obj, "stem", ""), "stem"),
    blocks: readArray(field(obj, "blocks", ""), "blocks").map((block, index) =>
      parseBlock(block, at("blocks", index))
    ),
    head: parseHead(field(obj, "head", ""), "head"),
    classes: readInt(field(obj, "classes", ""), "classes", 1),
    ...("bn" in obj ? { bn: parseBn(obj.bn, "bn") } : {}),
  };
  checkNetwork(spec);
  return spec;
}

/** Reads `bn` at `path`. */
export function parseBn(value: unknown, path: string): BnSpec {
  const obj = readObject(value, path);
  return {
    momentum: readNumber(field(obj, "momentum", path), at(path, "momentum")),
    eps: readNumber(field(obj, "eps", path), at(path, "eps")),
  };
}

/** JSON form of a block (cells as `CellJson`). */
export function blockToJson(block: BlockSpec): Record<string, unknown> {
  if (block.type === "cell") {
    const cell: CellJson = cellToJson(block.cell);
    return { type: block.type, cin: block.cin, cout: block.cout, stride: block.stride, cell };
  }
  return { ...block };
}

/** JSON form of a network spec, tagged with `NETWORK_SPEC_FORMAT`. */
export function networkToJson(spec: NetworkSpec): Record<string, unknown> {
  return {
    format: NETWORK_SPEC_FORMAT,
    name: spec.name,
    input: { ...spec.input },
    stem: { ...spec.stem },
    blocks: spec.blocks.map(blockToJson),
    head: { featureMix: spec.head.featureMix, dropout: spec.head.dropout },
    classes: spec.classes,
    ...(spec.bn ? { bn: { ...spec.bn } } : {}),
  };
}
