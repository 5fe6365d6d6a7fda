/**
 * Before/after comparisons of `deno task bench` runs taken in alternation: run k of the
 * tree before a change beside run k of the tree after it, on the same machine minutes
 * apart. On these hosts the same kernel swings 2–4× between runs, so a change is judged
 * by the differences within pairs (src/util/paired_statistics.ts), not by either form's
 * own spread. The figures are those the `train` and `forward` sections write: wall-clock
 * times, the summed per-dispatch minima per op family and per kernel, and each family's
 * ratio to the floor measured in the same run.
 */
import { median } from "../gpu/timing.ts";
import { type PairedStatistics, pairedStatistics } from "../util/paired_statistics.ts";

/** One number a bench JSON holds, named the same across runs. */
export interface BenchFigure {
  readonly name: string;
  readonly value: number;
  /** A kernel's time: a run whose section lacks it spent 0 ms there. */
  readonly kernel?: boolean;
}

interface OpRow {
  kernel: string;
  ms: number;
}

interface FloorRow {
  family: string;
  measuredMs: number;
  ratio: number;
  floorMs: number;
  /** The floor by size (bench JSON that has the streaming access costs). */
  sizedFloorMs?: number;
  sizedRatio?: number;
}

/** Σ of the per-dispatch minima by kernel name (ops split by op name share a kernel). */
function kernelFigures(section: string, ops: readonly OpRow[]): BenchFigure[] {
  const byKernel = new Map<string, number>();
  for (const op of ops) byKernel.set(op.kernel, (byKernel.get(op.kernel) ?? 0) + op.ms);
  return [...byKernel].map(([kernel, ms]) => ({
    name: `${section}: kernel ${kernel}, ms`,
    value: ms,
    kernel: true,
  }));
}

/** The figures of the training-step section (`train`, with its floor when measured). */
function trainFigures(train: Record<string, unknown>): BenchFigure[] {
  const figures: BenchFigure[] = [
    { name: "train: step median, ms", value: train.stepMedianMs as number },
    { name: "train: images/s", value: train.imagesPerSecond as number },
    { name: "train: Σ minima, ms", value: train.profiledGpuMs as number },
  ];
  const floor = train.floor as { rows: FloorRow[]; total: FloorRow } | undefined;
  if (floor) {
    figures.push(
      { name: "train: step median ÷ floor", value: figures[0].value / floor.total.floorMs },
      { name: "train: Σ minima ÷ floor", value: floor.total.ratio },
    );
    if (floor.total.sizedFloorMs) {
      figures.push({
        name: "train: step median ÷ floor by size",
        value: figures[0].value / floor.total.sizedFloorMs,
      });
    }
    for (const row of floor.rows) {
      figures.push(
        { name: `train: ${row.family}, ms`, value: row.measuredMs },
        { name: `train: ${row.family} ÷ floor`, value: row.ratio },
      );
      if (row.sizedRatio !== undefined) {
        figures.push({ name: `train: ${row.family} ÷ floor by size`, value: row.sizedRatio });
      }
    }
  }
  return [...figures, ...kernelFigures("train", (train.ops ?? []) as OpRow[])];
}

/** The figures of the forward-pass section (`forward`). */
function forwardFigures(forward: Record<string, unknown>): BenchFigure[] {
  return [
    { name: "forward: pass median, ms", value: forward.passMedianMs as number },
    { name: "forward: recording, ms", value: forward.passHostMs as number },
    { name: "forward: Σ minima, ms", value: forward.profiledGpuMs as number },
    ...kernelFigures("forward", (forward.ops ?? []) as OpRow[]),
  ];
}

/**
 * The figures of one bench JSON (`deno task bench --json F`); `file` names it in errors.
 * Throws when it has neither a `train` nor a `forward` section.
 */
