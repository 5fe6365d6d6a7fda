/**
 * The paths of a paired comparison: a context path (one candidate per layer) and its
 * variations, each the context with one layer switched. Every variation runs as the
 * context does up to its switched layer, so it can start there from the context's input
 * (`Supernet.forwardFrom`). REINFORCE's paired estimators (src/search/paired_reinforce.ts)
 * and the evolution's paired fitness (src/evolve/fitness_step.ts) score these paths.
 */

/** One candidate index per layer. */
export type CandidatePath = readonly number[];

/** Per layer, every candidate but the context's, in index order. */
export function everyAlternative(choices: readonly number[], context: CandidatePath): number[][] {
  if (context.length !== choices.length || context.some((c, l) => !(c >= 0 && c < choices[l]))) {
    throw new RangeError(
      `everyAlternative: path [${context.join(", ")}] is not a path of [${choices.join(", ")}]`,
    );
  }
  return choices.map((k, l) =>
    Array.from({ length: k }, (_, j) => j).filter((j) => j !== context[l])
  );
}

/** Each layer's alternatives as a list (none where the draw was the context's). */
export function asVariations(alternatives: readonly (number | null)[]): number[][] {
  return alternatives.map((j) => (j === null ? [] : [j]));
}

/**
 * The paths a step scores: the context first, then, layer by layer, the context with that
 * layer switched to each of its `variations`.
 */
export function variationPaths(
  context: CandidatePath,
  variations: readonly (readonly number[])[],
): number[][] {
  const paths: number[][] = [[...context]];
  variations.forEach((alternatives, l) => {
    for (const j of alternatives) paths.push(context.map((c, m) => (m === l ? j : c)));
  });
  return paths;
}
