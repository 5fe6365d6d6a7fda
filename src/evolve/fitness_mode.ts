/**
 * What a sampled cell's trained score α* — the value Eq. 5 folds into its fitness at a
 * regeneration — measures (`deno task evolve --fitness`):
 *
 * - `alpha` (the paper, Eq. 3–5): the logit α that the fitness steps trained by Eq. 4
 *   with binary gates, starting from the cell's fitness.
 * - `accuracy`: what the supernet measures of the cell. The fitness steps run single
 *   paths forward on held-out batches and credit each path's loss to its cells
 *   (path_credit.ts); α* = α + δ_acc, the cell's fitness moved by its credit. Eq. 4 does
 *   not run: α stays at the fitness through the interval, so a `--path-sampling
 *   proportional` weight step still draws ∝ softmax(fitness).
 * - `paired`: the accuracy credit from paired comparisons. Each fitness step draws a
 *   context path and runs it with each layer switched to each of its other sampled
 *   cells, all on one held-out batch (path_credit.ts, `creditPairedCells`): a cell is
 *   compared with its layer's others in the same network on the same images, as
 *   REINFORCE's `paired-all` estimator compares candidates. α* = α + δ_paired; Eq. 4
 *   does not run.
 * - `mixed`: both. The fitness steps are Eq. 4's binary-gate steps, whose forward is the
 *   single path of the gates that are on, so that path's loss is credited to its cells
 *   at no extra cost; α* = α + (δ_α + δ_acc) / 2, the mean of the two steps, where
 *   δ_α = α_trained − α. Both are in the same unit — a step of about the arch learning
 *   rate per fitness step the cell took part in (Adam moves α by ≲ lr a step; a path
 *   one loss-spread better than its interval's mean moves δ_acc by lr) — so neither
 *   needs rescaling to be averaged.
 *
 * Every mode folds α* = α + δ, so the null evolution (null_evolution.ts) recovers each
 * mode's δ from history.jsonl by inverting Eq. 5 alike.
 */

/** The fitness modes, default first. */
export const FITNESS_MODES = ["alpha", "accuracy", "mixed", "paired"] as const;
/** One of `FITNESS_MODES`. */
export type FitnessMode = typeof FITNESS_MODES[number];

/** Reads a `--fitness` value; one line naming the choices when it is not one. */
export function parseFitnessMode(text: string): FitnessMode {
  if (!(FITNESS_MODES as readonly string[]).includes(text)) {
    throw new Error(`--fitness must be one of ${FITNESS_MODES.join(", ")}, got "${text}"`);
  }
  return text as FitnessMode;
}

/** Whether the fitness steps train α by Eq. 4 (binary gates and their gradients). */
export function trainsAlpha(mode: FitnessMode): boolean {
  return mode === "alpha" || mode === "mixed";
}

/** Whether the fitness steps credit single paths' held-out losses to their cells. */
export function creditsPaths(mode: FitnessMode): boolean {
  return mode !== "alpha";
}

/**
 * α* of one layer's sampled cells (path order) for Eq. 5: `start` their fitness when the
 * supernet was built, `trained` the α that Eq. 4 left (equal to `start` where Eq. 4 did
 * not run), `accuracy` each cell's credit step δ_acc (zeros where nothing was credited).
 */
export function alphaStarOf(
  mode: FitnessMode,
  start: readonly number[],
  trained: readonly number[],
  accuracy: readonly number[],
): number[] {
  if (start.length !== trained.length || start.length !== accuracy.length) {
    throw new RangeError(
      `alphaStarOf: ${start.length} cells, ${trained.length} trained α, ` +
        `${accuracy.length} accuracy steps`,
    );
  }
  switch (mode) {
    case "alpha":
      return [...trained];
    case "accuracy":
    case "paired":
      return start.map((a, k) => a + accuracy[k]);
    case "mixed":
      return start.map((a, k) => a + ((trained[k] - a) + accuracy[k]) / 2);
  }
}
