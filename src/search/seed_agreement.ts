/**
 * How alike the networks that searches of one space on different seeds found are: per
 * searchable layer, the share of seed pairs that chose the same candidate. A search that
 * reads information from the data finds it again on another seed; so does one that follows
 * a bias (the cost term, a cell that learns fastest), which is why the figure is read
 * against the same searches on random labels (`--random-labels`), where only the biases
 * are left.
 */

/** Agreement of searches over the same layers. */
export interface SeedAgreement {
  /** Searches compared. */
  readonly searches: number;
  /** Per layer: the share of pairs of searches whose choice agrees. */
  readonly perLayer: number[];
  /** Mean of `perLayer`. */
  readonly mean: number;
  /** Per layer: 1/K, the agreement of independent uniform draws. */
  readonly uniformChance: number[];
}

/**
 * `paths[s][l]` is search s's candidate in layer l; `choices[l]` is K of layer l. Layers
 * with a single candidate are left out. Needs at least two searches.
 */
export function seedAgreement(
  paths: readonly (readonly number[])[],
  choices: readonly number[],
): SeedAgreement {
  if (paths.length < 2) {
    throw new RangeError(`seed agreement needs ≥ 2 searches, got ${paths.length}`);
  }
  for (const path of paths) {
    if (path.length !== choices.length) {
      throw new RangeError(`a path has ${path.length} layers, the space ${choices.length}`);
    }
  }
  const layers = choices.map((k, l) => ({ k, l })).filter(({ k }) => k > 1);
  const pairs = (paths.length * (paths.length - 1)) / 2;
  const perLayer = layers.map(({ l }) => {
    let same = 0;
    for (let a = 0; a < paths.length; a++) {
      for (let b = a + 1; b < paths.length; b++) if (paths[a][l] === paths[b][l]) same++;
    }
    return same / pairs;
  });
  return {
    searches: paths.length,
    perLayer,
    mean: perLayer.reduce((s, v) => s + v, 0) / Math.max(1, perLayer.length),
    uniformChance: layers.map(({ k }) => 1 / k),
  };
}
