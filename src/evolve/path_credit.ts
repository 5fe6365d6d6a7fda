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
 * The paired steps of an interval, by layer and cell: `losses[l][k][t]` and `top1s`, the
 * loss and top-1 of cell k of layer l in step t. Throws one
 * line where the ledger is not a whole number of steps or a path is not a one-layer
 * variation of its step's context.
 */
function pairedLosses(measured: readonly PathMeasurement[], candidates: readonly number[]) {
  const perStep = 1 + candidates.reduce((n, k) => n + k - 1, 0);
  if (measured.length % perStep !== 0) {
    throw new RangeError(
      `creditPairedCells: ${measured.length} paths is not a whole number of steps of ${perStep}`,
    );
  }
  const steps = measured.length / perStep;
  const losses = candidates.map((k) => Array.from({ length: k }, () => [] as number[]));
  const top1s = candidates.map((k) => Array.from({ length: k }, () => [] as number[]));
  for (let t = 0; t < steps; t++) {
    const step = measured.slice(t * perStep, (t + 1) * perStep);
    const context = step[0].path;
    candidates.forEach((_, l) => {
      losses[l][context[l]].push(step[0].loss);
      top1s[l][context[l]].push(step[0].top1);
    });
    for (const m of step.slice(1)) {
      const switched = m.path.findIndex((c, l) => c !== context[l]);
      if (switched < 0 || m.path.some((c, l) => l !== switched && c !== context[l])) {
        throw new RangeError(
          `creditPairedCells: path [${m.path}] of step ${t} is not a one-layer variation of ` +
            `[${context}]`,
        );
      }
      losses[switched][m.path[switched]].push(m.loss);
      top1s[switched][m.path[switched]].push(m.top1);
    }
  }
  return { steps, losses, top1s };
}

/**
 * `--fitness paired`: each layer's losses over an interval as a table of steps × cells
 * (every cell measured in every step on the step's batch), for the block test of
 * src/supernet/comparison_evidence.ts.
 */
export function pairedLossTables(
  measured: readonly PathMeasurement[],
  candidates: readonly number[],
): number[][][] {
  const { steps, losses } = pairedLosses(measured, candidates);
  return losses.map((cells) => Array.from({ length: steps }, (_, t) => cells.map((c) => c[t])));
}

/**
 * `--fitness paired`: credits from paired steps (fitness_step.ts). Each step measured a
 * context path and then, layer by layer, the context with that layer switched to each
 * other sampled cell (`variationPaths` order), all on one held-out batch; so in each step
 * every layer has the loss of every one of its cells in the same context. A cell's
 * advantage in a step is its layer's mean loss there less its own, and
 *
 *   δ_k = η · Σ_t (L̄_{l,t} − L_{k,t}) / σ
 *
 * where σ is the pooled spread of the cells' losses about their layer's mean, over the
 * interval's steps: each comparison is between networks that differ in one layer and see
 * the same images, so the other layers' draws and the batch's difficulty cancel, where
 * the single-path credit (`creditCells`) leaves both in its noise. Every cell is measured
 * in every step, so the steps of a layer sum to zero. A ledger that is not a whole number
 * of steps is an error (a step records all its paths at once).
 */
export function creditPairedCells(
  measured: readonly PathMeasurement[],
  candidates: readonly number[],
  eta: number,
): CellCredit[][] {
  const { steps, losses, top1s } = pairedLosses(measured, candidates);
  // The pooled within-step spread: each layer's losses about their step's mean.
  let squares = 0;
  let freedom = 0;
  const layerMeans = losses.map((cells) =>
    Array.from({ length: steps }, (_, t) => cells.reduce((s, c) => s + c[t], 0) / cells.length)
  );
  losses.forEach((cells, l) => {
    if (cells.length < 2) return;
    for (let t = 0; t < steps; t++) {
      for (const c of cells) squares += (c[t] - layerMeans[l][t]) ** 2;
      freedom += cells.length - 1;
    }
  });
  const spread = freedom > 0 ? Math.sqrt(squares / freedom) : 0;
  const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return losses.map((cells, l) =>
    cells.map((own, k) => {
      if (steps === 0) return { paths: 0, loss: NaN, top1: NaN, step: 0 };
      const advantage = own.reduce((s, v, t) => s + layerMeans[l][t] - v, 0);
      return {
        paths: steps,
        loss: mean(own),
        top1: mean(top1s[l][k]),
        step: spread > 0 ? (eta * advantage) / spread : 0,
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
