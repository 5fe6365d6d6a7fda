/**
 * The GPU runtime: one device, a buffer pool, a pipeline cache, and a recorder that
 * packs many dispatches into one compute pass and one submit.
 *
 * Host syncs (`mapAsync`, `onSubmittedWorkDone`) cost ≥ 11 ms each in Deno, so
 * nothing here waits on the GPU except `read()` and `sync()`, which callers use
 * explicitly and in batches (every N steps).
 */
import { BufferPool, type PooledBuffer } from "./buffer_pool.ts";
import { type DeviceInfo, type DeviceOptions, GpuError, requestGpuDevice } from "./device.ts";

/** Anything a dispatch can bind: a pooled buffer or a raw GPUBuffer. */
export type Bindable = PooledBuffer | GPUBuffer;

/** A compiled kernel: pipeline plus its cache id. */
export interface Kernel {
  readonly id: number;
  readonly key: string;
  readonly pipeline: GPUComputePipeline;
}

const MAX_DISPATCHES_PER_SUBMIT = 1024;
const MAX_BIND_GROUP_CACHE = 50_000;

export class Gpu {
  readonly pool: BufferPool;
  private kernels = new Map<string, Kernel>();
  private bindGroups = new Map<string, GPUBindGroup>();
  private encoder: GPUCommandEncoder | null = null;
  private pass: GPUComputePassEncoder | null = null;
  private dispatchesInBatch = 0;
  private errors: string[] = [];
  private lostReason: string | null = null;
  private staging: GPUBuffer | null = null;
  private readChain: Promise<unknown> = Promise.resolve();
  private rawIds = new WeakMap<GPUBuffer, number>();
  private nextRawId = -1;
  private destroyed = false;
  /** Dispatches recorded since creation (for tests and benchmarks). */
  dispatchCount = 0;
  /** Workgroups of those dispatches: a load-independent measure of the work recorded. */
  workgroupCount = 0;
  submitCount = 0;
  /** Milliseconds spent inside `queue.submit` (lavapipe runs the work there). */
  submitMs = 0;
  /** Bind groups created (a cache miss each). */
  bindGroupsCreated = 0;
  /** Host reads (`read()`): each one is a host sync. */
  readCount = 0;
  /**
   * Milliseconds inside `createComputePipeline` (llvmpipe compiles the shader itself at
   * the pipeline's first dispatch, inside `queue.submit`).
   */
  compileMs = 0;

  private constructor(
    readonly adapter: GPUAdapter,
    readonly device: GPUDevice,
    readonly info: DeviceInfo,
  ) {
    this.pool = new BufferPool(
      device,
      Math.min(device.limits.maxStorageBufferBindingSize, device.limits.maxBufferSize),
    );
    device.addEventListener("uncapturederror", (ev) => {
      const e = (ev as GPUUncapturedErrorEvent).error;
      this.errors.push(e.message);
    });
    device.lost.then((info) => {
      if (!this.destroyed) this.lostReason = `${info.reason}: ${info.message}`;
    });
  }

  static async create(options: DeviceOptions = {}): Promise<Gpu> {
    const { adapter, device, info } = await requestGpuDevice(options);
    return new Gpu(adapter, device, info);
  }

  /** Compiles (once) and returns the kernel for `key`; `source` builds its WGSL. */
  kernel(key: string, source: () => string): Kernel {
    let k = this.kernels.get(key);
    if (k) return k;
    this.assertUsable(key);
    const t0 = performance.now();
    const module = this.device.createShaderModule({ code: source(), label: key });
    const pipeline = this.device.createComputePipeline({
      layout: "auto",
      compute: { module, entryPoint: "main" },
      label: key,
    });
    this.compileMs += performance.now() - t0;
    k = { id: this.kernels.size + 1, key, pipeline };
    this.kernels.set(key, k);
    return k;
  }

  /** Number of distinct kernels compiled so far. */
  get kernelCount(): number {
    return this.kernels.size;
  }

  /** Bind groups held by the cache. */
  get bindGroupCacheSize(): number {
    return this.bindGroups.size;
  }

