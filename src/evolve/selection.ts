/**
 * Tournament selection (paper §3.2.1 and Figure 2; Fang & Li's review, the paper's
 * [10]): the K cells of the next supernet layer are K tournament winners.
 *
 * Each tournament draws `tournamentSize` candidates uniformly without replacement from
 * the entries not chosen yet and takes the fittest; ties go to the candidate drawn
 * first, so the result depends only on the Rng and the entry order. A larger
 * tournament means stronger selection pressure; size 1 is uniform sampling, size =
 * population size always takes the best remaining cell.
 */
import type { Rng } from "../util/rng.ts";

/** What a tournament needs of an entry. */
export interface SelectionCandidate {
  readonly id: string;
  readonly fitness: number;
}

/**
 * Ids of `k` distinct winners, in the order the tournaments were won (that order is
 * the supernet's path order). Throws one line when there are fewer than `k` candidates
 * or the sizes are not positive integers.
 */
export function tournamentSelect(
  candidates: readonly SelectionCandidate[],
  k: number,
  tournamentSize: number,
  rng: Rng,
): string[] {
  if (!(Number.isInteger(k) && k >= 1)) {
    throw new RangeError(`tournamentSelect: k must be an integer >= 1, got ${k}`);
  }
  if (!(Number.isInteger(tournamentSize) && tournamentSize >= 1)) {
    throw new RangeError(
      `tournamentSelect: tournament size must be an integer >= 1, got ${tournamentSize}`,
    );
  }
  if (candidates.length < k) {
    throw new RangeError(
      `tournamentSelect: need ${k} distinct cells but the population has ${candidates.length}`,
    );
  }
  if (new Set(candidates.map((c) => c.id)).size !== candidates.length) {
    throw new RangeError("tournamentSelect: candidate ids repeat");
  }
  const remaining = [...candidates];
  const winners: string[] = [];
  while (winners.length < k) {
    const draws = Math.min(tournamentSize, remaining.length);
    // Partial Fisher-Yates: the first `draws` slots become a uniform sample.
    let best = 0;
    for (let slot = 0; slot < draws; slot++) {
      const pick = slot + rng.int(remaining.length - slot);
      [remaining[slot], remaining[pick]] = [remaining[pick], remaining[slot]];
      if (remaining[slot].fitness > remaining[best].fitness) best = slot;
    }
    winners.push(remaining[best].id);
    remaining.splice(best, 1);
  }
  return winners;
}
