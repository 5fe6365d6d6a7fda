/**
 * The training state that sits beside a checkpoint's ONNX file (`<ckpt>.state.json`):
 * optimizer tensors by name (float32, little-endian, base64), JSON counters, the RNG
 * state, and the id of the ONNX file it belongs to (both files carry it, so a pair
 * from two different saves is detected instead of silently resumed).
 */
import { Buffer } from "node:buffer";

/** Format tag of state files. */
export const STATE_FORMAT = "autospace.checkpoint-state/v1";

/** A host tensor of the state file. */
export interface StateTensor {
  shape: number[];
  data: Float32Array;
}

/** Contents of a state file. */
export interface CheckpointState {
  checkpointId: string;
  counters: Record<string, unknown>;
  rngState: number[] | null;
  optimizer: Map<string, StateTensor>;
}

/** The state file path of checkpoint `path`. */
export function statePath(path: string): string {
  return `${path}.state.json`;
}

function toBase64(data: Float32Array): string {
  const bytes = new Uint8Array(data.length * 4);
  const view = new DataView(bytes.buffer);
  for (let i = 0; i < data.length; i++) view.setFloat32(i * 4, data[i], true);
  return Buffer.from(bytes).toString("base64");
}

function fromBase64(text: string, count: number, where: string): Float32Array {
  const bytes = Buffer.from(text, "base64");
  if (bytes.length !== count * 4) {
    throw new Error(`${where}: ${bytes.length} bytes of data for ${count} floats`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
  return out;
}

/** The JSON text of a state file. */
export function encodeState(state: CheckpointState): string {
  const optimizer: Record<string, { shape: number[]; data: string }> = {};
  for (const [name, t] of state.optimizer) {
    optimizer[name] = { shape: t.shape, data: toBase64(t.data) };
  }
  return JSON.stringify({
    format: STATE_FORMAT,
    checkpointId: state.checkpointId,
    counters: state.counters,
    rngState: state.rngState,
    optimizer,
  });
}

/** Parses a state file's text; `file` names it in one-line errors. */
export function decodeState(text: string, file: string): CheckpointState {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new Error(`${file}: invalid JSON (${(err as Error).message})`);
  }
  const obj = value as Record<string, unknown>;
  if (typeof obj !== "object" || obj === null || obj.format !== STATE_FORMAT) {
    throw new Error(`${file}: not a checkpoint state file (format must be "${STATE_FORMAT}")`);
  }
  if (typeof obj.checkpointId !== "string") throw new Error(`${file}: checkpointId is missing`);
  if (typeof obj.counters !== "object" || obj.counters === null) {
    throw new Error(`${file}: counters must be an object`);
  }
  const rng = obj.rngState;
  if (rng !== null && rng !== undefined && !(Array.isArray(rng) && rng.every(Number.isInteger))) {
    throw new Error(`${file}: rngState must be an array of integers or null`);
  }
  const optimizer = new Map<string, StateTensor>();
  const entries = (obj.optimizer ?? {}) as Record<string, { shape?: unknown; data?: unknown }>;
  for (const [name, entry] of Object.entries(entries)) {
    const where = `${file}: optimizer.${name}`;
    const shape = entry?.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isInteger(d) && d >= 0)) {
      throw new Error(`${where}: shape must be an array of sizes`);
    }
    if (typeof entry.data !== "string") throw new Error(`${where}: data must be base64 text`);
    const count = shape.reduce((a: number, b: number) => a * b, 1);
    optimizer.set(name, { shape, data: fromBase64(entry.data, count, where) });
  }
  return {
    checkpointId: obj.checkpointId,
    counters: obj.counters as Record<string, unknown>,
    rngState: (rng as number[] | undefined) ?? null,
    optimizer,
  };
}