  /**
   * Records one dispatch. `buffers` bind to @group(0) @binding(0..n-1) in order.
   * `label` names the op and shapes; WebGPU errors quote it.
   */
  dispatch(
    kernel: Kernel,
    buffers: readonly Bindable[],
    workgroups: readonly [number, number?, number?],
    label: string,
  ): void {
    this.assertUsable(label);
    const [x, y = 1, z = 1] = workgroups;
    const maxDim = this.device.limits.maxComputeWorkgroupsPerDimension;
    if (x > maxDim || y > maxDim || z > maxDim) {
      throw new GpuError(`${label}: dispatch ${x}×${y}×${z} exceeds ${maxDim} per dimension`);
    }
    if (x === 0 || y === 0 || z === 0) return;
    const bindGroup = this.bindGroup(kernel, buffers, label);
    const pass = this.beginPass();
    pass.setPipeline(kernel.pipeline);
    pass.setBindGroup(0, bindGroup);
    pass.dispatchWorkgroups(x, y, z);
    this.dispatchCount++;
    this.workgroupCount += x * y * z;
    if (++this.dispatchesInBatch >= MAX_DISPATCHES_PER_SUBMIT) this.flush();
  }

  /** Uploads host data into a buffer (ordered after everything recorded so far). */
  write(target: Bindable, data: ArrayBufferView, byteOffset = 0): void {
    this.assertUsable("write");
    this.flush(); // queue.writeBuffer runs at call time; recorded work must go first
    this.device.queue.writeBuffer(
      rawBuffer(target),
      byteOffset,
      data.buffer as ArrayBuffer,
      data.byteOffset,
      data.byteLength,
    );
  }

  /** Copies bytes between buffers, in stream order. */
  copy(src: Bindable, dst: Bindable, bytes: number, srcOffset = 0, dstOffset = 0): void {
    this.endPass();
    this.commandEncoder().copyBufferToBuffer(
      rawBuffer(src),
      srcOffset,
      rawBuffer(dst),
      dstOffset,
      roundUp4(bytes),
    );
  }

  /** Submits everything recorded so far (no wait). */
  flush(): void {
    if (!this.encoder) return;
    this.endPass();
    const cmd = this.encoder.finish();
    this.encoder = null;
    this.dispatchesInBatch = 0;
    const t0 = performance.now();
    this.device.queue.submit([cmd]);
    this.submitMs += performance.now() - t0;
    this.submitCount++;
    this.pool.onSubmit();
  }

  /**
   * Reads several buffer ranges back in one staging copy and one map: the only
   * host sync in a training loop, so callers batch what they need.
   */
  read(items: readonly { buffer: Bindable; bytes: number; offset?: number }[]): Promise<
    ArrayBuffer[]
  > {
    const run = async () => {
      this.assertUsable("read");
      this.readCount++;
      const sizes = items.map((it) => roundUp4(it.bytes));
      const offsets: number[] = [];
      let total = 0;
      for (const s of sizes) {
        offsets.push(total);
        total += roundUp(s, 256);
      }
      const staging = this.stagingBuffer(Math.max(total, 256));
      this.endPass();
      const enc = this.commandEncoder();
      items.forEach((it, i) =>
        enc.copyBufferToBuffer(rawBuffer(it.buffer), it.offset ?? 0, staging, offsets[i], sizes[i])
      );
      this.flush();
      await staging.mapAsync(GPUMapMode.READ, 0, total);
      this.throwIfFailed("read");
      const mapped = staging.getMappedRange(0, total);
      const out = items.map((it, i) => mapped.slice(offsets[i], offsets[i] + it.bytes));
      staging.unmap();
      return out;
    };
    const p = this.readChain.then(run, run);
    this.readChain = p.catch(() => undefined);
    return p;
  }

  /** Waits for all submitted work and raises any error the device reported. */
  async sync(): Promise<void> {
    this.flush();
    await this.device.queue.onSubmittedWorkDone();
    this.throwIfFailed("sync");
  }

  /** Throws the first pending device error (validation, out-of-memory, loss). */
  throwIfFailed(where: string): void {
    if (this.lostReason) throw new GpuError(`GPU device lost during ${where}: ${this.lostReason}`);
    if (this.errors.length > 0) {
      const msg = this.errors.join("\n");
      this.errors.length = 0;
      throw new GpuError(`GPU error reported by ${where}: ${msg}`);
    }
  }

  /** Drains the queue and releases the device. Safe to call twice. */
  async destroy(): Promise<void> {
    if (this.destroyed) return;
    try {
      this.flush();
      await this.device.queue.onSubmittedWorkDone();
    } finally {
      this.destroyed = true;
      this.bindGroups.clear();
      this.pool.trim();
      this.staging?.destroy();
      this.device.destroy();
    }
  }

  get isDestroyed(): boolean {
    return this.destroyed;
  }

  /** Drops cached bind groups (after buffers they reference were destroyed). */
  clearBindGroupCache(): void {
    this.bindGroups.clear();
  }

