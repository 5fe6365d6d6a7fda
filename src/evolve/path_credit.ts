/**
 * The accuracy fitness (`--fitness accuracy|mixed`, fitness_mode.ts): what the supernet
 * measures of single paths on held-out batches, credited to the cells on them.
 *
 * Each fitness step runs one path — one candidate per layer — on a held-out batch and
 * credits its loss L_t to every layer's chosen cell. At the regeneration, in each layer,
 * cell k's step is
 *
 *   δ_k = η · Σ_{t : k on path t} (L̄ − L_t) / σ_L
 *
 * where L̄ and σ_L are the mean and standard deviation of the interval's path losses and
 * η is the arch learning rate (`--arch-lr`). So:
 *
 * - a path one loss-spread better than the interval's mean moves each of its cells by η,
 *   as one Adam step of Eq. 4 moves α by ≲ η: the fitness stays on the α scale, where
 *   p = softmax(α) still means something and a child inheriting its parent's score is
 *   comparable to the rest;
 * - the steps of a layer sum to zero (each path credits one cell per layer and L̄ is the
 *   paths' mean), so fitness stays centred on its initial value, as under Eq. 4;
 * - evidence adds up: a cell credited on more paths moves further, and Eq. 5 adds each
 *   interval's δ to the fitness, so a cell that keeps doing better keeps climbing;
 * - dividing by σ_L makes the step independent of the loss level, which falls as the
 *   supernet trains; σ_L = 0 or fewer than two paths carry no comparison: δ = 0;
 * - a cell on no path gets δ = 0 and keeps its fitness.
 *
 * The loss (cross-entropy without label smoothing), not top-1: on one batch of 64, top-1
 * moves in steps of 1/64 with a binomial noise of about ±0.06 at 70%, which hides the
 * few points cells differ by; the loss is continuous and reads every image's margin.
 * Top-1 is recorded beside it (history.jsonl) for comparison.
 *
 * The losses stay on the GPU: each path adds its batch to its own metrics slot, and the
 * regeneration reads all slots in one host sync.
 */
import { MetricsAccumulator, type MetricsSnapshot } from "../supernet/metrics_accumulator.ts";

/** `PathCredits.snapshot()`: each recorded path and its slot's sums. */
export interface PathCreditsSnapshot {
  readonly paths: readonly (readonly number[])[];
  readonly slots: readonly MetricsSnapshot[];
}

/** One measured path: its candidate per layer and its held-out loss and top-1. */
export interface PathMeasurement {
  readonly path: readonly number[];
  readonly loss: number;
  readonly top1: number;
}

/** What one cell's credit came to over an interval. */
export interface CellCredit {
  /** Paths the cell was on. */
  readonly paths: number;
  /** Mean held-out loss and top-1 of those paths (NaN when there were none). */
  readonly loss: number;
  readonly top1: number;
  /** δ_acc, the step added to the cell's α* (0 when there were no paths). */
  readonly step: number;
}

/**
 * Each layer's credits (`candidates[l]` cells, in path order) from the paths measured
 * over an interval, with step size `eta` (see the file comment).
 */
export function creditCells(
  measured: readonly PathMeasurement[],
  candidates: readonly number[],
  eta: number,
): CellCredit[][] {
  measured.forEach((m, t) => {
    if (m.path.length !== candidates.length) {
      throw new RangeError(
        `creditCells: path ${t} has ${m.path.length} layers, expected ${candidates.length}`,
      );
    }
  });
  const n = measured.length;
  const mean = measured.reduce((s, m) => s + m.loss, 0) / Math.max(1, n);
  const variance = n < 2 ? 0 : measured.reduce((s, m) => s + (m.loss - mean) ** 2, 0) / (n - 1);
  const spread = Math.sqrt(variance);
  const informative = n >= 2 && spread > 0;
  return candidates.map((k, l) =>
    Array.from({ length: k }, (_, cell) => {
      const on = measured.filter((m) => m.path[l] === cell);
      if (on.length === 0) return { paths: 0, loss: NaN, top1: NaN, step: 0 };
      const advantage = on.reduce((s, m) => s + (mean - m.loss), 0);
      return {
        paths: on.length,
        loss: on.reduce((s, m) => s + m.loss, 0) / on.length,
        top1: on.reduce((s, m) => s + m.top1, 0) / on.length,
        step: informative ? (eta * advantage) / spread : 0,
      };
    })
  );
}

/**
 * The paths measured since the last regeneration: the host keeps each path's candidates,
 * the GPU its loss and top-1 (one metrics slot per path, reused from interval to
 * interval).
 */
export class PathCredits {
  private readonly slots: MetricsAccumulator[] = [];
  private paths: number[][] = [];

  /**
   * Records `path` as the next measured path; returns the accumulator its held-out batch
   * must be added to (once, inside the step's tidy scope).
   */
  open(path: readonly number[]): MetricsAccumulator {
    const index = this.paths.length;
    this.slots[index] ??= new MetricsAccumulator(`evolve.path_credit.${index}`);
    this.paths.push([...path]);
    return this.slots[index];
  }

  /** Paths recorded and not settled yet. */
  get pending(): number {
    return this.paths.length;
  }

  /** The paths recorded so far and their sums as they stand, for a step checkpoint. */
  async snapshot(): Promise<PathCreditsSnapshot> {
    const slots = [];
    for (let t = 0; t < this.paths.length; t++) slots.push(await this.slots[t].snapshot());
    return { paths: this.paths.map((p) => [...p]), slots };
  }

  /** Puts back what `snapshot` saved (on an empty ledger). */
  restore(saved: PathCreditsSnapshot): void {
    this.paths = [];
    saved.paths.forEach((path, t) => {
      this.open(path);
      this.slots[t].restore(saved.slots[t]);
    });
  }

  /** Reads every recorded path's loss and top-1 in one host sync and empties the ledger. */
  async settle(): Promise<PathMeasurement[]> {
    const paths = this.paths;
    this.paths = [];
    if (paths.length === 0) return [];
    const values = await MetricsAccumulator.drainAll(this.slots.slice(0, paths.length));
    return paths.map((path, t) => ({ path, loss: values[t].loss, top1: values[t].top1 }));
  }

  dispose(): void {
    for (const slot of this.slots) slot.dispose();
    this.slots.length = 0;
    this.paths = [];
  }
}
