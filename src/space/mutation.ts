/**
 * New cells for the evolution (paper §3.2.1): uniform random cells and one-gene
 * mutations, optionally held near a reference DAG (Eq. 2 with threshold τ).
 *
 * A cell has 9 genes: the 6 edge ops, the ratio and the aggregations of nodes 2 and 3.
 * A mutation picks one gene uniformly and changes it to a different value, uniformly.
 */
import type { Rng } from "../util/rng.ts";
import { type Cell, EDGES, formatCell } from "./cell.ts";
import { cellId, functionKey } from "./canonical.ts";
import { isZeroCell } from "./cell_graph.ts";
import { hammingDistance } from "./hamming.ts";
import { AGGREGATIONS, type EdgeOp, OPEN_SPACE_OPS, type Ratio, RATIOS } from "./ops.ts";

/** Which values genes may take. */
export interface GenePool {
  /** Edge ops to draw from (default: the paper's five, `OPEN_SPACE_OPS`). */
  ops?: readonly EdgeOp[];
  /** Ratios to draw from (default 1, 3, 6). */
  ratios?: readonly Ratio[];
  /** Whether the SE flag of new cells is on (default false; mutation keeps the parent's). */
  se?: boolean;
}

/** Options of `randomCell`. */
export interface RandomCellOptions extends GenePool {
  /** Accept the zero cell (default false: it would cut a layer without a residual). */
  allowZeroCell?: boolean;
  /** Draws before giving up (default 1000). */
  maxTries?: number;
}

/** A uniformly random raw cell (every gene independent), redrawn while it is the zero cell. */
export function randomCell(rng: Rng, options: RandomCellOptions = {}): Cell {
  const ops = options.ops ?? OPEN_SPACE_OPS;
  const ratios = options.ratios ?? RATIOS;
  const maxTries = options.maxTries ?? 1000;
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const cell: Cell = {
      ratio: rng.pick(ratios),
      edges: EDGES.map(() => rng.pick(ops)),
      aggregation: [rng.pick(AGGREGATIONS), rng.pick(AGGREGATIONS)],
      se: options.se ?? false,
    };
    if (options.allowZeroCell || !isZeroCell(cell)) return cell;
  }
  throw new Error(
    `randomCell: only zero cells in ${maxTries} draws from ops [${ops.join(", ")}]; ` +
      "add non-zero ops or allow zero cells",
  );
}

/** The gene a mutation changed. */
export type MutationGene =
  | { kind: "edge"; edge: number }
  | { kind: "ratio" }
  | { kind: "aggregation"; node: 2 | 3 };

/** Changes one uniformly chosen gene of `cell` to a different value; returns the child. */
export function mutateOnce(
  cell: Cell,
  rng: Rng,
  pool: GenePool = {},
): { cell: Cell; gene: MutationGene } {
  const ops = pool.ops ?? OPEN_SPACE_OPS;
  const ratios = pool.ratios ?? RATIOS;
  const genes: MutationGene[] = [
    ...EDGES.map((_, edge): MutationGene => ({ kind: "edge", edge })),
    { kind: "ratio" },
    { kind: "aggregation", node: 2 },
    { kind: "aggregation", node: 3 },
  ];
  // Genes with a single possible value cannot change.
  const mutable = genes.filter((gene) =>
    gene.kind === "edge"
      ? ops.some((op) => op !== cell.edges[gene.edge])
      : gene.kind === "ratio"
      ? ratios.some((r) => r !== cell.ratio)
      : true
  );
  const gene = rng.pick(mutable);
  if (gene.kind === "edge") {
    const edges = [...cell.edges];
    edges[gene.edge] = rng.pick(ops.filter((op) => op !== cell.edges[gene.edge]));
    return { cell: { ...cell, edges }, gene };
  }
  if (gene.kind === "ratio") {
    return { cell: { ...cell, ratio: rng.pick(ratios.filter((r) => r !== cell.ratio)) }, gene };
  }
  const aggregation: [typeof cell.aggregation[0], typeof cell.aggregation[1]] = [
    ...cell.aggregation,
  ];
  const slot = gene.node - 2;
  aggregation[slot] = aggregation[slot] === "add" ? "product" : "add";
  return { cell: { ...cell, aggregation }, gene };
}

/** Options of `mutate`. */
export interface MutateOptions extends GenePool {
  /** Reference DAG for Eq. 2; with `tau`, children must satisfy r_H(child, reference) < tau. */
  reference?: Cell;
  /** Hamming threshold τ in [0, 1] (see `hamming.ts`); needs `reference`. */
  tau?: number;
  /** Mutations tried before giving up (default 100). */
  maxTries?: number;
  /** Accept a child that is the zero cell (default false). */
  allowZeroCell?: boolean;
  /** Accept a child equivalent to its parent (default false: the id must change). */
  allowSameCell?: boolean;
}

/**
 * One mutation of `cell` (one gene changed), resampled until the child is acceptable:
 * not the zero cell, not equivalent to the parent, and, with `reference` and `tau`,
 * closer than τ to the reference (Eq. 2). Throws after `maxTries` rejected children.
 */
export function mutate(cell: Cell, rng: Rng, options: MutateOptions = {}): Cell {
  const maxTries = options.maxTries ?? 100;
  const { reference, tau } = options;
  if (tau !== undefined && reference === undefined) {
    throw new Error("mutate: tau needs a reference cell (options.reference)");
  }
  if (tau !== undefined && !(tau >= 0)) throw new Error(`mutate: tau must be >= 0, got ${tau}`);
  const parentKey = functionKey(cell);
  let farthest = Infinity;
  for (let attempt = 0; attempt < maxTries; attempt++) {
    const { cell: child } = mutateOnce(cell, rng, options);
    if (!options.allowZeroCell && isZeroCell(child)) continue;
    if (!options.allowSameCell && functionKey(child) === parentKey) continue;
    if (reference !== undefined && tau !== undefined) {
      const distance = hammingDistance(child, reference);
      farthest = Math.min(farthest, distance);
      if (!(distance < tau)) continue;
    }
    return child;
  }
  const near = reference !== undefined && tau !== undefined
    ? ` with Hamming distance < tau=${tau} to reference ${cellId(reference)} ` +
      `(closest child: ${farthest === Infinity ? "none" : farthest.toFixed(3)})`
    : "";
  throw new Error(
    `mutate: no acceptable mutation of cell ${formatCell(cell)}${near} in ${maxTries} tries; ` +
      "raise tau or maxTries, or mutate a cell nearer the reference",
  );
}
