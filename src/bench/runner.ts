/**
 * Runs the benchmark's sections in order — targets, supernet, mbv2, train — prints
 * each table as soon as its section is done, and returns everything as one report.
 */
import { DEFAULT_EVOLVE_CONFIG } from "../evolve/config.ts";
import type { KernelVariant } from "../gpu/device.ts";
import type { Gpu } from "../gpu/gpu.ts";
import { LLVMPIPE_THREADS_ENV } from "../gpu/llvmpipe_threads.ts";
import { builtinBackbone } from "../space/backbone.ts";
import { mobileNetV2Spec } from "../space/builtins.ts";
import type { Peer, PeerTiming } from "./compare.ts";
import { prepareConvCase } from "./conv_case.ts";
import {
  type LatencyBenchOptions,
  latencyCheckSection,
  latencySection,
} from "./latency_sections.ts";
import {
  accessText,
  type BenchReport,
  compareTable,
  type ConvResult,
  convResultBase,
  directionResult,
  forwardText,
  judgeTarget,
  layerTable,
  type PeerResult,
  peerResult,
  skippedDirection,
  summaryLines,
  type TargetResult,
  targetsTable,
  trainText,
} from "./report.ts";
import { fmt } from "../report/text_table.ts";
import { type AccessCosts, measureAccessCosts } from "./access_costs.ts";
import { compareWithFloor, floorModels, stepWork, unitCosts, withStep } from "./step_floor.ts";
import {
  type ConvShape,
  dedupeShapes,
  type Direction,
  DIRECTION_SHORT,
  directionFlops,
  fittingBatch,
  largestBindingBytes,
  networkConvShapes,
  supernetConvShapes,
  targetKernels,
  totalMacs,
} from "./shapes.ts";
import {
  defaultTimingOptions,
  KernelTimer,
  type TimerMethod,
  type TimingOptions,
} from "../gpu/timing.ts";
import type { SectionName } from "./sections.ts";
import { benchTrainStep, type TrainNetwork, trainNetworkSpec } from "./train_step.ts";
import { benchSupernetPath, type SupernetPathOptions } from "./supernet_path.ts";
import { supernetPathText } from "./supernet_path_report.ts";
import { benchForwardPass, type ForwardPassOptions } from "./forward_pass.ts";

export interface BenchOptions {
  sections: SectionName[];
  /** Batch of the targets and supernet sections (default 32). */
  batch: number;
  /** MobileNetV2-224 batch; undefined: `batch`, halved until every layer fits the binding limit. */
  mbv2Batch?: number;
  trainBatch: number;
  trainWidth: number;
  /** `--train-arch`: the training section's network instead of MobileNetV2. */
  trainNetwork?: TrainNetwork;
  reps: number;
  warmup: number;
  /** Training steps profiled per dispatch (the train section's table takes minima over them). */
  profileSteps: number;
  timer: TimerMethod | "auto";
  compare: boolean;
  variant?: KernelVariant;
  checkTimer: boolean;
  seed: number;
  /** AUTOSPACE_ADAPTER=cpu was set: tfjs must ask for the fallback adapter too. */
  forceFallbackAdapter: boolean;
  /** The space, batches and cache of the latency sections (needed only by them). */
  latency?: LatencyBenchOptions;
  /**
   * Access costs for the train section's floor, read from a file (`--access-costs`);
   * the access section's own measurement, when it runs, takes their place.
   */
  accessCosts?: { costs: AccessCosts; source: string };
  /** The space and sizes of the supernet-path section (needed only by it). */
  supernetPath?: SupernetPathOptions;
  /** The space and sizes of the forward section (needed only by it). */
  forward?: ForwardPassOptions;
}

/** Where text goes: tables to `print` (stdout), progress to `progress` (stderr). */
export interface BenchOutput {
  print(text: string): void;
  progress(line: string): void;
}

