/**
 * A pool of storage buffers that reuses freed ones, so a training loop reaches a
 * steady state after its first steps and stops allocating.
 *
 * Sizes are rounded up to size classes (2^k and 1.5·2^k bytes, at least 256) so a
 * freed buffer serves any later request of a similar size; the waste is at most 1/3.
 *
 * A buffer released while commands that use it are still being recorded must not be
 * handed out again before those commands are submitted: a `queue.writeBuffer` into
 * the reused buffer would land before the earlier commands run. So releases go to a
 * pending list that `onSubmit()` moves to the free lists.
 */

/** A pooled buffer with a stable numeric id (for bind-group cache keys). */
export interface PooledBuffer {
  readonly id: number;
  readonly buffer: GPUBuffer;
  /** Bytes actually allocated (the size class). */
  readonly capacity: number;
}

const USAGE = GPUBufferUsage.STORAGE | GPUBufferUsage.COPY_SRC | GPUBufferUsage.COPY_DST;

/** Smallest size class ≥ bytes. */
export function sizeClass(bytes: number): number {
  const min = 256;
  if (bytes <= min) return min;
  const p = 2 ** Math.ceil(Math.log2(bytes));
  const mid = (p / 4) * 3;
  return bytes <= mid ? mid : p;
}

export class BufferPool {
  private free = new Map<number, PooledBuffer[]>();
  private pending: PooledBuffer[] = [];
  private nextId = 1;
  /** Bytes held by live buffers (in use or free in the pool). */
  allocatedBytes = 0;
  /** Bytes currently handed out. */
  inUseBytes = 0;
  /** Number of GPU buffers ever created (a steady loop stops increasing it). */
  created = 0;

  constructor(private device: GPUDevice, private maxBufferSize: number) {}

  acquire(bytes: number, label: string): PooledBuffer {
    if (bytes > this.maxBufferSize) {
      throw new RangeError(
        `${label}: needs a ${formatBytes(bytes)} buffer, over this adapter's limit of ` +
          `${formatBytes(this.maxBufferSize)}; use a smaller batch or input size`,
      );
    }
    const cap = Math.min(sizeClass(bytes), roundUp(this.maxBufferSize, 4));
    const list = this.free.get(cap);
    let buf = list?.pop();
    if (!buf) {
      const buffer = this.device.createBuffer({ size: cap, usage: USAGE, label });
      buf = { id: this.nextId++, buffer, capacity: cap };
      this.allocatedBytes += cap;
      this.created++;
    }
    this.inUseBytes += cap;
    return buf;
  }

  /** Returns a buffer; it becomes reusable after the next submit. */
  release(buf: PooledBuffer): void {
    this.inUseBytes -= buf.capacity;
    this.pending.push(buf);
  }

  /**
   * Called after each queue submit: pending releases become reusable. Free lists are
   * kept in descending id order, so `acquire` hands out the lowest free id: a loop
   * that repeats the same acquires and releases gets the same buffers every step,
   * and the GPU's bind-group cache hits instead of creating half a step's bind groups
   * anew (and growing until it is cleared).
   */
  onSubmit(): void {
    const touched = new Set<PooledBuffer[]>();
    for (const buf of this.pending) {
      let list = this.free.get(buf.capacity);
      if (!list) this.free.set(buf.capacity, list = []);
      list.push(buf);
      touched.add(list);
    }
    for (const list of touched) list.sort((a, b) => b.id - a.id);
    this.pending.length = 0;
  }

  /** Destroys every free buffer (live ones stay). */
  trim(): void {
    for (const list of this.free.values()) {
      for (const b of list) {
        b.buffer.destroy();
        this.allocatedBytes -= b.capacity;
      }
    }
    this.free.clear();
  }
}

function roundUp(n: number, m: number): number {
  return Math.floor(n / m) * m;
}

/** "12.5 MiB" style. */
export function formatBytes(n: number): string {
  if (n >= 2 ** 30) return `${(n / 2 ** 30).toFixed(2)} GiB`;
  if (n >= 2 ** 20) return `${(n / 2 ** 20).toFixed(1)} MiB`;
  if (n >= 2 ** 10) return `${(n / 2 ** 10).toFixed(1)} KiB`;
  return `${n} B`;
}
