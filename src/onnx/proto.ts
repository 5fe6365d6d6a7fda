/**
 * ONNX protobuf plumbing: the generated `onnx` messages from onnx-proto (protobufjs),
 * model encode/decode, and float/int64 tensors as `TensorProto`s.
 *
 * Float initializers are stored as little-endian `raw_data` (the compact form every
 * ONNX reader accepts); reading also accepts `float_data`, which other writers use.
 */
import onnxProto from "onnx-proto";
import type { onnx as OnnxTypes } from "onnx-proto";

/** The generated ONNX message classes (onnx-proto ships CommonJS: reach through default). */
export const onnx: typeof OnnxTypes = onnxProto.onnx;
export type { OnnxTypes };

/** Opset of the default domain used by every exported graph. */
export const OPSET = 13;
/** IR version that goes with opset 13 (ONNX 1.8). */
export const IR_VERSION = 7;

const FLOAT = 1; // TensorProto.DataType.FLOAT
const INT64 = 7; // TensorProto.DataType.INT64

/** Serialises a model to bytes. */
export function encodeModel(model: OnnxTypes.IModelProto): Uint8Array {
  // protobufjs hands back a Node Buffer under Deno's npm layer: return a plain copy.
  return new Uint8Array(onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish());
}

/** Parses model bytes; throws one line naming `source` when they are not an ONNX model. */
export function decodeModel(bytes: Uint8Array, source = "model"): OnnxTypes.ModelProto {
  try {
    return onnx.ModelProto.decode(bytes);
  } catch (err) {
    throw new Error(`${source}: not an ONNX model (${(err as Error).message})`);
  }
}

/** int64 fields decode as numbers, strings or Long objects depending on the value. */
export function toInt(value: number | string | { toNumber(): number } | null | undefined): number {
  if (value === null || value === undefined) return 0;
  if (typeof value === "number") return value;
  if (typeof value === "string") return Number(value);
  return value.toNumber();
}

/** A float32 tensor with `raw_data` (little-endian). */
export function floatTensor(
  name: string,
  dims: readonly number[],
  data: Float32Array,
): OnnxTypes.ITensorProto {
  const raw = new Uint8Array(data.length * 4);
  const view = new DataView(raw.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return { name, dims: [...dims], dataType: FLOAT, rawData: raw };
}

/** An int64 tensor (shape/axes constants). */
export function int64Tensor(
  name: string,
  dims: readonly number[],
  data: readonly number[],
): OnnxTypes.ITensorProto {
  return { name, dims: [...dims], dataType: INT64, int64Data: [...data] };
}

/** Dims of a tensor as plain numbers. */
export function tensorDims(t: OnnxTypes.ITensorProto): number[] {
  return (t.dims ?? []).map((d) => toInt(d as number));
}

/** Values of a float32 tensor (from `raw_data` or `float_data`); throws on other types. */
export function readFloatTensor(t: OnnxTypes.ITensorProto): Float32Array {
  if (t.dataType !== FLOAT) {
    throw new Error(`tensor "${t.name}": data type ${t.dataType} is not float32`);
  }
  const count = tensorDims(t).reduce((a, b) => a * b, 1);
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== count * 4) {
      throw new Error(`tensor "${t.name}": ${t.rawData.length} raw bytes for ${count} floats`);
    }
    const view = new DataView(t.rawData.buffer, t.rawData.byteOffset, t.rawData.byteLength);
    const out = new Float32Array(count);
    for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
    return out;
  }
  const values = t.floatData ?? [];
  if (values.length !== count) {
    throw new Error(`tensor "${t.name}": ${values.length} values for ${count} elements`);
  }
  return Float32Array.from(values);
}
