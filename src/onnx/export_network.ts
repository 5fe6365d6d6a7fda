/**
 * A trained `Network` as an ONNX model (opset 13, standard ops only), in evaluation
 * semantics: batch norm uses the running statistics.
 *
 * Graph: input "input" [N, C, H, W] float → logits "logits" [N, classes]. Op mapping:
 * - conv → BN → act: `Conv` (group = C for depthwise, pads ⌊k/2⌋) then either
 *   `BatchNormalization` (foldBn = false: initializers named exactly as the module's
 *   parameters and buffers, so every trained value is stored unchanged) or nothing
 *   (foldBn = true: BN folded into the conv's weight and a bias, see bn_fold.ts).
 *   ReLU6 = `Clip(0, 6)` (min/max as scalar inputs, opset 13), ReLU = `Relu`,
 *   sigmoid = `Sigmoid`, SiLU = `Mul(x, Sigmoid(x))`, hard sigmoid =
 *   `HardSigmoid(α = 1/6, β = 0.5)` (= relu6(x + 3)/6).
 * - Linear: `Gemm(transB = 1)` with the module's weight [O, I] and bias.
 * - SE: `GlobalAveragePool` → `Flatten` → Gemm → Relu → Gemm → HardSigmoid →
 *   `Unsqueeze`(axes 2, 3) → `Mul` with the input (broadcast over H, W).
 * - Cell: aggregation add = `Add`, product = `Mul`, folded left to right in the order
 *   the engine uses. An identity edge out of node 0 in a stride-2 cell keeps pixel
 *   (2y, 2x): a `Slice` with steps 2 on H and W (no arithmetic, so exact).
 * - Residual = `Add`; head = GlobalAveragePool → Flatten → Gemm.
 */
import type { ConvBnAct, Linear } from "../nn/layers.ts";
import type { Module } from "../nn/module.ts";
import { CellBlock } from "../networks/cell_block.ts";
import { InvertedResidual } from "../networks/inverted_residual.ts";
import type { Network } from "../networks/network.ts";
import type { SqueezeExcite } from "../networks/squeeze_excite.ts";
import { networkToJson } from "../space/network_spec.ts";
import { readAll, type Tensor } from "../tensor/tensor.ts";
import { foldBatchNorm } from "./bn_fold.ts";
import { type Dim, GraphBuilder } from "./graph_builder.ts";
import { encodeModel, type OnnxTypes } from "./proto.ts";

/** Options of `exportOnnx`. */
export interface ExportOptions {
  /** Fold BN into conv weights and biases (deployment) or keep BatchNormalization nodes. */
  foldBn: boolean;
  /** Fixed batch size, or "dynamic" (a symbolic "N"; the default). */
  batch?: number | "dynamic";
  /** Extra `metadata_props` entries (checkpoints add their id). */
  metadata?: Readonly<Record<string, string>>;
}

/** Metadata key holding the network spec as JSON (`networkToJson`). */
export const METADATA_NETWORK = "autospace.network";
/** Metadata key: "true" when BN is folded into the convs. */
export const METADATA_BN_FOLDED = "autospace.bn_folded";

/** Name of the graph input and output. */
export const INPUT_NAME = "input";
export const OUTPUT_NAME = "logits";

/** A module tensor's dotted name and host values. */
export interface NamedValues {
  name: string;
  data: Float32Array;
}

/** Reads every parameter and buffer of `module` (one host sync), keyed by tensor. */
export async function readModuleValues(module: Module): Promise<Map<Tensor, NamedValues>> {
  const named = [...module.parameters(), ...module.buffers()];
  const data = await readAll(named.map((p) => p.tensor));
  return new Map(named.map((p, i) => [p.tensor, { name: p.name, data: data[i] }]));
}

/**
 * Exports `net` as ONNX bytes (opset 13). `foldBn: true` for deployment files,
 * `false` for checkpoints (exact parameter names and values).
 */
export async function exportOnnx(net: Network, options: ExportOptions): Promise<Uint8Array> {
  const values = await readModuleValues(net);
  return encodeModel(networkModel(net, values, options));
}

