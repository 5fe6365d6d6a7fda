/**
 * Fitness scores of the population (paper §3.2.2).
 *
 * A fitness α is the logit of a cell's path weight: the supernet takes
 * p = softmax(α) over its K sampled cells (Eq. 3 read with the softmax that Eq. 4's
 * Jacobian implies), trains α by Eq. 4, and every f iterations writes the trained α*
 * back into the population by Eq. 5. Because softmax ignores a common shift and Eq. 4's
 * gradients sum to zero over the K paths (with equal factors), scores stay centred on
 * their initial value, so scores from different supernets remain comparable.
 */
import type { LayerPopulation } from "./population.ts";

/** Eq. 5 for one cell: α ← ε·α* + (1 − ε)·α_old. */
export function blendFitness(old: number, alphaStar: number, epsilon: number): number {
  return epsilon * alphaStar + (1 - epsilon) * old;
}

/**
 * Eq. 5 for the cells of one supernet layer: `ids[k]` (the sampled cells, in path
 * order) gets α ← ε·α*_k + (1 − ε)·α_old. Throws one line on a length mismatch, an ε
 * outside [0, 1], a non-finite α* or an id not in the population; nothing changes then.
 */
export function updateFitness(
  population: LayerPopulation,
  ids: readonly string[],
  alphaStar: readonly number[],
  epsilon: number,
): void {
  if (ids.length !== alphaStar.length) {
    throw new RangeError(
      `updateFitness: ${ids.length} cell ids but ${alphaStar.length} trained scores`,
    );
  }
  if (!(epsilon >= 0 && epsilon <= 1)) {
    throw new RangeError(`updateFitness: epsilon must be in [0, 1], got ${epsilon}`);
  }
  alphaStar.forEach((alpha, k) => {
    if (!Number.isFinite(alpha)) {
      throw new RangeError(`updateFitness: trained score of ${ids[k]} is ${alpha}`);
    }
  });
  const entries = ids.map((id) => population.require(id));
  entries.forEach((entry, k) => {
    entry.fitness = blendFitness(entry.fitness, alphaStar[k], epsilon);
  });
}

/** How a newly mutated child's α starts. */
export type ChildFitnessRule = "parent" | "init";

/**
 * The initial α of a child. "parent" (the default of the evolve config): the parent's
 *  α, because a one-gene mutation is local, its weights are mostly inherited (see
 * weight_bank.ts: its modules are shared with its parent), and the child must compete in tournaments before it has been
 * scored — with a neutral score it would rarely be picked among scored winners.
 * "init": the population's initial α (a fresh, neutral start).
 */
export function childFitness(
  rule: ChildFitnessRule,
  parentFitness: number,
  initFitness: number,
): number {
  return rule === "parent" ? parentFitness : initFitness;
}
