/**
 * The supernet's weights per (layer, cell): a cell sampled again resumes from its
 * own trained weights, and a new child starts from its parent's weights wherever the
 * inheritance plan allows (same ratio, same op on the same edge) — the weight
 * sharing of §3.3. Cells that leave the population free their weights.
 */
import type { ConvBnAct } from "../nn/layers.ts";
import type { Module } from "../nn/module.ts";
import type { Sgd } from "../nn/optimizers.ts";
import { CellBlock } from "../networks/cell_block.ts";
import { copyInto } from "../tensor/creation.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import type { Cell } from "../space/cell.ts";
import type { LayerShape } from "../space/backbone.ts";
import { inheritancePlan } from "./inheritance.ts";

/** Copies every parameter and buffer of `src` into `dst` (same structure). */
function copyModule(dst: Module, src: Module): void {
  const a = [...dst.parameters(), ...dst.buffers()];
  const b = [...src.parameters(), ...src.buffers()];
  if (a.length !== b.length) throw new Error("weight bank: module structures differ");
  a.forEach((t, i) => copyInto(t.tensor, b[i].tensor));
}

export class WeightBank {
  private blocks = new Map<string, { cell: Cell; block: CellBlock }>();
  /** Inheritance statistics (tensors copied from parents), for the report. */
  inheritedModules = 0;
  builtBlocks = 0;

  constructor(private opt: Sgd, private weightDecay: number, private rng: Rng) {}

  private key(layer: number, id: string): string {
    return `${layer}:${id}`;
  }

  has(layer: number, id: string): boolean {
    return this.blocks.has(this.key(layer, id));
  }

  /**
   * The block of cell `id` at `layer`, built (and registered with the optimizer) on
   * first use, inheriting from `parentId`'s block when that one still exists.
   */
  blockFor(layer: number, shape: LayerShape, id: string, cell: Cell, parentId?: string): CellBlock {
    const existing = this.blocks.get(this.key(layer, id));
    if (existing) return existing.block;
    const block = new CellBlock(
      { type: "cell", cin: shape.cin, cout: shape.cout, stride: shape.stride, cell },
      this.rng,
    );
    this.builtBlocks++;
    const parent = parentId ? this.blocks.get(this.key(layer, parentId)) : undefined;
    if (parent) this.inherit(block, cell, parent.block, parent.cell);
    const params = block.parameters();
    this.opt.addParams(params.filter((p) => p.decay).map((p) => p.tensor), this.weightDecay);
    this.opt.addParams(params.filter((p) => !p.decay).map((p) => p.tensor), 0);
    this.blocks.set(this.key(layer, id), { cell, block });
    return block;
  }

  private inherit(child: CellBlock, childCell: Cell, parent: CellBlock, parentCell: Cell): void {
    const plan = inheritancePlan(childCell, parentCell);
    const pairs: [Module | null, Module | null][] = [];
    if (plan.expand) pairs.push([child.expand, parent.expand]);
    if (plan.project) pairs.push([child.project, parent.project]);
    if (plan.se) pairs.push([child.se, parent.se]);
    for (const e of plan.edges) {
      pairs.push([
        child.edges.get(e.childEdge) as ConvBnAct | undefined ?? null,
        parent.edges.get(e.parentEdge) as ConvBnAct | undefined ?? null,
      ]);
    }
    for (const [dst, src] of pairs) {
      if (dst && src) {
        copyModule(dst, src);
        this.inheritedModules++;
      }
    }
  }

  /** Frees the blocks of `layer` whose cells are not in `keep`. */
  retain(layer: number, keep: ReadonlySet<string>): void {
    for (const [key, { block }] of this.blocks) {
      const [l, id] = [Number(key.slice(0, key.indexOf(":"))), key.slice(key.indexOf(":") + 1)];
      if (l !== layer || keep.has(id)) continue;
      this.opt.removeParams(block.parameters().map((p) => p.tensor));
      block.dispose();
      this.blocks.delete(key);
    }
  }

  /** All tensors by stable name (checkpoints): "bank.<layer>:<id>.<param>". */
  namedTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [key, { block }] of this.blocks) {
      for (const p of [...block.parameters(), ...block.buffers()]) {
        out.set(`bank.${key}.${p.name}`, p.tensor);
      }
    }
    return out;
  }

  /** (layer, id, cell) of every block, for checkpoints. */
  entries(): { layer: number; id: string; cell: Cell }[] {
    return [...this.blocks].map(([key, { cell }]) => ({
      layer: Number(key.slice(0, key.indexOf(":"))),
      id: key.slice(key.indexOf(":") + 1),
      cell,
    }));
  }

  /** The block of `id` at `layer`, if built. */
  get(layer: number, id: string): CellBlock | undefined {
    return this.blocks.get(this.key(layer, id))?.block;
  }

  dispose(): void {
    for (const { block } of this.blocks.values()) block.dispose();
    this.blocks.clear();
  }
}