/** The ONNX model of `net` from host values of its tensors (see `readModuleValues`). */
export function networkModel(
  net: Network,
  values: ReadonlyMap<Tensor, NamedValues>,
  options: ExportOptions,
): OnnxTypes.IModelProto {
  const batch = options.batch ?? "dynamic";
  if (batch !== "dynamic" && !(Number.isInteger(batch) && batch >= 1)) {
    throw new Error(`exportOnnx: batch must be a positive integer or "dynamic", got ${batch}`);
  }
  const n: Dim = batch === "dynamic" ? "N" : batch;
  const spec = net.spec;
  const emitter = new NetworkEmitter(new GraphBuilder(), values, options.foldBn);
  const g = emitter.graph;
  let x = g.claim(INPUT_NAME);
  x = emitter.convBnAct(net.stem, x);
  net.blocks.forEach((block, i) => {
    const blockSpec = spec.blocks[i];
    if (blockSpec.type === "zero") return; // identity skip
    if (block instanceof InvertedResidual) x = emitter.invertedResidual(block, x, `blocks.${i}`);
    else if (block instanceof CellBlock) x = emitter.cellBlock(block, x, `blocks.${i}`);
    else throw new Error(`exportOnnx: block ${i} (${blockSpec.type}) has no ONNX mapping`);
  });
  if (net.featureMix) x = emitter.convBnAct(net.featureMix, x);
  x = g.node("GlobalAveragePool", [x], "head");
  x = g.node("Flatten", [x], "head", { axis: 1 });
  emitter.linear(net.classifier, x, OUTPUT_NAME);
  emitter.checkAllUsed();
  return g.model({
    graphName: spec.name,
    inputs: [{
      name: INPUT_NAME,
      dims: [n, spec.input.channels, spec.input.size, spec.input.size],
    }],
    outputs: [{ name: OUTPUT_NAME, dims: [n, spec.classes] }],
    docString: `${spec.name}: evaluation-mode network (BN ${
      options.foldBn ? "folded into convs" : "with running statistics"
    })`,
    metadata: {
      [METADATA_NETWORK]: JSON.stringify(networkToJson(spec)),
      [METADATA_BN_FOLDED]: String(options.foldBn),
      ...options.metadata,
    },
  });
}

/** Emits the nodes of network parts into one graph. */
class NetworkEmitter {
  readonly graph: GraphBuilder;
  private readonly used = new Set<Tensor>();

  constructor(
    graph: GraphBuilder,
    private readonly values: ReadonlyMap<Tensor, NamedValues>,
    private readonly foldBn: boolean,
  ) {
    this.graph = graph;
  }

  /** The host values of a module tensor; marks it as exported. */
  private value(t: Tensor): NamedValues {
    const v = this.values.get(t);
    if (!v) throw new Error(`exportOnnx: tensor ${t.describe()} is not a parameter or buffer`);
    this.used.add(t);
    return v;
  }

  /** Adds a module tensor as an initializer under its own dotted name. */
  private exact(t: Tensor): string {
    const v = this.value(t);
    return this.graph.initializer(v.name, t.shape, v.data);
  }

  /** Every parameter and buffer must be in the graph: a checkpoint drops nothing. */
  checkAllUsed(): void {
    for (const [t, v] of this.values) {
      if (!this.used.has(t)) {
        throw new Error(`exportOnnx: ${v.name} ${t.describe()} is not used by the exported graph`);
      }
    }
  }

  /** conv → BN → activation. Scope = the unit's dotted path (from its conv weight's name). */
  convBnAct(unit: ConvBnAct, x: string): string {
    const { conv, bn } = unit;
    const weightName = this.values.get(conv.weight)?.name ?? "conv.weight";
    const scope = weightName.replace(/\.conv\.weight$/, "");
    const k = conv.kernel;
    const pad = Math.floor(k / 2);
    const attrs = {
      kernel_shape: [k, k],
      strides: [conv.stride, conv.stride],
      pads: [pad, pad, pad, pad],
      group: conv.depthwise ? conv.weight.shape[0] : 1,
    };
    let y: string;
    if (this.foldBn) {
      const folded = foldBatchNorm(this.value(conv.weight).data, conv.weight.shape[0], {
        gamma: this.value(bn.gamma).data,
        beta: this.value(bn.beta).data,
        mean: this.value(bn.runningMean).data,
        variance: this.value(bn.runningVar).data,
        eps: bn.eps,
      });
      const w = this.graph.initializer(`${scope}.weight`, conv.weight.shape, folded.weight);
      const b = this.graph.initializer(`${scope}.bias`, [folded.bias.length], folded.bias);
      y = this.graph.node("Conv", [x, w, b], scope, attrs);
    } else {
      y = this.graph.node("Conv", [x, this.exact(conv.weight)], scope, attrs);
      y = this.graph.node(
        "BatchNormalization",
        [y, ...[bn.gamma, bn.beta, bn.runningMean, bn.runningVar].map((t) => this.exact(t))],
        scope,
        { epsilon: { float: bn.eps } },
      );
    }
    return this.activation(unit.act, y, scope);
  }

