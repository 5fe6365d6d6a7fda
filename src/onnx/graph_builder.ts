/**
 * Builds an ONNX graph node by node: unique value and node names, float
 * initializers, shared constants, and the final `ModelProto` (opset 13).
 */
import { floatTensor, int64Tensor, IR_VERSION, type OnnxTypes, OPSET } from "./proto.ts";

/** An attribute value: int, float, ints or string (all that the exported ops need). */
export type AttributeValue = number | readonly number[] | string | { float: number };

/** A dimension of a graph input/output: a size, or a symbolic name such as "N". */
export type Dim = number | string;

const ATTR_FLOAT = 1;
const ATTR_INT = 2;
const ATTR_STRING = 3;
const ATTR_INTS = 7;

function attribute(name: string, value: AttributeValue): OnnxTypes.IAttributeProto {
  if (typeof value === "string") {
    return { name, type: ATTR_STRING, s: new TextEncoder().encode(value) };
  }
  if (typeof value === "number") {
    if (!Number.isInteger(value)) {
      throw new Error(`attribute ${name}: ${value} is not an integer (wrap floats as {float})`);
    }
    return { name, type: ATTR_INT, i: value };
  }
  if ("float" in value) return { name, type: ATTR_FLOAT, f: value.float };
  return { name, type: ATTR_INTS, ints: [...value] };
}

function valueInfo(name: string, dims: readonly Dim[]): OnnxTypes.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType: 1,
        shape: {
          dim: dims.map((d) => (typeof d === "number" ? { dimValue: d } : { dimParam: d })),
        },
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: OnnxTypes.INodeProto[] = [];
  private readonly initializers: OnnxTypes.ITensorProto[] = [];
  private readonly used = new Set<string>();
  private readonly constants = new Map<string, string>();

  /** A name not used yet: `base`, else `base_1`, `base_2`, ... */
  uniqueName(base: string): string {
    let name = base;
    for (let i = 1; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  /**
   * Adds a float initializer under exactly `name` (checkpoints rely on exact names);
   * throws if the name is taken.
   */
  initializer(name: string, dims: readonly number[], data: Float32Array): string {
    if (this.used.has(name)) throw new Error(`ONNX graph: duplicate tensor name "${name}"`);
    const count = dims.reduce((a, b) => a * b, 1);
    if (count !== data.length) {
      throw new Error(`ONNX graph: initializer "${name}" [${dims}] given ${data.length} values`);
    }
    this.used.add(name);
    this.initializers.push(floatTensor(name, dims, data));
    return name;
  }

  /** A float scalar constant (rank 0), shared by every use of the same value. */
  scalar(value: number): string {
    const key = `f:${value}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.uniqueName(`const_${String(value).replace(/[^0-9a-z]/gi, "_")}`);
      this.initializers.push(floatTensor(name, [], new Float32Array([value])));
      this.constants.set(key, name);
    }
    return name;
  }

  /** A 1-D int64 constant (axes, starts, steps), shared by every use of the same values. */
  int64s(values: readonly number[], hint: string): string {
    const key = `i:${values.join(",")}`;
    let name = this.constants.get(key);
    if (!name) {
      name = this.uniqueName(hint);
      this.initializers.push(int64Tensor(name, [values.length], values));
      this.constants.set(key, name);
    }
    return name;
  }

  /**
   * Appends a node `opType(inputs)` named after `scope` and returns its output's name
   * (`scope` + "/" + opType, made unique).
   */
  node(
    opType: string,
    inputs: readonly string[],
    scope: string,
    attributes: Record<string, AttributeValue> = {},
    outputName?: string,
  ): string {
    const name = this.uniqueName(`${scope}/${opType}`);
    const output = outputName ? this.claim(outputName) : this.uniqueName(`${scope}/${opType}:0`);
    this.nodes.push({
      name,
      opType,
      input: [...inputs],
      output: [output],
      attribute: Object.entries(attributes).map(([k, v]) => attribute(k, v)),
    });
    return output;
  }

  /** Reserves an exact name (graph inputs and outputs). */
  claim(name: string): string {
    if (this.used.has(name)) throw new Error(`ONNX graph: duplicate tensor name "${name}"`);
    this.used.add(name);
    return name;
  }

  /** The finished model: one graph, default domain at `OPSET`. */
  model(options: {
    graphName: string;
    inputs: readonly { name: string; dims: readonly Dim[] }[];
    outputs: readonly { name: string; dims: readonly Dim[] }[];
    docString?: string;
    metadata?: Readonly<Record<string, string>>;
  }): OnnxTypes.IModelProto {
    return {
      irVersion: IR_VERSION,
      opsetImport: [{ domain: "", version: OPSET }],
      producerName: "autospace",
      producerVersion: "0.1.0",
      docString: options.docString ?? "",
      metadataProps: Object.entries(options.metadata ?? {}).map(([key, value]) => ({
        key,
        value,
      })),
      graph: {
        name: options.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: options.inputs.map((i) => valueInfo(i.name, i.dims)),
        output: options.outputs.map((o) => valueInfo(o.name, o.dims)),
      },
    };
  }
}
