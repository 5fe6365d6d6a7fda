/**
 * A plain container for named tensors and a JSON header: the evolution checkpoint,
 * whose weight bank changes shape with every regeneration (trained networks use
 * ONNX checkpoints instead, see src/onnx/checkpoint.ts).
 *
 * Layout: "ASTF" magic, u32 header length, header JSON {meta, tensors: [{name,
 * shape, offset}]}, padding to 4 bytes, then float32 data. Written to a temporary
 * file and renamed, so a crash never leaves a half-written file.
 */
import { atomicWrite } from "../util/atomic_write.ts";
import { readAll, type Tensor } from "./tensor.ts";

const MAGIC = "ASTF";

/** Reads every tensor (one host sync) and writes them with `meta`, atomically. */
export async function saveTensorFile(
  path: string,
  tensors: ReadonlyMap<string, Tensor>,
  meta: unknown,
): Promise<void> {
  const names = [...tensors.keys()];
  const values = await readAll(names.map((n) => tensors.get(n)!));
  let offset = 0;
  const entries = names.map((name, i) => {
    const e = { name, shape: [...tensors.get(name)!.shape], offset };
    offset += values[i].length;
    return e;
  });
  const header = new TextEncoder().encode(JSON.stringify({ meta, tensors: entries }));
  const headerLen = Math.ceil(header.length / 4) * 4;
  const out = new Uint8Array(8 + headerLen + offset * 4);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(4, headerLen, true);
  out.fill(0x20, 8, 8 + headerLen); // pad the JSON with spaces
  out.set(header, 8);
  const data = new Float32Array(out.buffer, 8 + headerLen, offset);
  values.forEach((v, i) => data.set(v, entries[i].offset));
  await atomicWrite(path, out);
}

export interface LoadedTensorFile {
  meta: unknown;
  tensors: Map<string, { shape: number[]; data: Float32Array }>;
}

/** Reads a file written by `saveTensorFile`; one clear error for anything else. */
export async function loadTensorFile(path: string): Promise<LoadedTensorFile> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read (${(e as Error).message})`);
  }
  if (bytes.length < 8 || new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) {
    throw new Error(`${path}: not a tensor file (bad magic number)`);
  }
  const headerLen = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (8 + headerLen > bytes.length) {
    throw new Error(
      `${path}: truncated inside its header (${bytes.length} bytes, the header alone needs ` +
        `${8 + headerLen}); the file was cut short: restore it or start without it`,
    );
  }
  let header: { meta: unknown; tensors: { name: string; shape: number[]; offset: number }[] };
  try {
    header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + headerLen)));
  } catch (e) {
    throw new Error(`${path}: damaged header (${(e as Error).message})`);
  }
  if (!Array.isArray(header?.tensors)) throw new Error(`${path}: header lists no tensors`);
  const body = bytes.slice(8 + headerLen);
  if (body.length % 4 !== 0) {
    throw new Error(`${path}: truncated (data is ${body.length} bytes, not whole float32s)`);
  }
  const all = new Float32Array(body.buffer, 0, body.length / 4);
  const tensors = new Map<string, { shape: number[]; data: Float32Array }>();
  for (const t of header.tensors) {
    const size = t.shape.reduce((a, b) => a * b, 1);
    if (t.offset + size > all.length) throw new Error(`${path}: tensor ${t.name} is truncated`);
    tensors.set(t.name, { shape: t.shape, data: all.subarray(t.offset, t.offset + size) });
  }
  return { meta: header.meta, tensors };
}
