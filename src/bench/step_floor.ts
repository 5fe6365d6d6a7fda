/**
 * The floor of a training step on this adapter: the least time its work can take at
 * the measured cost of one access, one multiply-add and one dispatch
 * (`access_costs.ts`), per op family, beside what the step's dispatches took.
 *
 * Every conv (dense, depthwise, the classifier) runs forward, input gradient (not the
 * stem's: its input is the images) and weight gradient; each direction costs at least
 * the larger of its multiply-adds at the best register block's rate and its compulsory
 * accesses (read each input once, write each output once). Batch norm follows every
 * conv and is bound by its accesses: its passes over the activations are listed in
 * `BN_PASSES`. Residual adds, pooling and the optimizer are accesses too. Every
 * dispatch pays an empty dispatch's cost on top.
 *
 * The costs are one invocation's; when they were measured with fewer llvmpipe threads
 * than cores (`LP_NUM_THREADS=1`), that many measured rates run side by side.
 */
import { type AccessCosts, IN_CACHE_BYTES, STREAM_BYTES, streamCaseName } from "./access_costs.ts";
import type { OpShare } from "./dispatch_profiler.ts";
import { median } from "../gpu/timing.ts";
import { convMacs, type ConvShape, networkConvShapes, outputShape } from "./shapes.ts";
import { countNetwork } from "../space/counting.ts";
import { hasResidual, irbMid, type NetworkSpec, outputSize } from "../space/network_spec.ts";

/** The op families the floor and the profile are compared by. */
export const FLOOR_FAMILIES = ["conv", "depthwise", "batch norm", "optimizer", "other"] as const;
export type FloorFamily = typeof FLOOR_FAMILIES[number];

/** The summed minima may exceed the floor by this factor and still count as at the floor. */
export const FLOOR_BAR = 1.3;

/** Costs of one unit of work on the whole adapter, in ns (the dispatch in µs). */
export interface UnitCosts {
  /** One multiply-add at the best register block measured. */
  nsPerMac: number;
  /** One f32 read from a storage buffer as part of a vec4 load. */
  nsPerLoad: number;
  /** One f32 written as part of a vec4 store. */
  nsPerStore: number;
  /** One dispatch that does nothing. */
  dispatchUs: number;
  /** How many measured rates run at once: cores ÷ the threads they were measured with. */
  parallel: number;
  /**
   * Access costs by the size of the data streamed, smallest first (the in-cache costs
   * above at 64 KiB, then the streaming cases'); absent in access costs measured before
   * those cases existed.
   */
  levels?: readonly AccessLevel[];
}

/** What one f32 read or written costs when a pass streams `bytes` of data. */
export interface AccessLevel {
  bytes: number;
  nsPerLoad: number;
  nsPerStore: number;
}

/** The access costs as unit costs of a `cores`-core machine. */
export function unitCosts(access: AccessCosts, cores: number): UnitCosts {
  const row = (name: string) => {
    const r = access.rows.find((r) => r.name === name);
    if (!r) throw new Error(`step floor: the access costs lack "${name}"`);
    return r;
  };
  const blocks = access.rows.filter((r) => r.macsPerIteration && r.nsAboveLoop > 0);
  if (blocks.length === 0) throw new Error("step floor: the access costs have no register block");
  const parallel = Math.max(1, Math.floor(cores / (access.threads ?? 1)));
  const nsPerMac = Math.min(...blocks.map((r) => r.nsAboveLoop / r.macsPerIteration!));
  const perF32 = (r: { nsAboveLoop: number }) => r.nsAboveLoop / 4 / parallel;
  const inCache: AccessLevel = {
    bytes: IN_CACHE_BYTES,
    nsPerLoad: perF32(row("storage load vec4")),
    nsPerStore: perF32(row("storage store vec4")),
  };
  const streamed = STREAM_BYTES.flatMap((bytes): AccessLevel[] => {
    const load = access.rows.find((r) => r.name === streamCaseName("load", bytes));
    const store = access.rows.find((r) => r.name === streamCaseName("store", bytes));
    return load && store ? [{ bytes, nsPerLoad: perF32(load), nsPerStore: perF32(store) }] : [];
  });
  return {
    nsPerMac: nsPerMac / parallel,
    nsPerLoad: inCache.nsPerLoad,
    nsPerStore: inCache.nsPerStore,
    dispatchUs: access.emptyDispatchUs,
    parallel,
    ...(streamed.length ? { levels: [inCache, ...streamed] } : {}),
  };
}