  /** The current compute pass, opened on demand. Bench code may pass timestamp writes. */
  beginPass(timestampWrites?: GPUComputePassTimestampWrites): GPUComputePassEncoder {
    if (this.pass && !timestampWrites) return this.pass;
    this.endPass();
    this.pass = this.commandEncoder().beginComputePass(
      timestampWrites ? { timestampWrites } : {},
    );
    return this.pass;
  }

  /** Ends the current compute pass, if any. */
  endPass(): void {
    if (this.pass) {
      this.pass.end();
      this.pass = null;
    }
  }

  /** The command encoder being recorded into (bench code resolves queries with it). */
  commandEncoder(): GPUCommandEncoder {
    if (!this.encoder) this.encoder = this.device.createCommandEncoder();
    return this.encoder;
  }

  private bindGroup(kernel: Kernel, buffers: readonly Bindable[], label: string): GPUBindGroup {
    let key = String(kernel.id);
    for (const b of buffers) key += "," + this.bufferId(b);
    let bg = this.bindGroups.get(key);
    if (bg) return bg;
    bg = this.device.createBindGroup({
      layout: kernel.pipeline.getBindGroupLayout(0),
      entries: buffers.map((b, i) => ({ binding: i, resource: { buffer: rawBuffer(b) } })),
      label,
    });
    if (this.bindGroups.size >= MAX_BIND_GROUP_CACHE) this.bindGroups.clear();
    this.bindGroups.set(key, bg);
    this.bindGroupsCreated++;
    return bg;
  }

  private bufferId(b: Bindable): number {
    if (isPooled(b)) return b.id;
    let id = this.rawIds.get(b as GPUBuffer);
    if (id === undefined) {
      id = this.nextRawId--;
      this.rawIds.set(b as GPUBuffer, id);
    }
    return id;
  }

  private stagingBuffer(bytes: number): GPUBuffer {
    if (!this.staging || this.staging.size < bytes) {
      this.staging?.destroy();
      this.staging = this.device.createBuffer({
        size: Math.max(bytes, (this.staging?.size ?? 0) * 2),
        usage: GPUBufferUsage.MAP_READ | GPUBufferUsage.COPY_DST,
        label: "staging",
      });
    }
    return this.staging;
  }

  private assertUsable(what: string): void {
    if (this.destroyed) throw new GpuError(`${what}: the GPU device was already destroyed`);
    if (this.lostReason) throw new GpuError(`${what}: GPU device lost: ${this.lostReason}`);
  }
}

/** The GPUBuffer behind a bindable. */
export function rawBuffer(b: Bindable): GPUBuffer {
  return isPooled(b) ? b.buffer : b;
}

function isPooled(b: Bindable): b is PooledBuffer {
  return "capacity" in b && "id" in b;
}

function roundUp4(n: number): number {
  return Math.ceil(n / 4) * 4;
}

function roundUp(n: number, m: number): number {
  return Math.ceil(n / m) * m;
}

let shared: { gpu: Promise<Gpu>; options: DeviceOptions } | null = null;

/** The options of `later` (those given) that differ from `first`'s, as "key value" text. */
function conflictingOptions(first: DeviceOptions, later: DeviceOptions): string[] {
  return (Object.keys(later) as (keyof DeviceOptions)[])
    .filter((key) => later[key] !== undefined && later[key] !== first[key])
    .map((key) => `${key} ${later[key]}`);
}

/**
 * The process-wide GPU, created on first use with `options`. Later calls share it;
 * options they give must be those of the first call (a different adapter or kernel
 * family would need another device), else one error says so.
 */
export function getGpu(options: DeviceOptions = {}): Promise<Gpu> {
  if (!shared) {
    shared = { gpu: Gpu.create(options), options: { ...options } };
    return shared.gpu;
  }
  const conflicts = conflictingOptions(shared.options, options);
  if (conflicts.length > 0) {
    const first = JSON.stringify(shared.options);
    return Promise.reject(
      new GpuError(
        `getGpu: the GPU already exists (created with options ${first}); ` +
          `${conflicts.join(", ")} would need another one: pass it to the first call, ` +
          `or releaseGpu() first`,
      ),
    );
  }
  return shared.gpu;
}

/** Destroys the process-wide GPU (call before exit so the queue is drained). */
export async function releaseGpu(): Promise<void> {
  if (!shared) return;
  const g = await shared.gpu.catch(() => null);
  shared = null;
  await g?.destroy();
}
