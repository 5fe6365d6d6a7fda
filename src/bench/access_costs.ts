/**
 * What one memory access and one multiply-add cost an invocation on this adapter: the
 * numbers that bound every kernel here. Each case is a loop of `STEPS` iterations in
 * every invocation of 64 workgroups of 64; an iteration does one access of the kind
 * named (unrolled 8 times, so that loop overhead is shared), and the empty loop is
 * measured too so that its cost can be taken off. Buffers are 64 KiB, so the data
 * stays in a core's cache and only instruction cost shows. The streaming cases walk a
 * larger buffer once a dispatch, each workgroup its own contiguous run: 8 MiB (beyond a
 * core's L2, inside the shared last-level cache of the machines measured here) and 64 MiB
 * (beyond it), the sizes a training step's activations have at batch 64.
 *
 * On llvmpipe an invocation is one lane of an 8-wide vector, and Mesa 22.3 turns
 * every storage-buffer load or store into a loop over the lanes with a branch per
 * lane and per component; uniform buffers are gathered lane by lane without branches.
 * The register-block cases show how far multiply-adds amortise those loads: a block
 * of P pixels × C channels does P·C multiply-adds for P/4 storage vec4 loads and C/4
 * uniform vec4 loads, with accumulators spilled once they outgrow the 16 vector
 * registers.
 */
import type { Gpu } from "../gpu/gpu.ts";
import type { KernelTimer, TimingOptions } from "../gpu/timing.ts";
import { LLVMPIPE_THREADS_ENV } from "../gpu/llvmpipe_threads.ts";

/** One measured case. */
export interface AccessCost {
  name: string;
  /** Wall-clock nanoseconds per invocation and iteration. */
  nsPerIteration: number;
  /**
   * The same less the empty loop's, both less the empty dispatch's fixed cost: the access
   * (or block) itself.
   */
  nsAboveLoop: number;
  /** Multiply-adds an iteration does (register-block cases), for GMAC/s. */
  macsPerIteration?: number;
}

/** Everything the section measures. */
export interface AccessCosts {
  rows: AccessCost[];
  /**
   * Microseconds one dispatch of one workgroup that does nothing costs: what every
   * dispatch pays before its work (llvmpipe wakes its worker threads and waits).
   */
  emptyDispatchUs: number;
  /**
   * llvmpipe's worker threads when measured (`LP_NUM_THREADS`); with 1, the costs are
   * one thread's, and a machine runs one such thread a core.
   */
  threads?: number;
}

const WG = 64;
const GROUPS = 64;
const STEPS = 256;
const UNROLL = 8;
const VEC4S = 4096; // 64 KiB of vec4 (the uniform-buffer limit)
/** The streaming cases' buffer sizes, in bytes (64 groups × 64 lanes × steps × 16 bytes). */
export const STREAM_BYTES = [8 * 2 ** 20, 64 * 2 ** 20] as const;
/** The in-cache cases' buffer size, in bytes. */
export const IN_CACHE_BYTES = 16 * VEC4S;

interface Case {
  name: string;
  /** WGSL statements of one step; `i` is the step, `lid` the lane, `acc` a vec4 sink. */
  step: string;
  /** Declarations before the loop (accumulators) and the sink added after it. */
  before?: string;
  after?: string;
  macs?: number;
  /** Streams buffers of this many bytes instead of the 64 KiB ones. */
  streamBytes?: number;
}

/** Steps a lane takes through a streamed buffer of `bytes`. */
const streamSteps = (bytes: number) => bytes / (16 * GROUPS * WG);

/** A streaming case's name, e.g. "storage load vec4, 8 MiB". */
export function streamCaseName(access: "load" | "store", bytes: number): string {
  return `storage ${access} vec4, ${bytes / 2 ** 20} MiB`;
}

/** A lane's vec4 at step `i` of its workgroup's contiguous run of `steps`. */
const streamIndex = (steps: number) => `(wid.x * ${steps}u + i) * 64u + lid`;

/** The register-block case: P pixels (P/4 storage vec4) × C channels (C/4 uniform vec4). */
function blockCase(p: number, c: number): Case {
  const decls: string[] = [];
  const body: string[] = [];
  for (let v = 0; v < p / 4; v++) {
    body.push(`let x${v} = src[(i * ${p / 4}u + ${v}u) * 64u + lid & ${VEC4S - 1}u];`);
  }
  for (let w = 0; w < c / 4; w++) {
    body.push(`let w${w} = uni[(i * ${c / 4}u + ${w}u) & ${VEC4S - 1}u];`);
  }
  const accs: string[] = [];
  for (let v = 0; v < p / 4; v++) {
    for (let e = 0; e < 4; e++) {
      for (let w = 0; w < c / 4; w++) {
        const a = `a${v}_${e}_${w}`;
        accs.push(a);
        decls.push(`var ${a} = vec4<f32>();`);
        body.push(`${a} = fma(vec4<f32>(x${v}[${e}]), w${w}, ${a});`);
      }
    }
  }
  return {
    name: `block ${p} pixels × ${c} channels`,
    before: decls.join(" "),
    step: body.join(" "),
    after: `acc += ${accs.join(" + ")};`,
    macs: p * c,
  };
}

