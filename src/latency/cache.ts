/**
 * The latency cache: measured forward times of network parts, per device, in one
 * JSON file that later runs reuse (only missing entries are measured).
 *
 *   {
 *     "format": "autospace.latency-cache/v1",
 *     "devices": {
 *       "llvmpipe (LLVM 15.0.6, 256 bits) (vendor 0x10005) · register · timestamp": {
 *         "adapter": "llvmpipe (…)", "variant": "register", "timer": "timestamp",
 *         "entries": {
 *           "irb 16->24 s2 k3 e6 @ b64 14x14": { "ms": 1.93, "minMs": 1.90, … }, …
 *         }
 *       }
 *     }
 *   }
 *
 * Saving re-reads the file and merges, so two runs filling one cache keep both
 * runs' entries; the write is atomic (a reader never sees half a file).
 */
import { dirname } from "node:path";
import { atomicWrite } from "../util/atomic_write.ts";
import { deviceKey, type LatencyDevice } from "./device_key.ts";

/** Format tag of latency cache files. */
export const LATENCY_CACHE_FORMAT = "autospace.latency-cache/v1";

/** One measured part. */
export interface LatencyEntry {
  /** Median forward time, milliseconds. */
  readonly ms: number;
  readonly minMs: number;
  readonly samplesMs: readonly number[];
  /** Forward calls per timed repetition. */
  readonly callsPerRep: number;
  readonly dispatches: number;
  /** ISO date of the measurement. */
  readonly measuredAt: string;
  /** 1/5/15-minute load average then (CPU adapters share the machine's cores). */
  readonly loadavg?: readonly number[];
  /** Measurements pooled into this entry (absent: one). */
  readonly rounds?: number;
}

interface DeviceEntries {
  adapter: string;
  variant: string;
  timer: string;
  entries: Record<string, LatencyEntry>;
}

/**
 * The default cache file: `$AUTOSPACE_LATENCY_CACHE`, else
 * `$XDG_CACHE_HOME/autospace/latency.json`, else `~/.cache/autospace/latency.json`.
 */
export function defaultCachePath(): string {
  const env = (name: string) => {
    try {
      return Deno.env.get(name) || undefined;
    } catch {
      return undefined;
    }
  };
  const explicit = env("AUTOSPACE_LATENCY_CACHE");
  if (explicit) return explicit;
  const base = env("XDG_CACHE_HOME") ?? (env("HOME") ? `${env("HOME")}/.cache` : undefined);
  if (!base) {
    throw new Error("latency: no HOME or XDG_CACHE_HOME to put the cache in; pass a cache path");
  }
  return `${base}/autospace/latency.json`;
}

export class LatencyCache {
  private devices: Record<string, DeviceEntries>;

  private constructor(readonly path: string | null, devices: Record<string, DeviceEntries>) {
    this.devices = devices;
  }

  /** An empty cache that is never written (tests, one-off runs). */
  static inMemory(): LatencyCache {
    return new LatencyCache(null, {});
  }

  /** Opens the cache at `path`; a missing file is an empty cache, a bad one an error. */
  static async open(path: string): Promise<LatencyCache> {
    return new LatencyCache(path, await readDevices(path));
  }

  /** The entry of `key` measured on `device`, if any. */
  get(device: LatencyDevice, key: string): LatencyEntry | undefined {
    return this.devices[deviceKey(device)]?.entries[key];
  }

  /** Records an entry (in memory until `save`). */
  set(device: LatencyDevice, key: string, entry: LatencyEntry): void {
    const id = deviceKey(device);
    this.devices[id] ??= { ...device, entries: {} };
    this.devices[id].entries[key] = entry;
  }

  /** Number of entries of `device`. */
  size(device: LatencyDevice): number {
    return Object.keys(this.devices[deviceKey(device)]?.entries ?? {}).length;
  }

  /**
   * Writes the file: entries another process saved meanwhile are kept, ours win on
   * the same key. Creates the folder. No-op for an in-memory cache.
   */
  async save(): Promise<void> {
    if (this.path === null) return;
    const onDisk = await readDevices(this.path);
    for (const [id, mine] of Object.entries(this.devices)) {
      onDisk[id] = { ...mine, entries: { ...onDisk[id]?.entries, ...mine.entries } };
    }
    this.devices = onDisk;
    await Deno.mkdir(dirname(this.path), { recursive: true });
    const json = { format: LATENCY_CACHE_FORMAT, devices: this.devices };
    await atomicWrite(this.path, JSON.stringify(json, null, 1) + "\n");
  }
}

/** Reads and checks a cache file's devices; {} when the file does not exist. */
async function readDevices(path: string): Promise<Record<string, DeviceEntries>> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return {};
    throw new Error(`latency cache ${path}: cannot read it (${(err as Error).message})`);
  }
  const bad = (why: string): never => {
    throw new Error(
      `latency cache ${path}: ${why}; delete the file (it only caches measurements) ` +
        `or pass another cache path`,
    );
  };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return bad(`not JSON (${(err as Error).message})`);
  }
  const isObject = (v: unknown): v is Record<string, unknown> =>
    typeof v === "object" && v !== null && !Array.isArray(v);
  if (!isObject(value) || value.format !== LATENCY_CACHE_FORMAT) {
    return bad(`not a latency cache (format is not "${LATENCY_CACHE_FORMAT}")`);
  }
  if (!isObject(value.devices)) return bad(`"devices" is not an object`);
  for (const [id, device] of Object.entries(value.devices)) {
    if (!isObject(device) || !isObject(device.entries)) return bad(`device "${id}" has no entries`);
    for (const [key, entry] of Object.entries(device.entries)) {
      if (!isObject(entry) || typeof entry.ms !== "number" || !(entry.ms >= 0)) {
        return bad(`entry "${key}" of "${id}" has no valid "ms"`);
      }
    }
  }
  return value.devices as Record<string, DeviceEntries>;
}
