/**
 * The vocabulary of a cell: edge operations, aggregations and expansion ratios
 * (paper §3.1, "Basic operators").
 *
 * The paper's open space has five edge ops: 1×1 conv, 3×3 conv, depthwise conv,
 * identity and zero. The released AutoSpace network (`net_340M.config`) also uses
 * depthwise 5×5 and 7×7 edges, so those exist as ops too; they are never sampled
 * unless a caller asks for them (see `OPEN_SPACE_OPS`).
 */

/** One edge operation of a cell. Every parametric op is conv → BN → ReLU6. */
export type EdgeOp =
  | "zero"
  | "identity"
  | "conv1x1"
  | "conv3x3"
  | "dwconv3x3"
  | "dwconv5x5"
  | "dwconv7x7";

/** All edge ops this code knows, in canonical order (see `EDGE_OP_RANK`). */
export const EDGE_OPS: readonly EdgeOp[] = [
  "identity",
  "conv1x1",
  "conv3x3",
  "dwconv3x3",
  "dwconv5x5",
  "dwconv7x7",
  "zero",
];

/** The paper's five basic operators: the ops that random cells and mutations draw from. */
export const OPEN_SPACE_OPS: readonly EdgeOp[] = [
  "conv1x1",
  "conv3x3",
  "dwconv3x3",
  "identity",
  "zero",
];

/**
 * Order used to pick a canonical representative: identity first, zero last, so that
 * among equivalent cells the canonical one spreads its ops over the nodes in order
 * (the reference chain 0 −dw→ 1 −id→ 2 −id→ 3 is its own canonical form).
 */
export const EDGE_OP_RANK: Readonly<Record<EdgeOp, number>> = {
  identity: 0,
  conv1x1: 1,
  conv3x3: 2,
  dwconv3x3: 3,
  dwconv5x5: 4,
  dwconv7x7: 5,
  zero: 6,
};

/** Short names used in cell ids and tables. */
export const EDGE_OP_SHORT: Readonly<Record<EdgeOp, string>> = {
  zero: "-",
  identity: "id",
  conv1x1: "c1",
  conv3x3: "c3",
  dwconv3x3: "dw3",
  dwconv5x5: "dw5",
  dwconv7x7: "dw7",
};

/** Labels in the style of the paper's Figure 4. */
export const EDGE_OP_LABEL: Readonly<Record<EdgeOp, string>> = {
  zero: "Zero",
  identity: "Identity",
  conv1x1: "Conv k1",
  conv3x3: "Conv k3",
  dwconv3x3: "DConv k3",
  dwconv5x5: "DConv k5",
  dwconv7x7: "DConv k7",
};

/** Kernel size and grouping of a parametric op; null for zero and identity. */
export function edgeOpConv(op: EdgeOp): { kernel: number; depthwise: boolean } | null {
  switch (op) {
    case "conv1x1":
      return { kernel: 1, depthwise: false };
    case "conv3x3":
      return { kernel: 3, depthwise: false };
    case "dwconv3x3":
      return { kernel: 3, depthwise: true };
    case "dwconv5x5":
      return { kernel: 5, depthwise: true };
    case "dwconv7x7":
      return { kernel: 7, depthwise: true };
    default:
      return null;
  }
}

/** How a node with several live inputs combines them. */
export type Aggregation = "add" | "product";

/** Aggregations in canonical order (add first). */
export const AGGREGATIONS: readonly Aggregation[] = ["add", "product"];

/** Symbols for cell ids ("+", "*") and drawings ("⊕", "⊙"). */
export const AGGREGATION_SHORT: Readonly<Record<Aggregation, string>> = { add: "+", product: "*" };
export const AGGREGATION_SYMBOL: Readonly<Record<Aggregation, string>> = {
  add: "⊕",
  product: "⊙",
};

/** Expansion ratio r of the input node: C_in → r·C_in. */
export type Ratio = 1 | 3 | 6;

/** The ratios of the open space, in the order of the released `dim_conv_idx` codes (0, 1, 2). */
export const RATIOS: readonly Ratio[] = [1, 3, 6];

/** True when `value` is a known edge op name. */
export function isEdgeOp(value: unknown): value is EdgeOp {
  return typeof value === "string" && value in EDGE_OP_RANK;
}

/** True when `value` is a known aggregation name. */
export function isAggregation(value: unknown): value is Aggregation {
  return value === "add" || value === "product";
}

/** True when `value` is 1, 3 or 6. */
export function isRatio(value: unknown): value is Ratio {
  return value === 1 || value === 3 || value === 6;
}