/** The default evolution supernet's backbone (28×28 Fashion-MNIST inputs). */
export const SUPERNET_BACKBONE = DEFAULT_EVOLVE_CONFIG.backbone;

/** Times ours and the peers on a list of shapes and directions. */
class SectionRunner {
  constructor(
    private gpu: Gpu,
    private timer: KernelTimer,
    private timing: TimingOptions,
    private peers: Peer[],
    private out: BenchOutput,
  ) {}

  /** Times every direction of every shape; progress line per shape. */
  async run(
    title: string,
    shapes: readonly ConvShape[],
    directions: (s: ConvShape, index: number) => readonly Direction[],
  ): Promise<ConvResult[]> {
    const results: ConvResult[] = [];
    const limit = this.gpu.device.limits.maxStorageBufferBindingSize;
    for (const [i, shape] of shapes.entries()) {
      const r: ConvResult = { ...convResultBase(shape), directions: [] };
      for (const dir of directions(shape, i)) {
        if (largestBindingBytes(shape) > limit) {
          r.directions.push(skippedDirection(
            shape,
            dir,
            `needs a ${mib(largestBindingBytes(shape))} binding, over this adapter's ` +
              `maxStorageBufferBindingSize of ${mib(limit)}`,
          ));
          continue;
        }
        r.directions.push(await this.timeOurs(shape, dir));
      }
      await this.timePeers(r);
      results.push(r);
      this.out.progress(`[${title} ${i + 1}/${shapes.length}] ${progressLine(r)}`);
    }
    return results;
  }

  private async timeOurs(shape: ConvShape, dir: Direction) {
    let c: ReturnType<typeof prepareConvCase> | null = null;
    try {
      c = prepareConvCase(shape, dir);
      const t = await this.timer.time(c.call, this.timing);
      return directionResult(shape, dir, t);
    } catch (e) {
      return skippedDirection(shape, dir, `error: ${firstLine(e)}`);
    } finally {
      c?.dispose();
    }
  }

  /** Peers time the forward conv (and tfjs the dense backward of a backward row). */
  private async timePeers(r: ConvResult): Promise<void> {
    const ours = r.directions[0];
    if (!ours || (ours.direction !== "forward" && ours.direction !== "backward")) return;
    for (const peer of this.peers) {
      let result: PeerResult;
      try {
        let t: PeerTiming;
        if (ours.direction === "forward") t = await peer.forward(r.shape);
        else if (peer.backward) t = await peer.backward(r.shape);
        else continue;
        result = peerResult(directionFlops(r.shape, ours.direction), t, ours.rates);
      } catch (e) {
        result = { error: firstLine(e) };
      }
      if (peer.name === "tfjs") r.tfjs = result;
      else r.ort = result;
    }
  }
}

function progressLine(r: ConvResult): string {
  const parts = r.directions.map((d) =>
    `${DIRECTION_SHORT[d.direction]} ${d.rates ? `${fmt(d.rates.gflops)} GFLOP/s` : "skipped"}`
  );
  if (r.tfjs?.gflops !== undefined) parts.push(`tfjs ${fmt(r.tfjs.gflops)}`);
  if (r.ort?.gflops !== undefined) parts.push(`ort ${fmt(r.ort.gflops)}`);
  return `${r.label}: ${r.description}: ${parts.join(", ")}`;
}

function firstLine(e: unknown): string {
  return String(e instanceof Error ? e.message : e).split("\n")[0];
}

