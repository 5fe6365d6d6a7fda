/**
 * What the benchmark measured, as plain records (written as JSON by `--json`) and
 * as fixed-width text tables for the terminal.
 */
import type { AccessCosts } from "./access_costs.ts";
import type { LatencyReport } from "./latency_sections.ts";
import type { OpShare } from "./dispatch_profiler.ts";
import type { StepFloor, StepParts } from "./step_floor.ts";
import type { SupernetPathResult } from "./supernet_path_report.ts";
import type { ForwardPassResult } from "./forward_pass.ts";
import {
  type ConvShape,
  describeShape,
  type Direction,
  DIRECTION_SHORT,
  directionBytes,
  directionFlops,
  type TargetKernel,
  targetVerdict,
} from "./shapes.ts";
import { gflopsPerSecond, gigabytesPerSecond, type Timing } from "../gpu/timing.ts";
import { fmt, formatTable } from "../report/text_table.ts";

/** Rates of one timing: GFLOP/s and GB/s at the median and at the best (min) time. */
export interface Rates {
  gflops: number;
  gflopsBest: number;
  gbps: number;
}

/** Rates from operations, bytes and a timing. */
export function ratesOf(
  flops: number,
  bytes: number,
  t: Pick<Timing, "minMs" | "medianMs">,
): Rates {
  return {
    gflops: gflopsPerSecond(flops, t.medianMs),
    gflopsBest: gflopsPerSecond(flops, t.minMs),
    gbps: gigabytesPerSecond(bytes, t.medianMs),
  };
}

/** Another implementation's time for the same forward conv (or why there is none). */
export interface PeerResult {
  minMs?: number;
  medianMs?: number;
  gflops?: number;
  /** ours ÷ theirs in GFLOP/s (> 1: ours is faster). */
  ratio?: number;
  error?: string;
}

/** One direction of one conv. */
export interface DirectionResult {
  direction: Direction;
  flops: number;
  bytes: number;
  timing?: Timing;
  rates?: Rates;
  /** Why it was not timed (binding limit, op error). */
  note?: string;
}

/** One conv shape with its timed directions (and peers, with --compare). */
export interface ConvResult {
  label: string;
  shape: ConvShape;
  description: string;
  directions: DirectionResult[];
  tfjs?: PeerResult;
  ort?: PeerResult;
}

/** A timed direction from shape and timing. */
export function directionResult(
  shape: ConvShape,
  direction: Direction,
  timing: Timing,
): DirectionResult {
  const flops = directionFlops(shape, direction);
  const bytes = directionBytes(shape, direction);
  return { direction, flops, bytes, timing, rates: ratesOf(flops, bytes, timing) };
}

/** A direction that was not timed, with the reason. */
export function skippedDirection(
  shape: ConvShape,
  direction: Direction,
  note: string,
): DirectionResult {
  return {
    direction,
    flops: directionFlops(shape, direction),
    bytes: directionBytes(shape, direction),
    note,
  };
}

/** A peer's timing of the forward conv, with the ratio to ours. */
export function peerResult(
  flops: number,
  t: Pick<Timing, "minMs" | "medianMs">,
  ours: Rates | undefined,
): PeerResult {
  const gflops = gflopsPerSecond(flops, t.medianMs);
  return {
    minMs: t.minMs,
    medianMs: t.medianMs,
    gflops,
    ratio: ours ? ours.gflops / gflops : undefined,
  };
}

/** A row of the targets table. */
export interface TargetResult extends ConvResult {
  target: Omit<TargetKernel, "shape">;
  verdict?: "PASS" | "floor" | "below";
}

/** Fills in the verdict of a measured target. */
export function judgeTarget(r: ConvResult, t: TargetKernel): TargetResult {
  const d = r.directions[0];
  const { shape: _shape, ...target } = t;
  return { ...r, target, verdict: d?.rates ? targetVerdict(d.rates.gflops, t) : undefined };
}

