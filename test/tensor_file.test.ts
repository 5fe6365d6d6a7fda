/**
 * The evolution checkpoint's tensor file: a round trip, and files cut short or damaged
 * anywhere (inside the JSON header, inside the data) give one error naming the file.
 */
import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { loadTensorFile, saveTensorFile } from "../src/tensor/tensor_file.ts";

gpuTest("tensor files round-trip; cut or damaged files name themselves", async () => {
  const dir = await Deno.makeTempDir({ prefix: "tensor-file-" });
  const a = fromArray([2, 3], [1, 2, 3, 4, 5, 6], { name: "a" });
  const b = fromArray([4], [-1, 0.5, 7, 8], { name: "b" });
  try {
    const path = `${dir}/evolve.ckpt`;
    await saveTensorFile(path, new Map([["a", a], ["b", b]]), { step: 12, layers: [1, 2, 3] });
    const loaded = await loadTensorFile(path);
    assert.deepEqual(loaded.meta, { step: 12, layers: [1, 2, 3] });
    assert.deepEqual([...loaded.tensors.get("b")!.data], [-1, 0.5, 7, 8]);

    const bytes = await Deno.readFile(path);
    const cut = `${dir}/cut.ckpt`;
    const headerEnd = 8 + new DataView(bytes.buffer).getUint32(4, true);
    const cases: [number, RegExp][] = [
      [20, /truncated inside its header/], // inside the JSON header
      [headerEnd + 6, /truncated \(data is 6 bytes/], // inside the data, mid-float
      [headerEnd + 8, /tensor a is truncated/], // whole floats, too few
    ];
    for (const [length, message] of cases) {
      await Deno.writeFile(cut, bytes.subarray(0, length));
      await assert.rejects(() => loadTensorFile(cut), (err: Error) => {
        assert.ok(err.message.startsWith(`${cut}: `), err.message);
        assert.match(err.message, message);
        return true;
      });
    }
    const damaged = bytes.slice();
    damaged[8] = 0x78; // "x" where the header's opening brace was
    await Deno.writeFile(cut, damaged);
    await assert.rejects(() => loadTensorFile(cut), new RegExp(`${cut}: damaged header`));
  } finally {
    a.dispose();
    b.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
