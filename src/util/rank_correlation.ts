/**
 * Correlations of two lists: Pearson's; Spearman's rank correlation, Pearson's of the
 * ranks (ties get the mean of the ranks they span), 1 when two lists order their items
 * the same way; and Kendall's τ-b.
 */

/** Ranks 0..n−1 by value, ties sharing their mean rank. */
export function ranks(values: readonly number[]): number[] {
  const order = values.map((_, i) => i).sort((a, b) => values[a] - values[b]);
  const out = new Array<number>(values.length);
  for (let start = 0; start < order.length;) {
    let end = start + 1;
    while (end < order.length && values[order[end]] === values[order[start]]) end++;
    for (let k = start; k < end; k++) out[order[k]] = (start + end - 1) / 2;
    start = end;
  }
  return out;
}

/** Σ(a−ma)(b−mb) / √(Σ(a−ma)²·Σ(b−mb)²): Pearson's r about the means given. */
function correlationAbout(a: readonly number[], b: readonly number[], ma: number, mb: number) {
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let i = 0; i < a.length; i++) {
    cov += (a[i] - ma) * (b[i] - mb);
    va += (a[i] - ma) ** 2;
    vb += (b[i] - mb) ** 2;
  }
  return cov / Math.sqrt(va * vb);
}

/** Pearson's correlation of two equally long lists (NaN when either is constant). */
export function pearson(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`pearson: lengths ${a.length} ≠ ${b.length}`);
  const n = a.length;
  const ma = a.reduce((s, x) => s + x, 0) / n;
  const mb = b.reduce((s, x) => s + x, 0) / n;
  return correlationAbout(a, b, ma, mb);
}

/** Spearman's ρ of two equally long lists (NaN when either is constant or shorter than 2). */
export function spearman(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`spearman: lengths ${a.length} ≠ ${b.length}`);
  // The mean of the ranks 0..n−1 is (n − 1)/2, ties included.
  const mean = (a.length - 1) / 2;
  return correlationAbout(ranks(a), ranks(b), mean, mean);
}

/**
 * Kendall's τ-b of two equally long lists: (concordant − discordant) pairs over the
 * geometric mean of the pairs untied in each list, so ties count for neither and a
 * list with ties can still reach ±1 against itself. NaN when either list is constant.
 * O(n²): the lists here are a few dozen networks.
 */
export function kendallTau(a: readonly number[], b: readonly number[]): number {
  if (a.length !== b.length) throw new RangeError(`kendallTau: lengths ${a.length} ≠ ${b.length}`);
  let concordant = 0;
  let discordant = 0;
  let untiedA = 0;
  let untiedB = 0;
  for (let i = 0; i < a.length; i++) {
    for (let j = i + 1; j < a.length; j++) {
      const da = Math.sign(a[i] - a[j]);
      const db = Math.sign(b[i] - b[j]);
      if (da !== 0) untiedA++;
      if (db !== 0) untiedB++;
      if (da * db > 0) concordant++;
      else if (da * db < 0) discordant++;
    }
  }
  return (concordant - discordant) / Math.sqrt(untiedA * untiedB);
}