export function benchFigures(json: unknown, file: string): BenchFigure[] {
  const sections = (json ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const figures: BenchFigure[] = [];
  if (sections.train) figures.push(...trainFigures(sections.train));
  if (sections.forward) figures.push(...forwardFigures(sections.forward));
  if (figures.length === 0) {
    throw new Error(
      `${file}: no train or forward section; run deno task bench --sections train or forward --json`,
    );
  }
  const bad = figures.find((f) => !Number.isFinite(f.value));
  if (bad) throw new Error(`${file}: "${bad.name}" is not a number`);
  return figures;
}

/**
 * `figures` with one more: `sum: NAME, ms`, the total of the ms figures whose name matches
 * `pattern` (a kernel a run lacks adds 0). It pairs like any figure, so a change that moves
 * time from one kernel to another is judged by what it does to their sum.
 */
export function withSum(
  figures: readonly BenchFigure[],
  name: string,
  pattern: RegExp,
): BenchFigure[] {
  const parts = figures.filter((f) => f.name.endsWith(", ms") && pattern.test(f.name));
  return [...figures, { name: `sum: ${name}, ms`, value: parts.reduce((t, f) => t + f.value, 0) }];
}

/** One figure across the pairs: each form's values in pair order, and their statistics. */
export interface PairedFigure {
  readonly name: string;
  readonly before: readonly number[];
  readonly after: readonly number[];
  /** Of after − before, pair by pair. */
  readonly statistics: PairedStatistics;
}

/**
 * Pairs run k of `before` with run k of `after`, figure by figure. A kernel missing from
 * a run whose section has others took no time there (a change that removes a kernel's
 * dispatches leaves it out of the JSON); any other figure must be in every run.
 */
export function pairFigures(
  before: readonly (readonly BenchFigure[])[],
  after: readonly (readonly BenchFigure[])[],
): PairedFigure[] {
  if (before.length !== after.length) {
    throw new Error(`${before.length} before runs against ${after.length} after runs`);
  }
  if (before.length < 2) throw new Error(`a paired comparison needs 2 pairs, got ${before.length}`);
  const runs = [...before, ...after];
  const names = [...new Set(runs.flatMap((r) => r.map((f) => f.name)))];
  const kernels = new Set(runs.flatMap((r) => r.filter((f) => f.kernel).map((f) => f.name)));
  const valueIn = (run: readonly BenchFigure[], name: string): number | undefined => {
    const found = run.find((f) => f.name === name);
    if (found) return found.value;
    const section = name.slice(0, name.indexOf(":") + 1);
    return kernels.has(name) && run.some((f) => f.name.startsWith(section)) ? 0 : undefined;
  };
  const paired: PairedFigure[] = [];
  for (const name of names) {
    const b = before.map((r) => valueIn(r, name));
    const a = after.map((r) => valueIn(r, name));
    if ([...b, ...a].some((v) => v === undefined)) continue; // not measured in every run
    const bs = b as number[];
    const as = a as number[];
    paired.push({
      name,
      before: bs,
      after: as,
      statistics: pairedStatistics(as.map((v, i) => v - bs[i])),
    });
  }
  return paired;
}

/** Three significant digits, a true minus sign. */
function num(v: number, signed = false): string {
  const text = Math.abs(v) >= 100 ? v.toFixed(1) : String(Number(v.toPrecision(3)));
  const plain = text.replace("-", "−");
  return signed && v >= 0 ? `+${plain}` : plain;
}

/**
 * A markdown table: per figure both forms' values in pair order, their medians, and
 * after − before paired by pair (n, mean, t 95% interval, sign-flip p, verdict).
 */
export function pairedFiguresMarkdown(figures: readonly PairedFigure[]): string {
  const lines = [
    "| figure | before | after | median before → after | after − before (t 95%) | n | p | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const f of figures) {
    const s = f.statistics;
    const exact = s.pMethod === "exact" ? "" : " (Monte Carlo)";
    lines.push(
      `| ${f.name} | ${f.before.map((v) => num(v)).join(", ")} | ` +
        `${f.after.map((v) => num(v)).join(", ")} | ` +
        `${num(median(f.before))} → ${num(median(f.after))} | ` +
        `${num(s.mean, true)} [${num(s.tInterval.low, true)}, ${num(s.tInterval.high, true)}] | ` +
        `${s.n} | ${String(Number(s.p.toPrecision(3)))}${exact} | ` +
        `${s.resolved ? "resolved" : "not resolved"} |`,
    );
  }
  return lines.join("\n") + "\n";
}