/** The training-step section. */
export interface TrainResult {
  network: string;
  /** Set when the network was given (`--train-arch`): not the yardstick's MobileNetV2. */
  arch?: string;
  description: string;
  madds: number;
  weights: number;
  batch: number;
  stepsPerRep: number;
  stepMinMs: number;
  stepMedianMs: number;
  samplesMs: number[];
  /** Where a timed step's wall clock went (medians over the repetitions). */
  stepParts?: StepParts;
  imagesPerSecond: number;
  imagesPerSecondBest: number;
  /** Σ per-dispatch GPU time of one profiled step (timestamps), and its dispatches. */
  profiledGpuMs?: number;
  /** Each profiled step's own summed dispatch times (the minima mix the best of each). */
  profiledStepMs?: number[];
  /** Profiled steps the per-dispatch minima were taken over. */
  profiledSteps?: number;
  dispatchesPerStep?: number;
  ops: OpShare[];
  reference: { name: string; imagesPerSecond: number; madds: number };
  /** ours ÷ reference in images/s; and in MAdds·images/s (network size taken out). */
  ratio: number;
  maddsRatio: number;
  /** The step's floor per op family beside the profile's summed minima (needs access costs). */
  floor?: StepFloor;
  note?: string;
}

/** Everything one run measured (the `--json` file). */
export interface BenchReport {
  format: "autospace.bench/v1";
  date: string;
  adapter: {
    description: string;
    vendor: string;
    architecture: string;
    isCpu: boolean;
    variant: string;
    maxStorageBufferBindingSize: number;
    /** The other limits the kernels depend on (the tiled family's workgroup tiles). */
    maxBufferSize: number;
    maxComputeWorkgroupStorageSize: number;
    maxComputeInvocationsPerWorkgroup: number;
    timestampQuery: boolean;
  };
  timer: {
    method: string;
    reps: number;
    warmup: number;
    minRepMs: number;
    /** Timestamp vs wall-clock median of one kernel, when checked. */
    crossCheck?: { kernel: string; timestampMs: number; wallclockMs: number };
  };
  options: Record<string, unknown>;
  /** CPU cores and 1/5/15-minute load average when the run started. */
  machine?: { cores: number; loadavg: number[] };
  targets?: TargetResult[];
  /** Costs of one access and of register blocks per invocation (the access section). */
  access?: AccessCosts;
  sections: {
    name: string;
    title: string;
    batch: number;
    notes: string[];
    results: ConvResult[];
  }[];
  train?: TrainResult;
  /** A path as a plain network and as supernet paths (section supernet-path). */
  supernetPath?: SupernetPathResult;
  /** The training-mode forward of one path (section forward). */
  forward?: ForwardPassResult;
  /** The latency table and the prediction check (sections latency, latency-check). */
  latency?: LatencyReport;
  compare?: { tfjs?: string; ort?: string };
  seconds: number;
}

// ---------------------------------------------------------------------------
// Text tables

/** A buffer size as KiB or MiB. */
function fmtBytes(bytes: number): string {
  return bytes >= 2 ** 20 ? `${bytes / 2 ** 20} MiB` : `${bytes / 2 ** 10} KiB`;
}

/** "1.23×" or "–". */
export function fmtRatio(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? "–" : `${fmt(v)}×`;
}

/** "med/min" milliseconds of a direction, or its note. */
function msCell(d: DirectionResult | undefined): string {
  if (!d) return "";
  if (!d.timing) return "skipped";
  return `${fmt(d.timing.medianMs)}/${fmt(d.timing.minMs)}`;
}

/** The targets table: min and median, rates, floor and stretch, verdict. */
export function targetsTable(rows: readonly TargetResult[]): string {
  const headers = [
    "kernel",
    "min ms",
    "med ms",
    "GFLOP/s",
    "best",
    "GB/s",
    "floor",
    "stretch",
    "verdict",
    "tfjs (measured once)",
  ];
  const body = rows.map((r) => {
    const d = r.directions[0];
    return [
      r.target.name,
      fmt(d?.timing?.minMs),
      fmt(d?.timing?.medianMs),
      fmt(d?.rates?.gflops),
      fmt(d?.rates?.gflopsBest),
      fmt(d?.rates?.gbps),
      `≥ ${r.target.floor}`,
      `≥ ${r.target.stretch}`,
      r.verdict ?? (d?.note ? `skipped: ${d.note}` : "–"),
      fmt(r.target.tfjsMeasured),
    ];
  });
  return formatTable(headers, body, [false, true, true, true, true, true, true, true, false, true]);
}

