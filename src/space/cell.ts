/**
 * A cell of the open search space (paper §3.1): one DAG that a network layer runs.
 *
 *   input ─1×1 conv (C_in → r·C_in)─▶ node 0 ─┬─ 6 edges i → j (i < j) ─▶ node 3 ─1×1 conv─▶ output
 *                                              nodes 1, 2 in between
 *
 * - The input node expands C_in → r·C_in with a 1×1 conv → BN → ReLU6 (r ∈ {1, 3, 6});
 *   with r = 1 there is no expansion conv and node 0 is the block input, exactly as in
 *   a MobileNetV2 block with expansion 1.
 * - The 4 inner nodes 0..3 all carry r·C_in channels. Each of the 6 edges i → j has one
 *   op (see `ops.ts`): a parametric op is conv → BN → ReLU6 (1×1 conv, 3×3 conv, or a
 *   depthwise k×k conv), identity copies, zero contributes nothing.
 * - Node j ≥ 1 aggregates its live inputs by addition or element-wise product; only
 *   nodes 2 and 3 can have more than one input (node 1's only possible input is 0 → 1),
 *   so a cell stores two aggregations, for nodes 2 and 3, as the released configs do
 *   (`feature_mix_mode_idx: [a, b]`).
 * - Stride 2 is applied on the edges that leave node 0: a parametric edge out of node 0
 *   runs its conv with stride 2 and an identity edge out of node 0 subsamples (keeps
 *   pixel (2y, 2x)); the expansion conv runs at the input resolution. With this rule the
 *   reference cell is exactly an inverted residual block with stride in its depthwise
 *   conv, and the released 340M network counts 336M MAdds (README figure: 340M);
 *   striding the expansion conv instead gives 304M.
 * - Optional squeeze-and-excitation (`se`) acts on node 3 (r·C_in channels) before the
 *   projection, where MobileNetV3/EfficientNet put it in their blocks.
 * - The output node projects node 3 to C_out with a 1×1 conv → BN, no activation
 *   (linear bottleneck). A residual connection adds the block input when stride is 1
 *   and C_in = C_out.
 */
import {
  type Aggregation,
  AGGREGATION_SHORT,
  AGGREGATIONS,
  EDGE_OP_SHORT,
  EDGE_OPS,
  type EdgeOp,
  isAggregation,
  isEdgeOp,
  isRatio,
  type Ratio,
  RATIOS,
} from "./ops.ts";
import { at, field, readArray, readBool, readEnum, readObject, SpecError } from "./spec_error.ts";

/** Number of inner nodes of a cell (the paper's 6 nodes minus the two IO nodes). */
export const INNER_NODES = 4;

/** The 6 possible edges [from, to] of the inner DAG, in the order `Cell.edges` stores them. */
export const EDGES: readonly (readonly [number, number])[] = [
  [0, 1],
  [0, 2],
  [1, 2],
  [0, 3],
  [1, 3],
  [2, 3],
];

/** A cell: ratio, one op per edge (in `EDGES` order), aggregations of nodes 2 and 3, SE flag. */
export interface Cell {
  readonly ratio: Ratio;
  readonly edges: readonly EdgeOp[];
  readonly aggregation: readonly [Aggregation, Aggregation];
  readonly se: boolean;
}

/** Index into `Cell.edges` of edge i → j (i < j ≤ 3). */
export function edgeIndex(from: number, to: number): number {
  const index = EDGES.findIndex(([i, j]) => i === from && j === to);
  if (index < 0) throw new RangeError(`edgeIndex: no edge ${from} -> ${to} in a 4-node cell`);
  return index;
}

/** The op on edge i → j. */
export function edgeOp(cell: Cell, from: number, to: number): EdgeOp {
  return cell.edges[edgeIndex(from, to)];
}

/** Builds a cell; `edges` maps "i-j" to an op, missing edges are zero. */
export function makeCell(
  options: {
    ratio: Ratio;
    edges: Partial<Record<string, EdgeOp>>;
    aggregation?: readonly [Aggregation, Aggregation];
    se?: boolean;
  },
): Cell {
  const edges = EDGES.map(([i, j]) => options.edges[`${i}-${j}`] ?? "zero");
  for (const key of Object.keys(options.edges)) {
    const [i, j] = key.split("-").map(Number);
    edgeIndex(i, j); // throws on keys that are not edges
  }
  return {
    ratio: options.ratio,
    edges,
    aggregation: options.aggregation ?? ["add", "add"],
    se: options.se ?? false,
  };
}

/**
 * The paper's reference DAG: the inverted residual block written as a cell,
 * 0 −dw3×3→ 1 −id→ 2 −id→ 3 with r = 6 (MobileNetV2's expansion).
 */
export const REFERENCE_CELL: Cell = makeCell({
  ratio: 6,
  edges: { "0-1": "dwconv3x3", "1-2": "identity", "2-3": "identity" },
});

/** The canonical zero cell: every edge zero, so the output node is unreachable. */
export const ZERO_CELL: Cell = makeCell({ ratio: 1, edges: {} });

