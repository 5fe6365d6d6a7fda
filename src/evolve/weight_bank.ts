/**
 * The supernet's weights: per layer, one module per position of a cell — the
 * expansion and projection convs of each ratio, and one conv per (edge, op, ratio)
 * — shared by every cell of that layer that has the same module at the same place
 * (ENAS-style weight sharing, §3.3 of the paper). So a cell sampled again resumes
 * from trained weights, and a child starts from its parent's weights wherever they
 * agree, with no copying; each shared weight is trained by every cell that uses it.
 */
import type { Module } from "../nn/module.ts";
import type { Sgd } from "../nn/optimizers.ts";
import { CellBlock, type ModuleProvider } from "../networks/cell_block.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import type { Cell } from "../space/cell.ts";
import type { LayerShape } from "../space/backbone.ts";

export class WeightBank {
  /** Shared modules by "layer/position key", in creation order. */
  private modules = new Map<string, Module>();
  /** Cell blocks (views onto shared modules) by "layer:id". */
  private blocks = new Map<string, CellBlock>();
  /** Every cell a block was ever built for, in order (rebuilding recreates the modules). */
  private log: { layer: number; id: string; cell: Cell }[] = [];

  constructor(private opt: Sgd, private weightDecay: number, private rng: Rng) {}

  private provider(layer: number): ModuleProvider {
    return <M extends Module>(key: string, make: () => M): M => {
      const full = `${layer}/${key}`;
      let m = this.modules.get(full) as M | undefined;
      if (!m) {
        m = make();
        const params = m.parameters();
        this.opt.addParams(params.filter((p) => p.decay).map((p) => p.tensor), this.weightDecay);
        this.opt.addParams(params.filter((p) => !p.decay).map((p) => p.tensor), 0);
        this.modules.set(full, m);
      }
      return m;
    };
  }

  /** The block of cell `id` at `layer` (modules created on first use). */
  blockFor(layer: number, shape: LayerShape, id: string, cell: Cell): CellBlock {
    const key = `${layer}:${id}`;
    let block = this.blocks.get(key);
    if (!block) {
      block = new CellBlock(
        { type: "cell", cin: shape.cin, cout: shape.cout, stride: shape.stride, cell },
        this.rng,
        this.provider(layer),
      );
      this.blocks.set(key, block);
      if (!this.log.some((e) => e.layer === layer && e.id === id)) {
        this.log.push({ layer, id, cell });
      }
    }
    return block;
  }

  /** Forgets the block views of `layer` whose cells are not in `keep` (weights stay). */
  retain(layer: number, keep: ReadonlySet<string>): void {
    for (const key of this.blocks.keys()) {
      const sep = key.indexOf(":");
      if (Number(key.slice(0, sep)) === layer && !keep.has(key.slice(sep + 1))) {
        this.blocks.delete(key);
      }
    }
  }

  /** Number of shared modules (for the report). */
  get moduleCount(): number {
    return this.modules.size;
  }

  /** Every weight and BN buffer by stable name (checkpoints): "bank.<layer>/<key>.<name>". */
  namedTensors(): Map<string, Tensor> {
    const out = new Map<string, Tensor>();
    for (const [key, m] of this.modules) {
      for (const p of [...m.parameters(), ...m.buffers()]) {
        out.set(`bank.${key}.${p.name}`, p.tensor);
      }
    }
    return out;
  }

  /** Every cell a block was built for, in order: rebuilding them recreates the modules. */
  builtBlocks(): readonly { layer: number; id: string; cell: Cell }[] {
    return this.log;
  }

  dispose(): void {
    for (const m of this.modules.values()) m.dispose();
    this.modules.clear();
    this.blocks.clear();
  }
}
