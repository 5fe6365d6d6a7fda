/**
 * IDX files (the MNIST format): a 4-byte magic number 0x00 0x00 TYPE NDIMS, NDIMS
 * big-endian uint32 sizes, then the data. Only unsigned-byte data (TYPE 0x08) is
 * needed here. Files may be gzipped (detected by the gzip magic 0x1f 0x8b).
 */
import { gunzipSync } from "node:zlib";

/** Element type code for unsigned bytes. */
const IDX_UBYTE = 0x08;

/** A parsed unsigned-byte IDX array. */
export interface IdxArray {
  /** Sizes, outermost first (e.g. [60000, 28, 28]). */
  dims: number[];
  /** Row-major data, product(dims) bytes. */
  data: Uint8Array;
}

/**
 * Parses the bytes of an unsigned-byte IDX file (gzipped or not). `path` only
 * names the file in error messages.
 */
export function parseIdx(bytes: Uint8Array, path: string): IdxArray {
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = new Uint8Array(gunzipSync(bytes));
    } catch (e) {
      throw new Error(`${path}: gzip data is corrupt (${(e as Error).message}); replace the file`);
    }
  }
  if (bytes.length < 4) {
    throw new Error(`${path}: only ${bytes.length} bytes, too short for an IDX header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = view.getUint32(0);
  const ndims = bytes[3];
  if (bytes[0] !== 0 || bytes[1] !== 0 || bytes[2] !== IDX_UBYTE || ndims === 0) {
    throw new Error(
      `${path}: bad IDX magic number 0x${hex8(magic)}; expected 0x000008NN ` +
        `(unsigned-byte IDX, NN dimensions) — is this an MNIST-format file?`,
    );
  }
  const headerBytes = 4 + 4 * ndims;
  if (bytes.length < headerBytes) {
    throw new Error(`${path}: IDX header declares ${ndims} dimensions but the file is truncated`);
  }
  const dims: number[] = [];
  for (let d = 0; d < ndims; d++) dims.push(view.getUint32(4 + 4 * d));
  const count = dims.reduce((a, b) => a * b, 1);
  if (bytes.length - headerBytes !== count) {
    throw new Error(
      `${path}: IDX dimensions [${dims.join(", ")}] need ${count} data bytes but the file has ` +
        `${bytes.length - headerBytes}; the file is truncated or corrupt`,
    );
  }
  return { dims, data: bytes.subarray(headerBytes) };
}

/** Reads and parses an unsigned-byte IDX file (gzipped or not). */
export async function readIdx(path: string): Promise<IdxArray> {
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (e) {
    throw new Error(`cannot read IDX file ${path}: ${(e as Error).message}`);
  }
  return parseIdx(bytes, path);
}

function hex8(value: number): string {
  return value.toString(16).padStart(8, "0");
}
