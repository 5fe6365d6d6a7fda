import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import { join } from "node:path";
import { parseIdx, readIdx } from "../src/data/idx.ts";

/** An unsigned-byte IDX file with the given dims and data. */
function idxBytes(dims: number[], data: Uint8Array, typeCode = 0x08): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length);
  const view = new DataView(header.buffer);
  header[2] = typeCode;
  header[3] = dims.length;
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d));
  const out = new Uint8Array(header.length + data.length);
  out.set(header);
  out.set(data, header.length);
  return out;
}

Deno.test("parseIdx reads dims and data, plain and gzipped", () => {
  const data = Uint8Array.from({ length: 2 * 3 * 4 }, (_, i) => i);
  const plain = idxBytes([2, 3, 4], data);
  for (const bytes of [plain, new Uint8Array(gzipSync(plain))]) {
    const idx = parseIdx(bytes, "mem");
    assert.deepEqual(idx.dims, [2, 3, 4]);
    assert.deepEqual([...idx.data], [...data]);
  }
});

Deno.test("parseIdx rejects a wrong magic number naming the file", () => {
  const bad = idxBytes([4], new Uint8Array(4), 0x0d); // float data, not unsigned bytes
  assert.throws(() => parseIdx(bad, "/x/bad-idx"), /\/x\/bad-idx: bad IDX magic number 0x00000d01/);
  const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0]);
  assert.throws(() => parseIdx(png, "/x/image.png"), /image\.png: bad IDX magic number 0x89504e47/);
});

Deno.test("parseIdx rejects truncated data", () => {
  const short = idxBytes([10, 10], new Uint8Array(99));
  assert.throws(() => parseIdx(short, "f"), /f: IDX dimensions \[10, 10\] need 100 data bytes/);
  assert.throws(() => parseIdx(new Uint8Array(2), "g"), /too short/);
});

Deno.test("readIdx: a bad magic number in a file on disk is one clear error", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = join(dir, "train-images-idx3-ubyte.gz");
    const bytes = idxBytes([1, 2, 2], new Uint8Array(4));
    bytes[0] = 0x12;
    await Deno.writeFile(path, gzipSync(bytes));
    await assert.rejects(() => readIdx(path), (e: Error) => {
      assert.match(e.message, /bad IDX magic number 0x12000803/);
      assert.ok(e.message.includes(path));
      assert.ok(!e.message.includes("\n"));
      return true;
    });
    await assert.rejects(() => readIdx(join(dir, "absent")), /cannot read IDX file .*absent/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
