/**
 * The WebGPU adapter the check's children will get, asked for in a child process of
 * its own (a broken driver can hang `requestAdapter()`, and the backend is fixed at a
 * process's first request): its names, whether it is a CPU one, the limits the kernels
 * depend on, and its features.
 */
import { SOFTWARE_ADAPTER } from "../gpu/device.ts";
import { runChild } from "./child.ts";

/** The limits the kernels depend on (the tiled family's workgroup tiles, big bindings). */
export const KEY_LIMITS = [
  "maxStorageBufferBindingSize",
  "maxBufferSize",
  "maxComputeWorkgroupStorageSize",
  "maxComputeInvocationsPerWorkgroup",
] as const;

/** One adapter as recorded. */
export interface AdapterReport {
  description: string;
  vendor: string;
  architecture: string;
  device: string;
  isFallbackAdapter: boolean;
  /** A software adapter (llvmpipe / lavapipe, SwiftShader, ...). */
  isCpu: boolean;
  keyLimits: Record<(typeof KEY_LIMITS)[number], number>;
  timestampQuery: boolean;
  limits: Record<string, number>;
  features: string[];
}

/** What the probe saw: an adapter, none, or an error (timeout, crash). */
export interface AdapterProbe {
  adapter: AdapterReport | null;
  error?: string;
  seconds: number;
}

const MARK = "ADAPTER_JSON ";

/** Runs in the child: prints the adapter (or null) as one marked JSON line. */
const PROBE = `
const a = await navigator.gpu?.requestAdapter({ powerPreference: "high-performance" });
let out = null;
if (a) {
  const limits = {};
  for (const k in a.limits) if (typeof a.limits[k] === "number") limits[k] = a.limits[k];
  const i = a.info;
  out = { description: i.description, vendor: i.vendor, architecture: i.architecture,
    device: i.device, isFallbackAdapter: !!i.isFallbackAdapter, limits,
    features: [...a.features].sort() };
}
console.log(${JSON.stringify(MARK)} + JSON.stringify(out));
`;

/** Asks a child `deno eval` for the adapter, with `env` (the backend choice in it). */
export async function probeAdapter(
  deno: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<AdapterProbe> {
  const r = await runChild(deno, ["eval", PROBE], { env, timeoutMs, keepStdout: true });
  const line = r.stdout.split("\n").find((l) => l.startsWith(MARK));
  if (r.timedOut) {
    return { adapter: null, error: `no answer in ${timeoutMs / 1000} s`, seconds: r.seconds };
  }
  if (line === undefined) {
    const why = r.tail.at(-1) ?? `exit ${r.code}`;
    return { adapter: null, error: `the probe printed no adapter: ${why}`, seconds: r.seconds };
  }
  const raw = JSON.parse(line.slice(MARK.length));
  return { adapter: raw === null ? null : adapterReport(raw), seconds: r.seconds };
}

/** Completes the probe's record: the CPU verdict, key limits, timestamp queries. */
export function adapterReport(
  raw: Omit<AdapterReport, "isCpu" | "keyLimits" | "timestampQuery">,
): AdapterReport {
  const name = raw.description || raw.device || raw.vendor;
  const keyLimits = Object.fromEntries(KEY_LIMITS.map((k) => [k, raw.limits[k] ?? 0]));
  return {
    ...raw,
    isCpu: raw.isFallbackAdapter || SOFTWARE_ADAPTER.test(name),
    keyLimits: keyLimits as AdapterReport["keyLimits"],
    timestampQuery: raw.features.includes("timestamp-query"),
  };
}