/**
 * A per-layer table: one row per conv shape, for each direction "med/min ms" and
 * GFLOP/s at the median, GB/s of the forward.
 */
export function layerTable(results: readonly ConvResult[]): string {
  const dirs = directionsOf(results);
  const headers = ["layer", "conv", "uses"];
  const right = [false, false, true];
  for (const d of dirs) {
    headers.push(`${DIRECTION_SHORT[d]} ms med/min`, `${DIRECTION_SHORT[d]} GFLOP/s`);
    right.push(true, true);
    if (d === "forward") {
      headers.push("fwd GB/s");
      right.push(true);
    }
  }
  headers.push("note");
  right.push(false);
  const body = results.map((r) => {
    const cells = [r.label, r.description, String(r.shape.uses)];
    for (const dir of dirs) {
      const d = r.directions.find((x) => x.direction === dir);
      cells.push(msCell(d), fmt(d?.rates?.gflops));
      if (dir === "forward") cells.push(fmt(d?.rates?.gbps));
    }
    cells.push([...new Set(r.directions.flatMap((d) => (d.note ? [d.note] : [])))].join("; "));
    return cells;
  });
  return formatTable(headers, body, right);
}

/** Directions present in any result, in table order. */
function directionsOf(results: readonly ConvResult[]): Direction[] {
  const seen = new Set(results.flatMap((r) => r.directions.map((d) => d.direction)));
  return (["forward", "backward-input", "backward-weight", "backward"] as Direction[]).filter((d) =>
    seen.has(d)
  );
}

/** Time of a section per batch, layers weighted by `uses`, and its overall rate. */
export function sectionSummary(results: readonly ConvResult[]): {
  ms: Partial<Record<Direction, number>>;
  gflops: Partial<Record<Direction, number>>;
  skipped: number;
} {
  const ms: Partial<Record<Direction, number>> = {};
  const flops: Partial<Record<Direction, number>> = {};
  let skipped = 0;
  for (const r of results) {
    for (const d of r.directions) {
      if (!d.timing) {
        skipped++;
        continue;
      }
      ms[d.direction] = (ms[d.direction] ?? 0) + d.timing.medianMs * r.shape.uses;
      flops[d.direction] = (flops[d.direction] ?? 0) + d.flops * r.shape.uses;
    }
  }
  const gflops: Partial<Record<Direction, number>> = {};
  for (const d of Object.keys(ms) as Direction[]) gflops[d] = gflopsPerSecond(flops[d]!, ms[d]!);
  return { ms, gflops, skipped };
}

/** One line per direction: "fwd: 123 ms per batch over 52 convs, 4.5 GFLOP/s". */
export function summaryLines(results: readonly ConvResult[]): string[] {
  const s = sectionSummary(results);
  const lines = (Object.keys(s.ms) as Direction[]).map((d) =>
    `${DIRECTION_SHORT[d]}: ${fmt(s.ms[d])} ms per batch summed over the layers (uses counted), ` +
    `${fmt(s.gflops[d])} GFLOP/s overall`
  );
  if (s.skipped) lines.push(`${s.skipped} measurement(s) skipped (see the note column)`);
  return lines;
}

/** The --compare table of a section: ours, tfjs-webgpu and onnxruntime-node (CPU). */
export function compareTable(results: readonly ConvResult[]): string {
  const headers = [
    "layer",
    "conv",
    "ours GFLOP/s",
    "tfjs-webgpu",
    "ours/tfjs",
    "ort-cpu",
    "ours/ort",
    "note",
  ];
  const body = results.map((r) => {
    const ours = r.directions.find((d) => d.direction === "forward" || d.direction === "backward");
    const notes = [r.tfjs?.error && `tfjs: ${r.tfjs.error}`, r.ort?.error && `ort: ${r.ort.error}`]
      .filter(Boolean)
      .join("; ");
    return [
      r.label,
      r.description + (ours?.direction === "backward" ? " (dx+dw)" : ""),
      fmt(ours?.rates?.gflops),
      fmt(r.tfjs?.gflops),
      fmtRatio(r.tfjs?.ratio),
      fmt(r.ort?.gflops),
      fmtRatio(r.ort?.ratio),
      notes,
    ];
  });
  return formatTable(headers, body, [false, false, true, true, true, true, true, false]);
}

