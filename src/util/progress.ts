/**
 * A one-line progress display for long jobs: position, a bar, the caller's fields
 * (loss, accuracy), images/s and ETA. Redraws in place on a terminal, prints a line
 * every `logEverySeconds` otherwise (CI logs).
 */

export interface ProgressOptions {
  label: string;
  total: number;
  /** Units per step, for the rate (images per step). */
  unitsPerStep?: number;
  unitName?: string;
  /**
   * The step a resumed job starts from: the bar shows absolute steps of `total`, while
   * the rate and the ETA count only the steps this process made.
   */
  resumedAt?: number;
  logEverySeconds?: number;
  write?: (line: string, final: boolean) => void;
}

export class Progress {
  private start = performance.now();
  private lastPrint = 0;
  private done: number;
  private readonly isTty: boolean;

  constructor(private opts: ProgressOptions) {
    this.done = opts.resumedAt ?? 0;
    let tty = false;
    try {
      tty = Deno.stderr.isTerminal();
    } catch { /* not a terminal */ }
    this.isTty = tty;
  }

  /** Marks `step` of `total` done and redraws if due. */
  update(step: number, fields: Record<string, string | number> = {}, force = false): void {
    this.done = step;
    const now = performance.now();
    const every = this.isTty ? 200 : (this.opts.logEverySeconds ?? 10) * 1000;
    if (!force && now - this.lastPrint < every && step < this.opts.total) return;
    this.lastPrint = now;
    this.emit(this.render(fields, now), step >= this.opts.total || force);
  }

  /** Steps this process has made (a resumed job's steps before it do not count). */
  private get stepsHere(): number {
    return this.done - (this.opts.resumedAt ?? 0);
  }

  /** Units per second over `elapsed` seconds. */
  private rateOver(elapsed: number): number {
    return (this.stepsHere * (this.opts.unitsPerStep ?? 1)) / Math.max(elapsed, 1e-9);
  }

  render(fields: Record<string, string | number>, now = performance.now()): string {
    const { total, label } = this.opts;
    const elapsed = (now - this.start) / 1000;
    const frac = total > 0 ? Math.min(1, this.done / total) : 1;
    const width = 20;
    const filled = Math.round(frac * width);
    const bar = "#".repeat(filled) + "-".repeat(width - filled);
    const eta = this.stepsHere > 0 ? (elapsed / this.stepsHere) * (total - this.done) : NaN;
    const extra = Object.entries(fields)
      .map(([k, v]) => `${k} ${typeof v === "number" ? formatNumber(v) : v}`)
      .join("  ");
    const rate = this.opts.unitsPerStep
      ? `  ${this.rateOver(elapsed).toFixed(1)} ${this.opts.unitName ?? "items"}/s`
      : "";
    return `${label} [${bar}] ${this.done}/${total}  ${extra}${rate}  ` +
      `elapsed ${formatDuration(elapsed)}  ETA ${formatDuration(eta)}`;
  }

  private emit(line: string, final: boolean): void {
    if (this.opts.write) return this.opts.write(line, final);
    const enc = new TextEncoder();
    if (this.isTty) {
      Deno.stderr.writeSync(enc.encode(`\r\x1b[2K${line}${final ? "\n" : ""}`));
    } else {
      Deno.stderr.writeSync(enc.encode(line + "\n"));
    }
  }
}

export function formatNumber(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  if (Math.abs(v) >= 100) return v.toFixed(1);
  if (Math.abs(v) >= 1) return v.toFixed(3);
  return v.toFixed(4);
}

/** "1h02m", "3m05s", "12s", "--" for unknown. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--";
  const s = Math.round(seconds);
  if (s >= 3600) {
    return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
  }
  if (s >= 60) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`;
  return `${s}s`;
}