/**
 * The measured level for a pass over `bytes`: the one whose size is nearest on a log
 * scale (with 64 KiB, 8 MiB and 64 MiB measured, the boundaries fall at 0.7 MiB and
 * 22.6 MiB, near a core's L2 and the shared last-level cache of the machines measured).
 */
export function accessLevel(levels: readonly AccessLevel[], bytes: number): AccessLevel {
  const distance = (l: AccessLevel) => Math.abs(Math.log(Math.max(bytes, 1) / l.bytes));
  return levels.reduce((best, l) => distance(l) < distance(best) ? l : best);
}

/** One piece of a step's work: multiply-adds and f32 elements read and written. */
export interface FloorWork {
  family: FloorFamily;
  name: string;
  macs: number;
  loads: number;
  stores: number;
  /**
   * Bytes one pass of it walks (its distinct inputs and outputs): what decides the cache
   * level its accesses come from in the floor by size.
   */
  bytes: number;
}

/**
 * Milliseconds one piece of work takes at least: its MACs or its accesses, the larger;
 * `bySize`: its accesses at the cost measured for data of its size (`accessLevel`)
 * instead of in cache.
 */
export function workFloorMs(w: FloorWork, u: UnitCosts, bySize = false): number {
  const level = bySize && u.levels ? accessLevel(u.levels, w.bytes) : u;
  return Math.max(w.macs * u.nsPerMac, w.loads * level.nsPerLoad + w.stores * level.nsPerStore) /
    1e6;
}

/**
 * Batch norm's passes over a layer's N·C·H·W activations in a training step, as the
 * engine runs them (fused with the activation): f32 elements read and written per
 * activation. `normalise` is skipped where the next conv applies it as it loads.
 */
export const BN_PASSES = [
  { pass: "statistics", loads: 1, stores: 0 },
  { pass: "normalise", loads: 1, stores: 1 },
  { pass: "backward sums", loads: 2, stores: 0 },
  { pass: "input gradient", loads: 2, stores: 1 },
] as const;

/**
 * The convs whose batch norm + activation the next conv applies as it loads, as the
 * engine runs an inverted residual block (src/networks/inverted_residual.ts): the
 * expand layer's (read by the depthwise conv) and, without SE, the depthwise layer's
 * (read by the project conv). Labels as `networkConvShapes` gives them.
 */
export function normaliseFusedLabels(spec: NetworkSpec): Set<string> {
  const labels = new Set<string>();
  spec.blocks.forEach((block, i) => {
    if (block.type !== "inverted_residual") return;
    if (irbMid(block) !== block.cin) labels.add(`blocks[${i}] expand 1x1`);
    if (!block.se) labels.add(`blocks[${i}] depthwise ${block.kernel}x${block.kernel}`);
  });
  return labels;
}

/** The three directions of one conv (no input gradient for the stem). */
function convWork(s: ConvShape, family: FloorFamily): FloorWork[] {
  const macs = convMacs(s);
  const input = s.n * s.cin * s.h * s.w;
  const output = outputShape(s).reduce((a, b) => a * b, 1);
  const weights = s.cout * s.k * s.k * (s.kind === "depthwise" ? 1 : s.cin);
  const bytes = 4 * (input + output + weights);
  const work: FloorWork[] = [
    { family, name: `${s.label} forward`, macs, loads: input + weights, stores: output, bytes },
    {
      family,
      name: `${s.label} weight gradient`,
      macs,
      loads: input + output,
      stores: weights,
      bytes,
    },
  ];
  if (s.label !== "stem") {
    work.push({
      family,
      name: `${s.label} input gradient`,
      macs,
      loads: output + weights,
      stores: input,
      bytes,
    });
  }
  return work;
}

/** The batch norm after a conv, over its output. */
function bnWork(s: ConvShape, normaliseFused: boolean): FloorWork {
  const output = outputShape(s).reduce((a, b) => a * b, 1);
  const passes = BN_PASSES.filter((p) => !(normaliseFused && p.pass === "normalise"));
  return {
    family: "batch norm",
    name: `${s.label} batch norm (${passes.length} passes)`,
    macs: 0,
    loads: output * passes.reduce((a, p) => a + p.loads, 0),
    stores: output * passes.reduce((a, p) => a + p.stores, 0),
    bytes: 4 * output * Math.max(...passes.map((p) => p.loads + p.stores)),
  };
}