function mib(bytes: number): string {
  return `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

const PER_LAYER: readonly Direction[] = ["forward", "backward-input", "backward-weight"];

/** Everything a section needs. */
interface Context {
  gpu: Gpu;
  opts: BenchOptions;
  out: BenchOutput;
  report: BenchReport;
  runner: SectionRunner;
  peers: Peer[];
  method: TimerMethod;
  timing: TimingOptions;
}

/** Runs the chosen sections; prints tables as they finish; returns the report. */
export async function runBench(
  gpu: Gpu,
  opts: BenchOptions,
  out: BenchOutput,
): Promise<BenchReport> {
  const started = performance.now();
  const report = emptyReport(gpu, opts);
  printAdapter(gpu, opts, out);
  const method = await chooseTimer(gpu, opts, out, report);
  const timing = { ...defaultTimingOptions(method), reps: opts.reps, warmup: opts.warmup };
  report.timer.method = method;
  report.timer.minRepMs = timing.minRepMs;
  const how = method === "timestamp"
    ? "GPU timestamp queries around the compute passes of repeated calls"
    : "wall clock over many calls in one submission, one wait";
  out.print(
    `timing: ${how} (≥ ${timing.minRepMs} ms a repetition); min and median of ` +
      `${opts.reps} repetitions after ${opts.warmup} warm-up`,
  );
  out.print(
    "GFLOP/s = 2·MACs / median time (a gradient counts as one conv's MACs); " +
      "GB/s = compulsory bytes read + written / median time",
  );
  const peers = opts.compare ? await startPeers(gpu, opts, out, report) : [];
  const runner = new SectionRunner(gpu, new KernelTimer(gpu, method), timing, peers, out);
  const ctx: Context = { gpu, opts, out, report, runner, peers, method, timing };
  try {
    for (const name of opts.sections) {
      const t0 = performance.now();
      out.progress(`section ${name}…`);
      await SECTIONS[name](ctx);
      out.progress(`section ${name} done in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    }
  } finally {
    for (const p of peers) await p.dispose();
  }
  report.seconds = (performance.now() - started) / 1000;
  out.print(`\ndone in ${report.seconds.toFixed(0)} s`);
  return report;
}

function emptyReport(gpu: Gpu, opts: BenchOptions): BenchReport {
  const info = gpu.info;
  return {
    format: "autospace.bench/v1",
    date: new Date().toISOString(),
    adapter: {
      description: info.description,
      vendor: info.vendor,
      architecture: info.architecture,
      isCpu: info.isCpu,
      variant: info.variant,
      maxStorageBufferBindingSize: gpu.device.limits.maxStorageBufferBindingSize,
      maxBufferSize: gpu.device.limits.maxBufferSize,
      maxComputeWorkgroupStorageSize: gpu.device.limits.maxComputeWorkgroupStorageSize,
      maxComputeInvocationsPerWorkgroup: gpu.device.limits.maxComputeInvocationsPerWorkgroup,
      timestampQuery: info.hasTimestamps,
    },
    timer: { method: "", reps: opts.reps, warmup: opts.warmup, minRepMs: 0 },
    // The spaces and the access costs are reported by name, not as their whole contents.
    options: {
      ...opts,
      accessCosts: opts.accessCosts?.source,
      latency: opts.latency && { ...opts.latency, space: opts.latency.source },
      supernetPath: opts.supernetPath &&
        { ...opts.supernetPath, space: opts.supernetPath.source },
      forward: opts.forward && { ...opts.forward, space: opts.forward.source },
    },
    machine: machineLoad(),
    sections: [],
    seconds: 0,
  };
}

function printAdapter(gpu: Gpu, opts: BenchOptions, out: BenchOutput): void {
  const info = gpu.info;
  const arch = info.architecture ? `, ${info.architecture}` : "";
  out.print(
    `adapter: ${info.description} (vendor ${info.vendor || "?"}${arch}; ` +
      `${info.isCpu ? "CPU" : "GPU"} adapter)`,
  );
  out.print(
    `kernels: ${info.variant} variant${opts.variant ? " (forced by --variant)" : ""}; ` +
      `max storage binding ${mib(gpu.device.limits.maxStorageBufferBindingSize)}; ` +
      `timestamp queries ${info.hasTimestamps ? "yes" : "no"}`,
  );
  const load = machineLoad();
  if (load) {
    out.print(
      `machine: ${load.cores} CPU cores, load average ${
        load.loadavg.map((v) => v.toFixed(2))
          .join(" / ")
      } (1/5/15 min; other processes slow CPU-adapter timings)`,
    );
  }
}