  private activation(act: ConvBnAct["act"], x: string, scope: string): string {
    const g = this.graph;
    switch (act) {
      case "none":
        return x;
      case "relu":
        return g.node("Relu", [x], scope);
      case "relu6":
        return g.node("Clip", [x, g.scalar(0), g.scalar(6)], scope);
      case "sigmoid":
        return g.node("Sigmoid", [x], scope);
      case "silu":
        return g.node("Mul", [x, g.node("Sigmoid", [x], scope)], scope);
      case "hsigmoid":
        return g.node("HardSigmoid", [x], scope, { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
    }
  }

  /** y = x·Wᵀ + b (`Gemm`, transB = 1); `output` names the result when given. */
  linear(layer: Linear, x: string, output?: string): string {
    const scope = (this.values.get(layer.weight)?.name ?? "linear.weight").replace(/\.weight$/, "");
    return this.graph.node(
      "Gemm",
      [x, this.exact(layer.weight), this.exact(layer.bias)],
      scope,
      { transB: 1 },
      output,
    );
  }

  /** Squeeze-and-excitation: x · hsigmoid(W2·relu(W1·pool(x) + b1) + b2). */
  squeezeExcite(se: SqueezeExcite, x: string, scope: string): string {
    const g = this.graph;
    let gate = g.node("GlobalAveragePool", [x], scope);
    gate = g.node("Flatten", [gate], scope, { axis: 1 });
    gate = g.node("Relu", [this.linear(se.reduce, gate)], scope);
    gate = this.linear(se.expand, gate);
    gate = g.node("HardSigmoid", [gate], scope, { alpha: { float: 1 / 6 }, beta: { float: 0.5 } });
    gate = g.node("Unsqueeze", [gate, g.int64s([2, 3], "axes_2_3")], scope);
    return g.node("Mul", [x, gate], scope);
  }

  invertedResidual(block: InvertedResidual, x: string, scope: string): string {
    let y = block.expand ? this.convBnAct(block.expand, x) : x;
    y = this.convBnAct(block.depthwise, y);
    if (block.se) y = this.squeezeExcite(block.se, y, `${scope}.se`);
    y = this.convBnAct(block.project, y);
    return block.residual ? this.graph.node("Add", [y, x], scope) : y;
  }

  cellBlock(block: CellBlock, x: string, scope: string): string {
    const g = this.graph;
    if (block.plan.zero) {
      if (!block.residual) throw new Error(`exportOnnx: ${scope} is a zero cell without residual`);
      return x;
    }
    const nodes = new Map<number, string>();
    nodes.set(0, block.expand ? this.convBnAct(block.expand, x) : x);
    for (const node of block.plan.nodes) {
      let acc: string | null = null;
      for (const e of node.inputs) {
        const input = nodes.get(e.from)!;
        const conv = block.edges.get(`${e.from}-${e.to}`);
        const out = conv
          ? this.convBnAct(conv, input)
          : e.strided && block.spec.stride === 2
          ? this.subsample(input, `${scope}.edge${e.from}${e.to}`)
          : input;
        acc = acc === null ? out : g.node(
          node.aggregation === "product" ? "Mul" : "Add",
          [acc, out],
          `${scope}.node${node.node}`,
        );
      }
      nodes.set(node.node, acc!);
    }
    let y = nodes.get(3)!;
    if (block.se) y = this.squeezeExcite(block.se, y, `${scope}.se`);
    y = this.convBnAct(block.project!, y);
    return block.residual ? g.node("Add", [y, x], scope) : y;
  }

  /** Keeps pixel (2y, 2x): Slice H and W from 0 with step 2 (ends clamp to the size). */
  private subsample(x: string, scope: string): string {
    const g = this.graph;
    return g.node("Slice", [
      x,
      g.int64s([0, 0], "slice_starts"),
      g.int64s([2147483647, 2147483647], "slice_ends"),
      g.int64s([2, 3], "axes_2_3"),
      g.int64s([2, 2], "slice_steps"),
    ], scope);
  }
}
