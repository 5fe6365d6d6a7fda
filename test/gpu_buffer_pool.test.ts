/**
 * The buffer pool hands out the lowest free id, so a loop that repeats the same
 * acquires and releases binds the same buffers every step (bind-group cache hits).
 */
import assert from "node:assert/strict";
import { BufferPool } from "../src/gpu/buffer_pool.ts";

/** Just enough of a GPUDevice for the pool: createBuffer returns a stub. */
function fakeDevice(): GPUDevice {
  return { createBuffer: (d: GPUBufferDescriptor) => ({ size: d.size }) } as unknown as GPUDevice;
}

Deno.test("buffer pool: a repeated step gets the same buffers in the same order", () => {
  const pool = new BufferPool(fakeDevice(), 1 << 20);
  const step = () => {
    const a = pool.acquire(1000, "a");
    const b = pool.acquire(1000, "b");
    pool.release(a); // a temporary freed mid-step: reusable only after the submit
    const c = pool.acquire(1000, "c");
    pool.release(b);
    pool.release(c);
    pool.onSubmit();
    return [a.id, b.id, c.id];
  };
  const first = step();
  assert.deepEqual(first, [1, 2, 3]);
  for (let i = 0; i < 3; i++) assert.deepEqual(step(), first);
  assert.equal(pool.created, 3);
});
