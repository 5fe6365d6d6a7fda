/**
 * Weight inheritance from parent to child (paper §4, "weights sharing scheme as in
 * ENAS": each rebuilt supernet inherits trained weights). A child is one gene away
 * from its parent, so most of its modules exist in the parent with the same shape.
 *
 * Module names follow `CellBlock` (src/networks/cell_block.ts): `expand` (1×1 conv + BN,
 * present when r > 1), `edges` keyed "i-j" (parametric live edges only; identity and
 * zero have no module), `se`, `project` (1×1 conv + BN). All inner modules carry
 * mid = r·C_in channels, so nothing copies across a ratio change: the plan is empty
 * then. With equal ratios: `expand` and `project` copy (same C_in, C_out, r), `se` when
 * both cells have it, and an edge copies when the parent has a live edge with the same
 * op on the same i → j (same op ⇒ same weight shape; same position ⇒ same stride).
 *
 * `anySameOpEdge` (off by default) also pairs each remaining child edge with an unused
 * parent edge of the same op and stride elsewhere: the shapes match, but the weights
 * were trained on other features, so this is a warm start, not an inheritance.
 */
import { type Cell, cellPlan, type PlanEdge } from "../space/mod.ts";

/** Which modules of a child copy which modules of its parent. */
export interface InheritancePlan {
  /** Copy the expansion conv and its BN. */
  readonly expand: boolean;
  /** Copy the projection conv and its BN. */
  readonly project: boolean;
  /** Copy the squeeze-and-excitation module. */
  readonly se: boolean;
  /** Child edge module "i-j" copies parent edge module "i-j". */
  readonly edges: ReadonlyArray<{ readonly childEdge: string; readonly parentEdge: string }>;
}

/** Parametric live edges of a cell (the edges `CellBlock` builds a module for). */
function moduleEdges(cell: Cell): PlanEdge[] {
  return cellPlan(cell).nodes.flatMap((node) =>
    node.inputs.filter((edge) => edge.op !== "identity")
  );
}

const key = (edge: PlanEdge) => `${edge.from}-${edge.to}`;

/** The inheritance plan of `child` from `parent` (see the file comment). */
export function inheritancePlan(
  child: Cell,
  parent: Cell,
  options: { anySameOpEdge?: boolean } = {},
): InheritancePlan {
  const childPlan = cellPlan(child);
  const parentPlan = cellPlan(parent);
  const none: InheritancePlan = { expand: false, project: false, se: false, edges: [] };
  if (childPlan.zero || parentPlan.zero || child.ratio !== parent.ratio) return none;
  const parentEdges = moduleEdges(parent);
  const used = new Set<string>();
  const edges: { childEdge: string; parentEdge: string }[] = [];
  const unmatched: PlanEdge[] = [];
  for (const edge of moduleEdges(child)) {
    const same = parentEdges.find((p) => key(p) === key(edge) && p.op === edge.op);
    if (same) {
      edges.push({ childEdge: key(edge), parentEdge: key(same) });
      used.add(key(same));
    } else {
      unmatched.push(edge);
    }
  }
  if (options.anySameOpEdge) {
    for (const edge of unmatched) {
      const other = parentEdges.find((p) =>
        !used.has(key(p)) && p.op === edge.op && p.strided === edge.strided
      );
      if (!other) continue;
      edges.push({ childEdge: key(edge), parentEdge: key(other) });
      used.add(key(other));
    }
  }
  return {
    expand: childPlan.expand && parentPlan.expand,
    project: true,
    se: childPlan.se && parentPlan.se,
    edges,
  };
}
