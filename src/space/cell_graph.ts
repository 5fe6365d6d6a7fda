/**
 * Which parts of a cell actually compute something, and the plan a builder follows.
 *
 * An edge is live when its op is not zero and it lies on a path node 0 → node 3 of
 * non-zero edges; every other edge is dead and is neither built nor counted. A node
 * with no live input is dead. When node 3 is unreachable the cell is the zero cell: its
 * output is all zeros (with a residual connection, the block is an identity skip).
 */
import { type Cell, EDGES, INNER_NODES } from "./cell.ts";
import { type Aggregation, type EdgeOp, edgeOpConv } from "./ops.ts";

/** Per edge (in `EDGES` order): true when the edge is live. */
export function liveEdges(cell: Cell): boolean[] {
  const forward = new Array<boolean>(INNER_NODES).fill(false);
  forward[0] = true;
  EDGES.forEach(([i, j], index) => {
    if (cell.edges[index] !== "zero" && forward[i]) forward[j] = true;
  });
  const backward = new Array<boolean>(INNER_NODES).fill(false);
  backward[INNER_NODES - 1] = true;
  for (let index = EDGES.length - 1; index >= 0; index--) {
    const [i, j] = EDGES[index];
    if (cell.edges[index] !== "zero" && backward[j]) backward[i] = true;
  }
  if (!forward[INNER_NODES - 1]) return EDGES.map(() => false);
  return EDGES.map(([i, j], index) => cell.edges[index] !== "zero" && forward[i] && backward[j]);
}

/** True when the output node is unreachable from the input: the cell computes zero. */
export function isZeroCell(cell: Cell): boolean {
  return !liveEdges(cell).some((live) => live);
}

/** Number of live inputs of each inner node. */
export function liveInDegree(cell: Cell): number[] {
  const degree = new Array<number>(INNER_NODES).fill(0);
  liveEdges(cell).forEach((live, index) => {
    if (live) degree[EDGES[index][1]]++;
  });
  return degree;
}

/**
 * The cell's depth: the most convolutions on a live path node 0 → node 3 (0 to 3;
 * identity edges add none, so equivalent cells — an identity chain contracted or not —
 * have the same depth). The expansion and projection 1×1 convs that every non-zero cell
 * has around its DAG are not counted; the zero cell's depth is 0.
 */
export function cellDepth(cell: Cell): number {
  const live = liveEdges(cell);
  // Most convs on a live path from node 0 to each node (−1: not reached).
  const depth = new Array<number>(INNER_NODES).fill(-1);
  depth[0] = 0;
  EDGES.forEach(([i, j], index) => {
    if (!live[index] || depth[i] < 0) return;
    const through = depth[i] + (edgeOpConv(cell.edges[index]) === null ? 0 : 1);
    depth[j] = Math.max(depth[j], through);
  });
  return Math.max(0, depth[INNER_NODES - 1]);
}

/** One live edge of a plan. `strided` edges leave node 0 and carry the block's stride. */
export interface PlanEdge {
  readonly from: number;
  readonly to: number;
  readonly op: EdgeOp;
  readonly strided: boolean;
}

/** One live inner node ≥ 1: its live inputs, and their aggregation when there are several. */
export interface PlanNode {
  readonly node: number;
  readonly inputs: readonly PlanEdge[];
  readonly aggregation: Aggregation | null;
}

/**
 * What to build for a cell, in evaluation order. `zero` cells build nothing; otherwise:
 * expand (when `expand`), then each node of `nodes` in order, then SE on node 3 (when
 * `se`), then the projection.
 */
export interface CellPlan {
  readonly zero: boolean;
  readonly expand: boolean;
  readonly nodes: readonly PlanNode[];
  readonly se: boolean;
}

/** The build/evaluation plan of a cell (live edges only). */
export function cellPlan(cell: Cell): CellPlan {
  const live = liveEdges(cell);
  if (!live.some((x) => x)) return { zero: true, expand: false, nodes: [], se: false };
  const nodes: PlanNode[] = [];
  for (let node = 1; node < INNER_NODES; node++) {
    const inputs: PlanEdge[] = [];
    EDGES.forEach(([i, j], index) => {
      if (j === node && live[index]) {
        inputs.push({ from: i, to: j, op: cell.edges[index], strided: i === 0 });
      }
    });
    if (inputs.length === 0) continue;
    const aggregation = inputs.length > 1 ? cell.aggregation[node - 2] : null;
    nodes.push({ node, inputs, aggregation });
  }
  return { zero: false, expand: cell.ratio > 1, nodes, se: cell.se };
}

/** The cell with dead edges set to zero and unused aggregations set to add. */
export function pruneCell(cell: Cell): Cell {
  const live = liveEdges(cell);
  const degree = liveInDegree(cell);
  return {
    ratio: cell.ratio,
    edges: cell.edges.map((op, index) => (live[index] ? op : "zero")),
    aggregation: [
      degree[2] > 1 ? cell.aggregation[0] : "add",
      degree[3] > 1 ? cell.aggregation[1] : "add",
    ],
    se: cell.se,
  };
}