/**
 * Whether `stepWork` models `spec`'s step: its passes are those of inverted-residual
 * blocks (and skipped layers); a cell's node sums, products and shared inputs are not.
 */
export function floorModels(spec: NetworkSpec): boolean {
  return spec.blocks.every((b) => b.type === "inverted_residual" || b.type === "zero");
}

/**
 * Every piece of work of one SGD training step of `spec` at `batch`: convs, their
 * batch norms, residual adds (forward add, backward accumulate), global pooling, the
 * classifier, and the optimizer (read weight, gradient, momentum; write weight,
 * momentum). `fused`: whether batch norms skip the normalise pass where the engine
 * applies it in the next conv's loads (`normaliseFusedLabels`).
 */
export function stepWork(spec: NetworkSpec, batch: number, fused = true): FloorWork[] {
  const shapes = networkConvShapes(spec, batch);
  const fusedLabels = fused ? normaliseFusedLabels(spec) : new Set<string>();
  const work: FloorWork[] = [];
  for (const s of shapes) {
    work.push(...convWork(s, s.kind === "depthwise" ? "depthwise" : "conv"));
    work.push(bnWork(s, fusedLabels.has(s.label)));
  }
  let h = outputSize(spec.input.size, spec.stem.stride);
  spec.blocks.forEach((block, i) => {
    h = outputSize(h, block.stride);
    if (!hasResidual(block)) return;
    const elements = batch * block.cout * h * h;
    work.push({
      family: "other",
      name: `blocks[${i}] residual add and its gradient`,
      macs: 0,
      loads: 4 * elements,
      stores: 2 * elements,
      bytes: 4 * 3 * elements, // a pass reads two tensors and writes one
    });
  });
  const last = shapes[shapes.length - 1];
  const [, features, ho, wo] = outputShape(last);
  const pooled = batch * features * ho * wo + batch * features;
  work.push({
    family: "other",
    name: "global average pool and its gradient",
    macs: 0,
    loads: pooled,
    stores: pooled,
    bytes: 4 * pooled,
  });
  const linear = features * spec.classes;
  for (const direction of ["forward", "input gradient", "weight gradient"]) {
    work.push({
      family: "conv",
      name: `classifier ${direction}`,
      macs: batch * linear,
      loads: batch * features + linear,
      stores: batch * spec.classes,
      bytes: 4 * (batch * features + linear + batch * spec.classes),
    });
  }
  const params = countNetwork(spec).total.params;
  work.push({
    family: "optimizer",
    name: "sgd",
    macs: 0,
    loads: 3 * params,
    stores: 2 * params,
    bytes: 4 * 3 * params, // weights, gradients, momenta
  });
  return work;
}

/** The family a profiled kernel belongs to, by its cache-key family. */
export function kernelFloorFamily(kernel: string): FloorFamily {
  if (kernel.startsWith("dwconv")) return "depthwise";
  if (/^(conv2d|gemm|linear)/.test(kernel)) return "conv";
  if (kernel.startsWith("bn_")) return "batch norm";
  if (/^(sgd|adam|optim)/.test(kernel)) return "optimizer";
  return "other";
}

/** One family's floor against its summed per-dispatch minima. */
export interface FloorRow {
  family: FloorFamily | "total";
  /** Dispatches of the family in the profiled step. */
  dispatches: number;
  /** The work's floor, and the dispatches' (dispatches × an empty dispatch). */
  workMs: number;
  dispatchMs: number;
  floorMs: number;
  /** Σ per-dispatch minima of the family's kernels. */
  measuredMs: number;
  /** measured ÷ floor. */
  ratio: number;
  /**
   * The floor with each piece's accesses at the cost measured for data of its size
   * (`workFloorMs(…, true)`), and measured ÷ it; where the access costs have sizes.
   */
  sizedFloorMs?: number;
  sizedRatio?: number;
}

/** The floor of a step beside its profile (the bench's `train.floor`). */
export interface StepFloor {
  units: UnitCosts;
  /** Where the access costs came from (the run's access section or a file). */
  source: string;
  rows: FloorRow[];
  total: FloorRow;
  bar: number;
  withinBar: boolean;
  /** The wall-clock step against the summed minima and the floor (`withStep`). */
  step?: StepGap;
}

/**
 * The wall-clock step beside the floor: the gap between the step and its summed
 * per-dispatch minima is time between the dispatches (host encoding and submits,
 * synchronising dispatches waiting on each other) or dispatches slower than their best.
 */