/** Cores and load average, where the runtime may read them. */
function machineLoad(): { cores: number; loadavg: number[] } | undefined {
  try {
    return { cores: navigator.hardwareConcurrency, loadavg: Deno.loadavg() };
  } catch {
    return undefined; // no --allow-sys
  }
}

/**
 * The timer to use: timestamps where the adapter has them, unless a check on one
 * kernel (both clocks over the same repetitions) shows they disagree with the wall
 * clock; then the wall clock, and the output says so.
 */
async function chooseTimer(
  gpu: Gpu,
  opts: BenchOptions,
  out: BenchOutput,
  report: BenchReport,
): Promise<TimerMethod> {
  const method = opts.timer === "auto" ? KernelTimer.defaultMethod(gpu) : opts.timer;
  if (method !== "timestamp" || !opts.checkTimer) return method;
  const t = targetKernels(opts.batch, 32)[2]; // the depthwise target: mid-sized, quick
  const c = prepareConvCase(t.shape, t.direction);
  try {
    const check = await new KernelTimer(gpu, "timestamp").crossCheck(c.call, {
      ...defaultTimingOptions("wallclock"),
      reps: 3,
    });
    report.timer.crossCheck = { kernel: t.name, ...check };
    const ratio = check.wallclockMs / check.timestampMs;
    // The wall clock also holds one ≈ 11 ms wait per ≥ 200 ms repetition.
    const sane = ratio > 0.8 && ratio < 1.5;
    out.print(
      `timer check on ${t.name}: timestamps ${fmt(check.timestampMs)} ms, wall clock ` +
        `${fmt(check.wallclockMs)} ms a call (wall/timestamp ${fmt(ratio)})` +
        (sane ? "" : " — the timestamps look wrong: using the wall clock"),
    );
    return sane ? method : "wallclock";
  } catch (e) {
    out.print(`timer check failed (${firstLine(e)}); keeping ${method}`);
    return method;
  } finally {
    c.dispose();
  }
}

/** tfjs-webgpu (same adapter) and onnxruntime-node (CPU), loaded only for --compare. */
async function startPeers(
  gpu: Gpu,
  opts: BenchOptions,
  out: BenchOutput,
  report: BenchReport,
): Promise<Peer[]> {
  const cmp = await import("./compare.ts");
  const timing = { reps: opts.reps, warmup: opts.warmup, minRepMs: 200 };
  const peers: Peer[] = [];
  try {
    peers.push(await cmp.createTfjsPeer(gpu.info.description, opts.forceFallbackAdapter, timing));
  } catch (e) {
    out.print(`compare: tfjs-webgpu unavailable: ${firstLine(e)}`);
  }
  peers.push(cmp.createOrtPeer(navigator.hardwareConcurrency || 2, timing));
  report.compare = {};
  for (const p of peers) {
    out.print(`compare: ${p.description}`);
    if (p.name === "tfjs") report.compare.tfjs = p.description;
    else report.compare.ort = p.description;
  }
  out.print("compare: ratios are ours ÷ theirs in GFLOP/s (> 1: ours is faster)");
  return peers;
}

/** Records and prints a per-layer section. */
function printSection(
  ctx: Context,
  section: BenchReport["sections"][number],
): void {
  ctx.report.sections.push(section);
  const { out } = ctx;
  out.print(`\n== ${section.title} ==`);
  for (const n of section.notes) out.print(n);
  out.print(layerTable(section.results));
  for (const l of summaryLines(section.results)) out.print(l);
  if (ctx.peers.length) out.print("\n" + compareTable(section.results));
}

/** Repetitions the access section takes at least (its minima are its figures). */
const ACCESS_REPS = 25;

