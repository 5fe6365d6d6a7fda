/**
 * Offspring of the tournament winners by local mutation (paper §3.2.1, Figure 2).
 *
 * Child slot j mutates winner j mod W, the winners taken best fitness first, so with
 * fewer children than winners only the fittest reproduce. A child is one gene away from
 * its parent (`mutate`); while the reference phase lasts (`useReference`, the first half
 * of the run) it must also stay closer than τ to the reference DAG (Eq. 2), checked on
 * the raw child by `mutate` and on its canonical (stored) form by `nearReference`. It
 * must fit the layer's MAdds cap, be new to the population and to this batch. A slot
 * whose parent yields no such child in `triesPerChild` mutations falls to the next
 * winner; a slot no winner can fill is left empty (the caller sees fewer children).
 */
import { canonicalize, type Cell, cellId, type EdgeOp, mutate } from "../space/mod.ts";
import type { Rng } from "../util/rng.ts";
import { childFitness, type ChildFitnessRule } from "./fitness.ts";
import { type LayerPopulation, nearReference, type PopulationEntry } from "./population.ts";

/** Options of `makeOffspring`. */
export interface OffspringOptions {
  /** Children wanted. */
  readonly count: number;
  /** Hold children within τ of `reference` (true in the first half of the run). */
  readonly useReference: boolean;
  /** Reference DAG; undefined for `--reference none` (never constrained). */
  readonly reference?: Cell;
  /** Hamming threshold τ of Eq. 2; needed when `useReference` and `reference` are set. */
  readonly tau?: number;
  /** Mutations tried per parent for one child before moving on; default 20. */
  readonly triesPerChild?: number;
  /** Edge ops a mutated edge draws from; default the paper's five (`OPEN_SPACE_OPS`). */
  readonly ops?: readonly EdgeOp[];
}

/** A new child and the winner it was mutated from. */
export interface Offspring {
  /** The child in canonical form. */
  readonly cell: Cell;
  readonly id: string;
  readonly parentId: string;
}

/** Children of `winnerIds` (population ids); see the file comment for the rules. */
export function makeOffspring(
  population: LayerPopulation,
  winnerIds: readonly string[],
  rng: Rng,
  options: OffspringOptions,
): Offspring[] {
  const { count, useReference, reference, tau } = options;
  if (!(Number.isInteger(count) && count >= 0)) {
    throw new RangeError(`makeOffspring: count must be an integer >= 0, got ${count}`);
  }
  if (count > 0 && winnerIds.length === 0) {
    throw new RangeError("makeOffspring: children need at least one winner");
  }
  const constrained = useReference && reference !== undefined;
  if (constrained && !(tau !== undefined && tau > 0)) {
    throw new RangeError(`makeOffspring: the reference phase needs tau > 0, got ${tau}`);
  }
  const tries = options.triesPerChild ?? 20;
  const parents = winnerIds.map((id) => population.require(id))
    .map((entry, index) => ({ entry, index }))
    .sort((a, b) => b.entry.fitness - a.entry.fitness || a.index - b.index)
    .map(({ entry }) => entry);
  const children: Offspring[] = [];
  const taken = new Set<string>();
  for (let slot = 0; slot < count; slot++) {
    let child: Offspring | null = null;
    for (let turn = 0; turn < parents.length && child === null; turn++) {
      const parent = parents[(slot + turn) % parents.length];
      child = mutateParent(parent, population, rng, tries, taken, {
        reference: constrained ? reference : undefined,
        tau,
        ops: options.ops,
      });
    }
    if (child === null) continue;
    taken.add(child.id);
    children.push(child);
  }
  return children;
}

function mutateParent(
  parent: PopulationEntry,
  population: LayerPopulation,
  rng: Rng,
  tries: number,
  taken: ReadonlySet<string>,
  rules: { reference?: Cell; tau?: number; ops?: readonly EdgeOp[] },
): Offspring | null {
  const { reference, tau, ops } = rules;
  const constrained = reference !== undefined;
  for (let attempt = 0; attempt < tries; attempt++) {
    let raw: Cell;
    try {
      raw = mutate(parent.cell, rng, {
        allowZeroCell: population.zeroCellAllowed,
        ops,
        ...(constrained ? { reference, tau } : {}),
      });
    } catch {
      return null; // `mutate` found no child under τ in its own tries: this parent is stuck
    }
    if (constrained && !nearReference(raw, reference!, tau!)) continue;
    if (population.admits(raw) !== null) continue;
    const id = cellId(raw);
    if (taken.has(id)) continue;
    return { cell: canonicalize(raw), id, parentId: parent.id };
  }
  return null;
}

/**
 * Adds `children` to the population with α from `rule` (see `childFitness`), then
 * evicts down to `maxSize`, protecting the sampled cells and the new children.
 * Returns the entries added and those evicted.
 */
export function addOffspring(
  population: LayerPopulation,
  children: readonly Offspring[],
  rule: ChildFitnessRule,
  initFitness: number,
): { added: PopulationEntry[]; evicted: PopulationEntry[] } {
  const added = children.map((child) =>
    population.add(child.cell, {
      fitness: childFitness(rule, population.require(child.parentId).fitness, initFitness),
      parentId: child.parentId,
    })
  );
  const evicted = population.evict(added.map((entry) => entry.id));
  return { added, evicted };
}
