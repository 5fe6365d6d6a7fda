/**
 * Canonical forms and stable ids of cells: the paper's redundancy removal (§3.2.1).
 *
 * Two cells are equivalent when they compute the same function with the same
 * parameters for every block shape and stride. This file decides equivalence from a
 * cell's *function key*: the output written as an expression of the expanded input,
 * where
 *
 * - each live parametric edge is an op vertex with its own weights (two edges with the
 *   same op on the same input are different vertices; one vertex read twice is shared);
 * - identity edges between inner nodes are contracted (a node fed only by an identity
 *   is a copy), but an identity edge leaving node 0 stays visible as `s(x)`, because at
 *   stride 2 it subsamples, and ids must not depend on the layer a cell sits in;
 * - aggregations are commutative and associative (operands sorted, nested sums of
 *   sums flattened) and vanish at a node with one input;
 * - dead edges and dead nodes never enter the expression, and a cell whose output is
 *   unreachable is the zero cell.
 *
 * This covers four redundancies (dead edges, the zero cell, single
 * input aggregations, order-preserving relabelling of the inner nodes) and one more:
 * chains of identity edges (0 −dw→ 1 −id→ 2 −id→ 3 ≡ 0 −dw→ 1 −id→ 3).
 *
 * The canonical form is the smallest equivalent cell in the order of `EDGE_OP_RANK`
 * (identity first, zero last, edges in `EDGES` order, then add before product), so ops
 * spread over the nodes in order and the reference chain is its own canonical form.
 * The id is the compact form (`formatCell`) of the canonical cell, or "zero".
 */
import { type Cell, EDGES, formatCell, INNER_NODES, ZERO_CELL } from "./cell.ts";
import { liveEdges } from "./cell_graph.ts";
import {
  type Aggregation,
  AGGREGATIONS,
  EDGE_OP_RANK,
  EDGE_OP_SHORT,
  type EdgeOp,
  OPEN_SPACE_OPS,
  type Ratio,
  RATIOS,
} from "./ops.ts";

type Value =
  | { readonly kind: "x" }
  | { readonly kind: "s" }
  | { readonly kind: "op"; readonly vertex: number }
  | { readonly kind: "agg"; readonly label: Aggregation; readonly inputs: readonly Value[] };

interface OpVertex {
  readonly op: EdgeOp;
  readonly input: Value;
}

const INPUT: Value = { kind: "x" };
const SUBSAMPLED_INPUT: Value = { kind: "s" };

/** The expression DAG of a cell's output: op vertices and the output value (null = zero). */
function expressionOf(cell: Cell, live: readonly boolean[]): {
  vertices: OpVertex[];
  output: Value | null;
} {
  const vertices: OpVertex[] = [];
  const values: (Value | null)[] = [INPUT, null, null, null];
  for (let node = 1; node < INNER_NODES; node++) {
    const inputs: Value[] = [];
    EDGES.forEach(([from, to], index) => {
      if (to !== node || !live[index]) return;
      const source = values[from];
      if (source === null) return;
      const op = cell.edges[index];
      if (op === "identity") {
        inputs.push(from === 0 ? SUBSAMPLED_INPUT : source);
      } else {
        vertices.push({ op, input: source });
        inputs.push({ kind: "op", vertex: vertices.length - 1 });
      }
    });
    if (inputs.length === 0) continue;
    if (inputs.length === 1) {
      values[node] = inputs[0];
      continue;
    }
    const label = cell.aggregation[node - 2];
    const flat: Value[] = [];
    for (const input of inputs) {
      if (input.kind === "agg" && input.label === label) flat.push(...input.inputs);
      else flat.push(input);
    }
    values[node] = { kind: "agg", label, inputs: flat };
  }
  return { vertices, output: values[INNER_NODES - 1] };
}

function render(value: Value, vertices: readonly OpVertex[], tags: readonly string[]): string {
  switch (value.kind) {
    case "x":
      return "x";
    case "s":
      return "s(x)";
    case "op": {
      const vertex = vertices[value.vertex];
      return `${EDGE_OP_SHORT[vertex.op]}${tags[value.vertex]}(${
        render(vertex.input, vertices, tags)
      })`;
    }
    case "agg": {
      const parts = value.inputs.map((input) => render(input, vertices, tags)).sort();
      return `${value.label}[${parts.join(",")}]`;
    }
  }
}

/** All ways to number the members of each group (cartesian product of permutations). */
function* taggings(groups: readonly number[][], count: number): Generator<string[]> {
  const tags = new Array<string>(count).fill("");
  function* visit(g: number): Generator<string[]> {
    if (g === groups.length) {
      yield tags;
      return;
    }
    for (const order of permutations(groups[g])) {
      order.forEach((vertex, rank) => (tags[vertex] = `#${rank}`));
      yield* visit(g + 1);
    }
  }
  yield* visit(0);
}

function permutations(items: readonly number[]): number[][] {
  if (items.length <= 1) return [[...items]];
  const out: number[][] = [];
  items.forEach((item, index) => {
    const rest = items.filter((_, other) => other !== index);
    for (const tail of permutations(rest)) out.push([item, ...tail]);
  });
  return out;
}

/**
 * The function key of a cell: equal keys ⇔ equivalent cells (see the file comment).
 * Op vertices whose expressions coincide get `#k` tags so that sharing is recorded;
 * the smallest tagging is taken, which makes the key independent of edge order.
 */
