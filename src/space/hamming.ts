/**
 * Hamming distance between two cells' DAGs (paper Eq. 2):
 *
 *   r_H(G, G_ref) = Σ_{i,j} |G_ij − G_ref_ij| / (V(V − 1))
 *
 * G is the op-labelled adjacency matrix of the V = 4 inner nodes (the nodes whose
 * edges evolve; the two IO nodes only adjust dimensions), read as an undirected graph:
 * G_ij = G_ji = the op on the edge between i and j. Ops are categories, so
 * |G_ij − G_ref_ij| is 1 when the ops differ and 0 when they agree. Each of the 6
 * edges appears twice among the V(V − 1) = 12 ordered pairs, so the distance is the
 * fraction of edges whose op differs, in [0, 1] (steps of 1/6).
 *
 * The distance compares the cells as written (dead edges included), like the paper's
 * mutation loop; ratio and aggregations are not part of the graph and do not count.
 */
import { type Cell, EDGES, INNER_NODES } from "./cell.ts";

/** Eq. 2: normalised Hamming distance between the edge-op matrices of two cells. */
export function hammingDistance(a: Cell, b: Cell): number {
  let sum = 0;
  EDGES.forEach((_, index) => {
    // G_ij and G_ji: both entries of the symmetric matrix.
    if (a.edges[index] !== b.edges[index]) sum += 2;
  });
  return sum / (INNER_NODES * (INNER_NODES - 1));
}