/** The access-cost section as text. */
export function accessText({ rows, emptyDispatchUs }: AccessCosts): string {
  const body = rows.map((r) => [
    r.name,
    r.nsPerIteration.toFixed(2),
    r.nsAboveLoop.toFixed(2),
    r.macsPerIteration === undefined ? "" : (r.macsPerIteration / r.nsPerIteration).toFixed(2),
  ]);
  const table = formatTable(
    ["case", "ns / invocation-iteration", "less the empty loop", "GMAC/s"],
    body,
    [false, true, true, true],
  );
  return `${table}\nan empty dispatch (one workgroup): ${emptyDispatchUs.toFixed(1)} µs`;
}

/** The training-step section as text. */
export function trainText(t: TrainResult): string {
  const lines = [
    `network: ${t.description}`,
    `batch ${t.batch}, ${t.stepsPerRep} step(s) per repetition: step ${fmt(t.stepMedianMs)} ms ` +
    `median, ${fmt(t.stepMinMs)} ms best`,
    `images/s: ${fmt(t.imagesPerSecond)} (median), ${fmt(t.imagesPerSecondBest)} (best)`,
    t.arch
      ? `reference: ${t.reference.name}'s figure is for a ${
        fmt(t.reference.madds / 1e6)
      }M-MAdds MobileNetV2, not this network; ` +
        `in MAdds·images/s ours/reference ${fmtRatio(t.maddsRatio)}`
      : `reference: ${t.reference.name}: ${t.reference.imagesPerSecond} images/s for a ` +
        `${fmt(t.reference.madds / 1e6)}M-MAdds net → ours/reference ${
          fmtRatio(t.ratio)
        } in images/s ` +
        `(target ≥ 0.5×: ${t.ratio >= 0.5 ? "PASS" : "below"}), ${fmtRatio(t.maddsRatio)} in ` +
        `MAdds·images/s`,
  ];
  if (t.note) lines.push(t.note);
  if (t.ops.length) {
    lines.push(
      `share of time per op (a timestamp pair around every dispatch, each dispatch's minimum ` +
        `over ${t.profiledSteps ?? 1} profiled step(s): ${fmt(t.profiledGpuMs)} ms of GPU time ` +
        `in ${t.dispatchesPerStep} dispatches, against ${fmt(t.stepMedianMs)} ms a step on the ` +
        `wall clock):`,
    );
    lines.push(...opTable(t.ops));
  }
  if (t.floor) lines.push(floorText(t.floor));
  return lines.join("\n");
}

/** Per-op shares: one line by coarse op, then the table by kernel and op. */
function opTable(ops: readonly OpShare[]): string[] {
  const body = ops.map((o) => [
    o.kernel,
    o.op,
    String(o.dispatches),
    fmt(o.ms),
    `${(100 * o.share).toFixed(1)}%`,
  ]);
  return [
    "by op: " +
    coarseShares(ops).map(([op, share]) => `${op} ${(100 * share).toFixed(1)}%`).join(", "),
    formatTable(["kernel", "op", "dispatches", "ms", "share"], body, [
      false,
      false,
      true,
      true,
      true,
    ]),
  ];
}

/** The forward section as text. */
export function forwardText(f: ForwardPassResult): string {
  return [
    `path ${f.path.join(",")} (${fmt(f.madds / 1e6)}M MAdds): ${fmt(f.passMedianMs)} ms a pass ` +
    `median, ${fmt(f.passMinMs)} ms best, ${f.dispatches} dispatches, ` +
    `${fmt(f.passHostMs)} ms of it recording them`,
    `each dispatch's minimum over ${f.profiledPasses} profiled passes: ${
      fmt(f.profiledGpuMs)
    } ms ` +
    `of GPU time (wall median ÷ that: ${fmtRatio(f.passMedianMs / f.profiledGpuMs)})`,
    ...opTable(f.ops),
  ].join("\n");
}