export interface StepGap {
  medianMs: number;
  minMs: number;
  /** Σ per-dispatch minima of the profiled step. */
  minimaMs: number;
  /** Median step − Σ minima, and best step − Σ minima. */
  gapMedianMs: number;
  gapMinMs: number;
  /** Median and best step ÷ floor. */
  ratioMedian: number;
  ratioMin: number;
  /** Median step ÷ the floor by size, where there is one. */
  ratioMedianSized?: number;
  /** The step's wall clock by where it went, when the bench measured it. */
  parts?: StepParts;
  /**
   * Median over the profiled steps of each one's summed dispatch times: the gap splits
   * at it into time around the dispatches (above it) and dispatches slower than their
   * best (below it, down to the minima).
   */
  profiledMedianMs?: number;
}

/**
 * A timed step's wall clock in three parts, ms a step: recording its dispatches
 * (JavaScript: ops, autograd, bind groups), inside `queue.submit` (lavapipe runs the
 * recorded work there, on the calling thread), and waiting on the one sync of the
 * repetition.
 */
export interface StepParts {
  recordMs: number;
  submitMs: number;
  waitMs: number;
}

/** `floor` with the wall-clock step's gap added. */
export function withStep(
  floor: StepFloor,
  medianMs: number,
  minMs: number,
  parts?: StepParts,
  profiledStepMs?: readonly number[],
): StepFloor {
  const minimaMs = floor.total.measuredMs;
  return {
    ...floor,
    step: {
      medianMs,
      minMs,
      minimaMs,
      gapMedianMs: medianMs - minimaMs,
      gapMinMs: minMs - minimaMs,
      ratioMedian: medianMs / floor.total.floorMs,
      ratioMin: minMs / floor.total.floorMs,
      ...(floor.total.sizedFloorMs
        ? { ratioMedianSized: medianMs / floor.total.sizedFloorMs }
        : {}),
      ...(parts ? { parts } : {}),
      ...(profiledStepMs?.length ? { profiledMedianMs: median(profiledStepMs) } : {}),
    },
  };
}

/** Compares the floor of `work` with a profiled step's op shares, by family. */
export function compareWithFloor(
  work: readonly FloorWork[],
  units: UnitCosts,
  ops: readonly OpShare[],
  source: string,
): StepFloor {
  const sized = units.levels !== undefined;
  const rows: FloorRow[] = FLOOR_FAMILIES.map((family) => {
    const mine = ops.filter((o) => kernelFloorFamily(o.kernel) === family);
    const dispatches = mine.reduce((a, o) => a + o.dispatches, 0);
    const pieces = work.filter((w) => w.family === family);
    const floorOf = (bySize: boolean) =>
      pieces.reduce((a, w) => a + workFloorMs(w, units, bySize), 0);
    const sizedWorkMs = sized ? floorOf(true) : undefined;
    return row(family, dispatches, floorOf(false), dispatches * units.dispatchUs / 1000, mine, {
      sizedWorkMs,
    });
  });
  const sum = (f: (r: FloorRow) => number) => rows.reduce((a, r) => a + f(r), 0);
  const total = row(
    "total",
    sum((r) => r.dispatches),
    sum((r) => r.workMs),
    sum((r) => r.dispatchMs),
    ops,
    { sizedWorkMs: sized ? sum((r) => r.sizedFloorMs! - r.dispatchMs) : undefined },
  );
  return { units, source, rows, total, bar: FLOOR_BAR, withinBar: total.ratio <= FLOOR_BAR };
}

function row(
  family: FloorRow["family"],
  dispatches: number,
  workMs: number,
  dispatchMs: number,
  ops: readonly OpShare[],
  { sizedWorkMs }: { sizedWorkMs?: number },
): FloorRow {
  const floorMs = workMs + dispatchMs;
  const measuredMs = ops.reduce((a, o) => a + o.ms, 0);
  const ratioTo = (floor: number) => floor > 0 ? measuredMs / floor : 0;
  const sizedFloorMs = sizedWorkMs === undefined ? undefined : sizedWorkMs + dispatchMs;
  return {
    family,
    dispatches,
    workMs,
    dispatchMs,
    floorMs,
    measuredMs,
    ratio: ratioTo(floorMs),
    ...(sizedFloorMs === undefined ? {} : { sizedFloorMs, sizedRatio: ratioTo(sizedFloorMs) }),
  };
}