export function functionKey(cell: Cell): string {
  const live = liveEdges(cell);
  if (!live.some((x) => x)) return "zero";
  const { vertices, output } = expressionOf(cell, live);
  if (output === null) return "zero";
  const prefix = `r${cell.ratio}${cell.se ? "+se" : ""}|`;
  const untagged = new Array<string>(vertices.length).fill("");
  const names = vertices.map((_, v) => render({ kind: "op", vertex: v }, vertices, untagged));
  const groups = new Map<string, number[]>();
  names.forEach((name, v) => groups.set(name, [...(groups.get(name) ?? []), v]));
  const tied = [...groups.values()].filter((group) => group.length > 1);
  if (tied.length === 0) return prefix + render(output, vertices, untagged);
  let best: string | null = null;
  for (const tags of taggings(tied, vertices.length)) {
    const text = render(output, vertices, tags);
    if (best === null || text < best) best = text;
  }
  return prefix + best;
}

/** True when two cells compute the same function (same function key). */
export function equivalentCells(a: Cell, b: Cell): boolean {
  return functionKey(a) === functionKey(b);
}

const canonicalCache = new Map<string, Cell>();

/**
 * The canonical form of a cell: the smallest equivalent cell (see the file comment).
 * Searches the cells that use the same live parametric ops, filling the other edges
 * with identity or zero; results are cached by function key.
 */
export function canonicalize(cell: Cell): Cell {
  const key = functionKey(cell);
  if (key === "zero") return ZERO_CELL;
  const cached = canonicalCache.get(key);
  if (cached) return cached;
  const live = liveEdges(cell);
  const counts = new Map<EdgeOp, number>();
  cell.edges.forEach((op, index) => {
    if (live[index] && op !== "identity") counts.set(op, (counts.get(op) ?? 0) + 1);
  });
  const alphabet: EdgeOp[] = ["identity", ...counts.keys(), "zero"];
  alphabet.sort((a, b) => EDGE_OP_RANK[a] - EDGE_OP_RANK[b]);
  const edges = new Array<EdgeOp>(EDGES.length);
  // Depth-first in lexicographic order: the first match is the smallest equivalent cell.
  const search = (position: number): Cell | null => {
    if (position === EDGES.length) {
      // A canonical cell has no dead edges.
      const candidateLive = liveEdges({ ...cell, edges });
      if (edges.some((op, index) => op !== "zero" && !candidateLive[index])) return null;
      for (const first of AGGREGATIONS) {
        for (const second of AGGREGATIONS) {
          const candidate: Cell = {
            ratio: cell.ratio,
            edges: [...edges],
            aggregation: [first, second],
            se: cell.se,
          };
          if (functionKey(candidate) === key) return candidate;
        }
      }
      return null;
    }
    const remaining = EDGES.length - position;
    let needed = 0;
    for (const n of counts.values()) needed += n;
    if (needed > remaining) return null;
    for (const op of alphabet) {
      const left = counts.get(op);
      if (left !== undefined) {
        if (left === 0) continue;
        counts.set(op, left - 1);
      }
      edges[position] = op;
      const found = search(position + 1);
      if (left !== undefined) counts.set(op, left);
      if (found) return found;
    }
    return null;
  };
  const canonical = search(0);
  if (!canonical) throw new Error(`canonicalize: no canonical form found for ${formatCell(cell)}`);
  canonicalCache.set(key, canonical);
  return canonical;
}

/** Stable id of a cell: "zero" for the zero cell, else the compact form of its canonical cell. */
export function cellId(cell: Cell): string {
  const canonical = canonicalize(cell);
  return canonical === ZERO_CELL ? "zero" : formatCell(canonical);
}

/** How the raw open space treats aggregation when enumerating. */
export type AggregationCounting = "shared" | "per-node";

/**
 * Every raw cell of an open space: ops^6 × ratios × aggregations. With "shared", one
 * aggregation serves both nodes (the paper's 5^6 × 3 × 2 = 93,750); with "per-node",
 * nodes 2 and 3 choose independently, as the released configs store them (187,500).
 */
export function* rawCells(options: {
  ops?: readonly EdgeOp[];
  ratios?: readonly Ratio[];
  aggregation?: AggregationCounting;
  se?: boolean;
} = {}): Generator<Cell> {
  const ops = options.ops ?? OPEN_SPACE_OPS;
  const ratios = options.ratios ?? RATIOS;
  const aggregationPairs: [Aggregation, Aggregation][] = options.aggregation === "per-node"
    ? AGGREGATIONS.flatMap((a) => AGGREGATIONS.map((b): [Aggregation, Aggregation] => [a, b]))
    : AGGREGATIONS.map((a): [Aggregation, Aggregation] => [a, a]);
  const total = ops.length ** EDGES.length;
  for (const ratio of ratios) {
    for (const aggregation of aggregationPairs) {
      for (let code = 0; code < total; code++) {
        const edges: EdgeOp[] = [];
        let rest = code;
        for (let e = 0; e < EDGES.length; e++) {
          edges.push(ops[rest % ops.length]);
          rest = Math.floor(rest / ops.length);
        }
        yield { ratio, edges, aggregation, se: options.se ?? false };
      }
    }
  }
}

/** Raw and distinct cell counts of an open space (distinct includes the zero cell once). */
export interface CellCounts {
  raw: number;
  distinct: number;
  zeroRaw: number;
}

/** Counts the raw cells of an open space and how many distinct cells remain (by function key). */
export function countDistinctCells(
  options: {
    ops?: readonly EdgeOp[];
    ratios?: readonly Ratio[];
    aggregation?: AggregationCounting;
  } = {},
): CellCounts {
  const keys = new Set<string>();
  let raw = 0;
  let zeroRaw = 0;
  for (const cell of rawCells(options)) {
    raw++;
    const key = functionKey(cell);
    if (key === "zero") zeroRaw++;
    keys.add(key);
  }
  return { raw, distinct: keys.size, zeroRaw };
}
