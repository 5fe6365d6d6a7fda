/**
 * A cell of the open space as a trainable block (paper §3.1; semantics in
 * src/space/cell.ts and the plan from src/space/cell_graph.ts): 1×1 expand →
 * inner DAG (live edges only) → [SE on node 3] → 1×1 linear projection, plus the
 * input when stride is 1 and widths match. A zero cell with a residual is identity.
 *
 * With a `ModuleProvider`, the block takes its modules from a shared store instead of
 * owning them: the supernet's cells of one layer then share the weights of the same
 * module at the same position (ENAS-style sharing, §3.3 of the paper).
 */
import { type BatchNormSettings, ConvBnAct } from "../nn/layers.ts";
import { Module } from "../nn/module.ts";
import { mul } from "../ops/elementwise.ts";
import { normalizedSum, type SumTerm } from "../ops/normalized_sum.ts";
import { subsample2x } from "../ops/shape.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import { type CellPlan, cellPlan } from "../space/cell_graph.ts";
import { type CellBlock as CellBlockSpec, hasResidual } from "../space/network_spec.ts";
import { edgeOpConv } from "../space/ops.ts";
import { SqueezeExcite } from "./squeeze_excite.ts";

/**
 * Returns the module stored under `key`, creating it with `make` on first use. Keys
 * name a position in the cell: "r6/expand", "r6/project", "r6/se", "r6/0-1/dwconv3x3".
 */
export type ModuleProvider = <M extends Module>(key: string, make: () => M) => M;

export class CellBlock extends Module {
  readonly plan: CellPlan;
  readonly residual: boolean;
  readonly expand: ConvBnAct | null;
  /** Parametric edges by "i-j"; identity edges have no module. */
  readonly edges = new Map<string, ConvBnAct>();
  readonly se: SqueezeExcite | null;
  readonly project: ConvBnAct | null;
  /** Modules taken from a shared store (not children: the store owns them). */
  private readonly sharedModules: Module[] = [];

  constructor(
    readonly spec: CellBlockSpec,
    rng: Rng,
    shared?: ModuleProvider,
    bn?: BatchNormSettings,
  ) {
    super();
    this.plan = cellPlan(spec.cell);
    this.residual = hasResidual(spec);
    const r = spec.cell.ratio;
    const mid = spec.cin * r;
    // Owned modules are children (listed by parameters(), freed by dispose()); shared
    // ones belong to the store.
    const use = <M extends Module>(name: string, key: string, make: () => M): M => {
      if (!shared) return this.child(name, make());
      const m = shared(key, make);
      this.sharedModules.push(m);
      return m;
    };
    this.expand = this.plan.expand
      ? use(
        "expand",
        `r${r}/expand`,
        () => new ConvBnAct(spec.cin, mid, { kernel: 1, act: "relu6", bn }, rng),
      )
      : null;
    for (const node of this.plan.nodes) {
      for (const e of node.inputs) {
        const conv = edgeOpConv(e.op);
        if (!conv) continue;
        const stride = e.strided ? spec.stride as 1 | 2 : 1;
        const m = use(
          `edge${e.from}${e.to}`,
          `r${r}/${e.from}-${e.to}/${e.op}`,
          () => new ConvBnAct(mid, mid, { ...conv, stride, act: "relu6", bn }, rng),
        );
        this.edges.set(`${e.from}-${e.to}`, m);
      }
    }
    this.se = this.plan.se ? use("se", `r${r}/se`, () => new SqueezeExcite(mid, rng)) : null;
    this.project = this.plan.zero
      ? null
      : use("project", `r${r}/project`, () =>
        new ConvBnAct(mid, spec.cout, { kernel: 1, act: "none", bn }, rng));
  }

  override train(on = true): this {
    super.train(on);
    for (const m of this.sharedModules) m.train(on);
    return this;
  }

  forward(x: Tensor): Tensor {
    if (this.plan.zero) {
      if (!this.residual) throw new Error("cell block: a zero cell without residual");
      return x;
    }
    const values = new Map<number, Tensor>();
    values.set(0, this.expand ? this.expand.forward(x) : x);
    for (const node of this.plan.nodes) {
      const passThrough = (e: { from: number; strided: boolean }) => {
        const input = values.get(e.from)!;
        return e.strided && this.spec.stride === 2 ? subsample2x(input) : input;
      };
      if (node.aggregation !== "product" && node.inputs.length > 1) {
        // One pass adds the edges' outputs, their batch norms applied as it reads them.
        const terms = node.inputs.map((e): SumTerm => {
          const conv = this.edges.get(`${e.from}-${e.to}`);
          return conv ? conv.forwardTerm(values.get(e.from)!) : { x: passThrough(e) };
        });
        values.set(node.node, normalizedSum(terms));
        continue;
      }
      let acc: Tensor | null = null;
      for (const e of node.inputs) {
        const conv = this.edges.get(`${e.from}-${e.to}`);
        const out = conv ? conv.forward(values.get(e.from)!) : passThrough(e);
        acc = acc === null ? out : mul(acc, out);
      }
      values.set(node.node, acc!);
    }
    let y = values.get(3)!;
    if (this.se) y = this.se.forward(y);
    // The projection's batch norm is applied as the residual is added.
    if (this.residual) return normalizedSum([this.project!.forwardTerm(y), { x }]);
    return this.project!.forward(y);
  }
}