const CASES: readonly Case[] = [
  { name: "empty loop", step: "acc += vec4<f32>(f32(i));" },
  { name: "storage load f32", step: `acc.x += srcf[(i * 64u + lid) & ${4 * VEC4S - 1}u];` },
  { name: "storage load vec4", step: `acc += src[(i * 64u + lid) & ${VEC4S - 1}u];` },
  { name: "uniform load vec4", step: `acc += uni[(i * 64u + lid) & ${VEC4S - 1}u];` },
  {
    name: "storage store vec4",
    step: `dst[(i * 64u + lid) & ${VEC4S - 1}u] = acc; acc += vec4<f32>(1.0);`,
  },
  blockCase(16, 4),
  blockCase(16, 8),
  blockCase(16, 16),
  ...STREAM_BYTES.flatMap((bytes): Case[] => [
    {
      name: streamCaseName("load", bytes),
      step: `acc += src[${streamIndex(streamSteps(bytes))}];`,
      streamBytes: bytes,
    },
    {
      name: streamCaseName("store", bytes),
      step: `dst[${streamIndex(streamSteps(bytes))}] = acc; acc += vec4<f32>(1.0);`,
      streamBytes: bytes,
    },
  ]),
];

/** Steps a lane takes in case `c`. */
const caseSteps = (c: Case) => c.streamBytes ? streamSteps(c.streamBytes) : STEPS;

function caseWgsl(c: Case): string {
  const sink = `${c.streamBytes ? "" : `${VEC4S}u + `}wid.x * ${WG}u + lid`;
  const steps = Array.from(
    { length: UNROLL },
    (_, u) => `{ let i = ii * ${UNROLL}u + ${u}u; ${c.step} }`,
  ).join("\n    ");
  return `
@group(0) @binding(0) var<storage, read> src: array<vec4<f32>>;
@group(0) @binding(1) var<storage, read> srcf: array<f32>;
@group(0) @binding(2) var<uniform> uni: array<vec4<f32>, ${VEC4S}>;
@group(0) @binding(3) var<storage, read_write> dst: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32, @builtin(workgroup_id) wid: vec3<u32>) {
  var acc = vec4<f32>();
  ${c.before ?? ""}
  for (var ii = 0u; ii < ${caseSteps(c) / UNROLL}u; ii++) {
    ${steps}
  }
  ${c.after ?? ""}
  // Never true; it keeps every binding in the pipeline's automatic layout.
  if (acc.x == 1234.5) {
    dst[${sink}] = acc + src[0] + vec4<f32>(srcf[0]) + uni[0];
  }
}`;
}

/** A dispatch that does nothing (the write never happens; it keeps the binding). */
const EMPTY_WGSL = `
@group(0) @binding(0) var<storage, read_write> dst: array<vec4<f32>>;
@compute @workgroup_size(${WG})
fn main(@builtin(local_invocation_index) lid: u32) {
  if (lid == 1234u) { dst[0] = vec4<f32>(); }
}`;

/** `LP_NUM_THREADS` as a number, where it is set and readable. */
function llvmpipeThreads(): number | undefined {
  try {
    const n = Number(Deno.env.get(LLVMPIPE_THREADS_ENV));
    return Number.isInteger(n) && n >= 1 ? n : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Measures every case with the benchmark's kernel timer (timestamps where the adapter
 * has them), one dispatch a call, and takes each case's fastest repetition (the
 * host's other tenants only ever add time). They are one thread's costs when the
 * adapter runs one thread (`LP_NUM_THREADS=1` on llvmpipe).
 */
export async function measureAccessCosts(
  gpu: Gpu,
  timer: KernelTimer,
  timing: TimingOptions,
): Promise<AccessCosts> {
  const usage = GPUBufferUsage.STORAGE;
  const bytes = IN_CACHE_BYTES;
  const src = gpu.device.createBuffer({ size: bytes, usage, label: "bench.access.src" });
  const uni = gpu.device.createBuffer({
    size: bytes,
    usage: GPUBufferUsage.UNIFORM,
    label: "bench.access.uniform",
  });
  const dst = gpu.device.createBuffer({
    size: bytes + 16 * WG * GROUPS,
    usage,
    label: "bench.access.dst",
  });
  // One pair of the largest size serves every streaming case (each reads its own prefix).
  const streamBytes = Math.max(...STREAM_BYTES);
  const streamSrc = gpu.device.createBuffer({
    size: streamBytes,
    usage,
    label: "bench.access.stream",
  });
  const streamDst = gpu.device.createBuffer({
    size: streamBytes,
    usage,
    label: "bench.access.stream.dst",
  });
  try {
    const timed: { c: Case; ms: number }[] = [];
    for (const c of CASES) {
      const kernel = gpu.kernel(`bench_access:${c.name}`, () => caseWgsl(c));
      const label = `bench access ${c.name}`;
      const buffers = c.streamBytes ? [streamSrc, src, uni, streamDst] : [src, src, uni, dst];
      const t = await timer.time(() => gpu.dispatch(kernel, buffers, [GROUPS], label), timing);
      timed.push({ c, ms: t.minMs });
    }
    const empty = gpu.kernel("bench_access:empty dispatch", () => EMPTY_WGSL);
    const t = await timer.time(() => gpu.dispatch(empty, [dst], [1], "bench access empty"), timing);
    const iterations = (c: Case) => GROUPS * WG * caseSteps(c);
    // Per iteration above the empty loop's, each with the dispatch's fixed cost taken off
    // first: cases of other step counts would spread it differently.
    const work = (ms: number, c: Case) => ((ms - t.minMs) * 1e6) / iterations(c);
    const loop = work(timed[0].ms, timed[0].c);
    const rows: AccessCost[] = timed.map(({ c, ms }) => ({
      name: c.name,
      nsPerIteration: (ms * 1e6) / iterations(c),
      nsAboveLoop: work(ms, c) - loop,
      macsPerIteration: c.macs,
    }));
    return { rows, emptyDispatchUs: t.minMs * 1000, threads: llvmpipeThreads() };
  } finally {
    await gpu.sync();
    src.destroy();
    uni.destroy();
    dst.destroy();
    streamSrc.destroy();
    streamDst.destroy();
  }
}
