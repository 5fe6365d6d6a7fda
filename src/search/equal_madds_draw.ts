/**
 * A random network of a space at a given MAdds: the control a found network is measured
 * against ("does the search beat a random draw of its space at the same cost?").
 *
 * Rejection sampling: draw every searchable layer's candidate uniformly and independently,
 * keep the path once its MAdds lie within [(1 − tol)·T, (1 + tol)·T]. The kept path is
 * then uniform over the paths in that window (each path is equally likely to be drawn,
 * and acceptance depends only on its cost). A window outside the space's range is refused
 * at once; one inside it that no path reaches (costs are discrete) after `maxDraws`
 * draws is refused with the same kind of line. Pure host code.
 */
import { formatMAdds } from "../space/counting.ts";
import type { Rng } from "../util/rng.ts";
import { type CostModel, pathCost, validateCostModel } from "./expected_cost.ts";

/** ±3%: close enough that MAdds explain nothing of an accuracy gap, wide enough to hit. */
export const DEFAULT_DRAW_TOLERANCE = 0.03;
/** Draws before giving up on a window that the space's range spans but no path hits. */
export const DEFAULT_MAX_DRAWS = 1_000_000;

/** What a draw found. */
export interface EqualMAddsDraw {
  /** Per searchable layer, the chosen candidate. */
  readonly path: number[];
  /** The path's MAdds (fixed part included). */
  readonly madds: number;
  /** Paths drawn, the kept one included. */
  readonly draws: number;
  /** The window the path's MAdds had to fall in. */
  readonly low: number;
  readonly high: number;
}

/** The cheapest and the most expensive network of a cost model. */
export function maddsRange(model: CostModel): { min: number; max: number } {
  const sum = (pick: (costs: readonly number[]) => number) =>
    model.perLayer.reduce((s, costs) => s + pick(costs), model.fixed);
  return { min: sum((c) => Math.min(...c)), max: sum((c) => Math.max(...c)) };
}

/**
 * Draws uniform paths of `model` (`spaceCosts(space).madds`) until one costs within
 * `tolerance` of `target` (see the module comment). Throws one line naming the target, the
 * window and the space's MAdds range when no path was found.
 */
export function drawAtMAdds(
  model: CostModel,
  target: number,
  rng: Rng,
  options: { tolerance?: number; maxDraws?: number } = {},
): EqualMAddsDraw {
  const tolerance = options.tolerance ?? DEFAULT_DRAW_TOLERANCE;
  const maxDraws = options.maxDraws ?? DEFAULT_MAX_DRAWS;
  validateCostModel(model);
  if (!(Number.isFinite(target) && target > 0)) {
    throw new RangeError(`the target MAdds must be a positive number, got ${target}`);
  }
  if (!(tolerance >= 0 && tolerance < 1)) {
    throw new RangeError(`the tolerance must be in [0, 1), got ${tolerance}`);
  }
  if (!(Number.isInteger(maxDraws) && maxDraws >= 1)) {
    throw new RangeError(`the most draws must be a positive integer, got ${maxDraws}`);
  }
  const low = (1 - tolerance) * target;
  const high = (1 + tolerance) * target;
  const range = maddsRange(model);
  const refuse = (why: string) =>
    new Error(
      `no network of this space within ±${formatPercent(tolerance)} of ` +
        `${formatDrawMAdds(target)} MAdds (${formatDrawMAdds(low)}–${formatDrawMAdds(high)}): ` +
        `${why}; the space's networks range from ${formatDrawMAdds(range.min)} to ` +
        `${formatDrawMAdds(range.max)} MAdds`,
    );
  if (high < range.min || low > range.max) throw refuse("the window is outside the space");
  const choices = model.perLayer.map((costs) => costs.length);
  for (let draws = 1; draws <= maxDraws; draws++) {
    const path = choices.map((k) => rng.int(k));
    const madds = pathCost(model, path);
    if (madds >= low && madds <= high) return { path, madds, draws, low, high };
  }
  throw refuse(`none in ${maxDraws.toLocaleString("en-US")} uniform draws`);
}

function formatPercent(fraction: number): string {
  return `${Number((100 * fraction).toFixed(2))}%`;
}

/** MAdds to two decimals of a million ("4.85M"): a ±3% window needs more than "4.8M". */
export function formatDrawMAdds(madds: number): string {
  return madds >= 1e5 ? `${(madds / 1e6).toFixed(2)}M` : formatMAdds(madds);
}