const SECTIONS: Readonly<Record<SectionName, (ctx: Context) => Promise<void>>> = {
  /** The four target kernels, judged against floor and stretch. */
  async targets({ opts, out, report, runner, peers }) {
    const targets = targetKernels(opts.batch, 32);
    const results = await runner.run(
      "targets",
      targets.map((t) => t.shape),
      (_, i) => [targets[i].direction],
    );
    const judged: TargetResult[] = results.map((r, i) => judgeTarget(r, targets[i]));
    report.targets = judged;
    out.print(`\n== targets: batch ${opts.batch}, 32×32 maps (GFLOP/s) ==`);
    out.print(targetsTable(judged));
    if (peers.length) out.print("\n" + compareTable(judged));
  },

  /** Every distinct conv of the default evolution supernet. */
  async supernet(ctx) {
    const batch = ctx.opts.batch;
    const shapes = supernetConvShapes(builtinBackbone(SUPERNET_BACKBONE)!, batch);
    const once = totalMacs(shapes.map((s) => ({ ...s, uses: 1 })));
    printSection(ctx, {
      name: "supernet",
      title: `default evolution supernet (${SUPERNET_BACKBONE} backbone), batch ${batch}`,
      batch,
      notes: [
        `${shapes.length} distinct convs: stem, fixed first block, for each searchable layer ` +
        `and ratio 1/3/6 the expand 1x1, edge ops conv1x1/conv3x3/dw3x3 out of node 0 (layer ` +
        `stride) and between inner nodes, project 1x1; feature mix. ${fmt(2 * once / 1e9)} ` +
        `GFLOP forward timed (each once), ${fmt(2 * totalMacs(shapes) / 1e9)} with repeats.`,
      ],
      results: await ctx.runner.run("supernet", shapes, () => PER_LAYER),
    });
  },

  /** MobileNetV2-1.0 at 224×224, at a batch whose tensors fit the binding limit. */
  async mbv2(ctx) {
    const { opts, gpu } = ctx;
    const limit = gpu.device.limits.maxStorageBufferBindingSize;
    const spec = mobileNetV2Spec({ name: "mobilenetv2" });
    const make = (b: number) => networkConvShapes(spec, b);
    const batch = opts.mbv2Batch ?? fittingBatch(make, opts.batch, limit);
    const notes = [
      `52 convs of MobileNetV2-1.0 at 224×224 (identical ones timed once; "uses" counts them).`,
    ];
    if (opts.mbv2Batch === undefined && batch !== opts.batch) {
      const need = Math.max(...make(opts.batch).map(largestBindingBytes));
      notes.push(
        `batch ${batch}, not ${opts.batch}: at ${opts.batch} the 112×112×96 maps need ` +
          `${mib(need)} bindings, over this adapter's maxStorageBufferBindingSize of ` +
          `${mib(limit)} (set --mbv2-batch to override).`,
      );
    }
    printSection(ctx, {
      name: "mbv2",
      title: `MobileNetV2-1.0 at 224×224, batch ${batch}`,
      batch,
      notes,
      results: await ctx.runner.run("mbv2", dedupeShapes(make(batch)), () => PER_LAYER),
    });
  },

  /** Full training steps: images/s and the share of time per op. */
  async train({ gpu, opts, out, report }) {
    const train = await benchTrainStep(gpu, {
      batch: opts.trainBatch,
      width: opts.trainWidth,
      network: opts.trainNetwork,
      reps: opts.reps,
      warmup: Math.max(2, opts.warmup), // the first step compiles every pipeline
      minRepMs: 1000,
      profile: true,
      profileSteps: opts.profileSteps,
      seed: opts.seed,
    }, out.progress);
    const access = report.access
      ? { costs: report.access, source: "this run's access section" }
      : opts.accessCosts;
    const spec = opts.trainNetwork?.spec ?? trainNetworkSpec(opts.trainWidth);
    const modelled = floorModels(spec);
    if (access && train.ops.length && modelled) {
      train.floor = withStep(
        compareWithFloor(
          stepWork(spec, opts.trainBatch),
          unitCosts(access.costs, navigator.hardwareConcurrency || 1),
          train.ops,
          access.source,
        ),
        train.stepMedianMs,
        train.stepMinMs,
        train.stepParts,
        train.profiledStepMs,
      );
    } else if (!modelled) {
      train.note = [
        train.note,
        "floor: modelled for networks of inverted-residual blocks only (this one has cells)",
      ].filter(Boolean).join("; ");
    } else if (!access) {
      train.note = [
        train.note,
        "floor: needs access costs (--sections access,train or " +
        "--access-costs FILE)",
      ].filter(Boolean).join("; ");
    }
    report.train = train;
    const { size, channels } = spec.input;
    const what = opts.trainNetwork ? opts.trainNetwork.source : "MobileNetV2-style";
    out.print(
      `\n== training step: ${what}, ${size}×${size}×${channels}, batch ${opts.trainBatch} ==`,
    );
    out.print(trainText(train));
  },

  /** A path as a plain network and as supernet paths, and the evolution's regenerations. */
  async "supernet-path"({ gpu, opts, out, report }) {
    if (!opts.supernetPath) throw new Error("bench: the supernet-path section needs a space");
    const result = await benchSupernetPath(gpu, opts.supernetPath, out.progress);
    report.supernetPath = result;
    const load = result.loadavg ? `, load average ${result.loadavg[0].toFixed(2)}` : "";
    out.print(`\n== supernet path: ${result.space}, batch ${result.batch}${load} ==`);
    out.print(supernetPathText(result));
  },

  /** The training-mode forward of one path: the unit of REINFORCE's architecture steps. */
  async forward({ gpu, opts, out, report }) {
    if (!opts.forward) throw new Error("bench: the forward section needs a space");
    report.forward = await benchForwardPass(gpu, opts.forward, out.progress);
    out.print(
      `\n== forward pass: ${report.forward.space}, batch ${report.forward.batch} ` +
        `(training-mode batch norm, no gradient) ==`,
    );
    out.print(forwardText(report.forward));
  },

  /** What one access and one register block cost an invocation (the bound on every kernel). */
  async access({ gpu, out, report, method, timing }) {
    // Each case is a few ms; more repetitions give minima that other tenants of the
    // shared last-level cache disturb less.
    const reps = Math.max(timing.reps, ACCESS_REPS);
    report.access = await measureAccessCosts(gpu, new KernelTimer(gpu, method), {
      ...timing,
      reps,
    });
    out.print(
      `\n== access costs per invocation (64 KiB buffers in cache, then 8 and 64 MiB ` +
        `streamed; best of ${reps}; ${LLVMPIPE_THREADS_ENV} ` +
        `${llvmpipeThreads()}: with 1, these are one thread's costs) ==`,
    );
    out.print(accessText(report.access));
  },

  /** The latency table of a search space on this adapter (built or refreshed, cached). */
  async latency({ gpu, opts, out, report, method, timing }) {
    report.latency ??= {};
    report.latency.table = await latencySection(
      { gpu, method, timing, print: out.print },
      latencyOptions(opts),
    );
  },

  /** The table's predicted latency of sampled networks against their measured latency. */
  async "latency-check"({ gpu, opts, out, report, method, timing }) {
    report.latency ??= {};
    report.latency.check = await latencyCheckSection(
      { gpu, method, timing, print: out.print },
      latencyOptions(opts),
    );
  },
};

function llvmpipeThreads(): string {
  try {
    return Deno.env.get(LLVMPIPE_THREADS_ENV) ?? "llvmpipe's default";
  } catch {
    return "unknown";
  }
}

function latencyOptions(opts: BenchOptions): LatencyBenchOptions {
  if (!opts.latency) throw new Error("bench: the latency sections need a search space");
  return opts.latency;
}
