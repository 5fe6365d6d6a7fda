import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { relu } from "../src/ops/elementwise.ts";
import { empty, fromArray } from "../src/tensor/creation.ts";
import { noGrad, tidy } from "../src/tensor/engine.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { GpuError } from "../src/gpu/device.ts";

gpuTest("a tensor used after it was freed is an error, not a wrong answer", () => {
  const t = fromArray([2, 2], [1, 2, 3, 4], { name: "weights" });
  t.dispose();
  assert.throws(() => relu(t), /weights\[2,2\] used after it was freed/);
});

gpuTest("tensors created inside tidy() are freed; returned ones survive", async () => {
  let inner: ReturnType<typeof empty> | null = null;
  const out = tidy(() => {
    inner = fromArray([3], [1, -2, 3]);
    return relu(inner);
  });
  assert.ok(inner!.isDisposed, "intermediate freed");
  assert.deepEqual([...await out.read()], [1, 0, 3]);
  out.dispose();
});

gpuTest("fromArray rejects data that does not fill the shape", () => {
  assert.throws(() => fromArray([2, 3], [1, 2, 3]), /3 values do not fill shape \[2,3\]/);
});

gpuTest("a buffer over the adapter's limit is refused with the op and size named", (gpu) => {
  const limit = gpu.device.limits.maxStorageBufferBindingSize;
  const elems = Math.ceil(limit / 4) + 1024;
  assert.throws(
    () => empty([elems], { name: "huge" }),
    /huge\[\d+\]: needs a .* buffer, over this adapter's limit/,
  );
});

gpuTest("noGrad records no backward graph", () => {
  const x = requireGrad(fromArray([2], [1, 2], { persistent: true }));
  tidy(() => {
    const y = noGrad(() => relu(x));
    assert.equal(y.requiresGrad, false);
    assert.throws(() => backward(y), /does not depend on any tensor needing gradients/);
  });
  x.dispose();
});

gpuTest("a WebGPU validation error surfaces as a GpuError naming the kernel", async (gpu) => {
  const k = gpu.kernel("broken:test", () => `
@group(0) @binding(0) var<storage, read_write> out: array<f32>;
@compute @workgroup_size(1) fn main() { out[0] = undefined_name; }`);
  const t = empty([1]);
  try {
    gpu.dispatch(k, [t.buffer], [1], "broken kernel dispatch");
  } catch { /* some backends reject at dispatch */ }
  await assert.rejects(
    () => gpu.sync(),
    (e: Error) => e instanceof GpuError && /broken/.test(e.message),
  );
  t.dispose();
});