/** Structural equality of two cells (same genes; see `canonical.ts` for equivalence). */
export function cellsEqual(a: Cell, b: Cell): boolean {
  return a.ratio === b.ratio && a.se === b.se &&
    a.aggregation[0] === b.aggregation[0] && a.aggregation[1] === b.aggregation[1] &&
    a.edges.every((op, index) => op === b.edges[index]);
}

/**
 * Compact text form, used for cell ids and tables:
 * `r6:dw3,-,id,-,-,id:++` = ratio, the 6 edge ops in `EDGES` order, aggregations of
 * nodes 2 and 3 ("+" add, "*" product), and a trailing `:se` when SE is on.
 */
export function formatCell(cell: Cell): string {
  const ops = cell.edges.map((op) => EDGE_OP_SHORT[op]).join(",");
  const aggs = cell.aggregation.map((a) => AGGREGATION_SHORT[a]).join("");
  return `r${cell.ratio}:${ops}:${aggs}${cell.se ? ":se" : ""}`;
}

/** Parses the output of `formatCell`; throws a one-line error naming the bad part. */
export function parseCompactCell(text: string): Cell {
  const parts = text.trim().split(":");
  const fail = (what: string): never => {
    throw new Error(`cell "${text}": ${what} (expected e.g. r6:dw3,-,id,-,-,id:++)`);
  };
  if (parts.length < 3 || parts.length > 4) fail("wrong number of ':'-separated parts");
  if (parts.length === 4 && parts[3] !== "se") fail(`unknown suffix "${parts[3]}"`);
  const ratio = Number(parts[0].replace(/^r/, ""));
  if (!parts[0].startsWith("r") || !isRatio(ratio)) fail(`bad ratio "${parts[0]}"`);
  const shorts = parts[1].split(",");
  if (shorts.length !== EDGES.length) fail(`expected ${EDGES.length} edge ops`);
  const edges = shorts.map((short) => {
    const op = EDGE_OPS.find((candidate) => EDGE_OP_SHORT[candidate] === short);
    return op ?? fail(`unknown op "${short}"`);
  });
  const aggs = [...parts[2]].map((symbol) => {
    const agg = AGGREGATIONS.find((candidate) => AGGREGATION_SHORT[candidate] === symbol);
    return agg ?? fail(`unknown aggregation "${symbol}"`);
  });
  if (aggs.length !== 2) fail("expected 2 aggregations");
  return { ratio: ratio as Ratio, edges, aggregation: [aggs[0], aggs[1]], se: parts.length === 4 };
}

/** JSON form of a cell, as it appears in network specs and search-space files. */
export interface CellJson {
  ratio: number;
  edges: string[];
  aggregation: string[];
  se: boolean;
}

/** A plain JSON object for `cell` (field order fixed, for stable files). */
export function cellToJson(cell: Cell): CellJson {
  return {
    ratio: cell.ratio,
    edges: [...cell.edges],
    aggregation: [...cell.aggregation],
    se: cell.se,
  };
}

/**
 * Reads a cell from JSON at `path`. Accepts the object form (`cellToJson`) or the
 * compact string form (`formatCell`).
 */
export function parseCell(value: unknown, path: string): Cell {
  if (typeof value === "string") {
    try {
      return parseCompactCell(value);
    } catch (err) {
      throw new SpecError(path, (err as Error).message);
    }
  }
  const obj = readObject(value, path);
  const ratio = readEnum(field(obj, "ratio", path), at(path, "ratio"), RATIOS, "ratio");
  const edgesPath = at(path, "edges");
  const edges = readArray(field(obj, "edges", path), edgesPath, EDGES.length).map((op, index) => {
    if (!isEdgeOp(op)) {
      readEnum(op, at(edgesPath, index), EDGE_OPS, `op on edge ${EDGES[index].join(" -> ")}`);
    }
    return op as EdgeOp;
  });
  const aggPath = at(path, "aggregation");
  const aggregation = readArray(field(obj, "aggregation", path), aggPath, 2).map((agg, index) => {
    if (!isAggregation(agg)) readEnum(agg, at(aggPath, index), AGGREGATIONS, "aggregation");
    return agg as Aggregation;
  });
  const se = "se" in obj ? readBool(obj.se, at(path, "se")) : false;
  return { ratio, edges, aggregation: [aggregation[0], aggregation[1]], se };
}

/** Checks a cell built in code (not from JSON); throws a RangeError naming the bad gene. */
export function assertCell(cell: Cell): void {
  if (!isRatio(cell.ratio)) {
    throw new RangeError(`cell: ratio must be 1, 3 or 6, got ${cell.ratio}`);
  }
  if (cell.edges.length !== EDGES.length) {
    throw new RangeError(`cell: expected ${EDGES.length} edges, got ${cell.edges.length}`);
  }
  cell.edges.forEach((op, index) => {
    if (!isEdgeOp(op)) throw new RangeError(`cell: edges[${index}]: unknown op ${String(op)}`);
  });
  cell.aggregation.forEach((agg, index) => {
    if (!isAggregation(agg)) {
      throw new RangeError(`cell: aggregation[${index}]: unknown aggregation ${String(agg)}`);
    }
  });
}