/** The floor table: per family, the floor's parts, the summed minima and their ratio. */
export function floorText(f: StepFloor): string {
  const u = f.units;
  const head = `floor of the step at the measured access costs (${f.source}; ` +
    `${fmt(1 / u.nsPerMac)} GMAC/s, ${fmt(u.nsPerLoad)} ns a loaded and ` +
    `${fmt(u.nsPerStore)} ns a stored f32 on the whole adapter, ${u.parallel} measured ` +
    `rate(s) at once; ${fmt(u.dispatchUs)} µs a dispatch):`;
  const sized = f.total.sizedFloorMs !== undefined;
  const body = [...f.rows, f.total].map((r) => [
    r.family,
    String(r.dispatches),
    fmt(r.workMs),
    fmt(r.dispatchMs),
    fmt(r.floorMs),
    fmt(r.measuredMs),
    fmtRatio(r.ratio),
    ...(sized ? [fmt(r.sizedFloorMs ?? 0), fmtRatio(r.sizedRatio ?? 0)] : []),
  ]);
  const table = formatTable(
    [
      ...["family", "dispatches", "work floor ms", "dispatch floor ms", "floor ms"],
      ...["Σ minima ms", "÷", ...(sized ? ["floor by size ms", "÷ by size"] : [])],
    ],
    body,
    [false, true, true, true, true, true, true, ...(sized ? [true, true] : [])],
  );
  const verdict = `summed per-dispatch minima ÷ floor ${fmtRatio(f.total.ratio)}: ` +
    (f.withinBar ? `within ${f.bar}×` : `above ${f.bar}×`);
  const lines = [head, table, verdict];
  const levels = u.levels;
  if (levels) {
    lines.push(
      "floor by size: each piece's accesses at the cost of streaming data of its size (" +
        levels.map((l) =>
          `${fmtBytes(l.bytes)}: ${fmt(l.nsPerLoad)} ns a loaded, ${
            fmt(l.nsPerStore)
          } ns a stored f32`
        ).join("; ") + "; the nearest size on a log scale)",
    );
  }
  const s = f.step;
  if (s) {
    lines.push(
      `step on the wall clock ${fmt(s.medianMs)} ms median, ${fmt(s.minMs)} best: ` +
        `${fmtRatio(s.ratioMedian)} (best ${fmtRatio(s.ratioMin)}) the floor` +
        (s.ratioMedianSized ? `, ${fmtRatio(s.ratioMedianSized)} the floor by size` : "") +
        `; gap to the ` +
        `summed minima ${fmt(s.gapMedianMs)} ms median, ${fmt(s.gapMinMs)} best ` +
        `(time between dispatches, or dispatches slower than their best)`,
    );
    if (s.profiledMedianMs !== undefined) {
      lines.push(
        `each profiled step's own summed dispatches: ${fmt(s.profiledMedianMs)} ms median, so ` +
          `${fmt(s.medianMs - s.profiledMedianMs)} ms of the median step lies between or ` +
          `around its dispatches and ${fmt(s.profiledMedianMs - s.minimaMs)} ms is dispatches ` +
          `slower than their best (other load on the cores, cache state)`,
      );
    }
    if (s.parts) {
      lines.push(
        `of a step: ${fmt(s.parts.recordMs)} ms recording dispatches (JavaScript), ` +
          `${fmt(s.parts.submitMs)} ms inside queue.submit (where lavapipe runs them), ` +
          `${fmt(s.parts.waitMs)} ms waiting on the sync (medians)`,
      );
    }
  }
  return lines.join("\n");
}

/** Shares summed by the op's first word ("conv2d dx", "linear.dw" → "conv2d", "linear"). */
export function coarseShares(ops: readonly OpShare[]): [string, number][] {
  const by = new Map<string, number>();
  for (const o of ops) {
    const name = o.op.split(/[ .]/)[0];
    by.set(name, (by.get(name) ?? 0) + o.share);
  }
  return [...by.entries()].sort((a, b) => b[1] - a[1]);
}

/** The label column of a shape's row. */
export function convResultBase(shape: ConvShape): Omit<ConvResult, "directions"> {
  return { label: shape.label, shape, description: describeShape(shape) };
}
