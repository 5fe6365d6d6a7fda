/**
 * Rankings and the Table 6 criterion: after how many epochs the fitness scores α order
 * the networks as their trained accuracies do, and keep that order to the end.
 *
 * Orders list network indices from worst to best (the paper's Net1 < Net2 < Net3).
 */

/** Network indices from the lowest score to the highest; equal scores keep index order. */
export function worstToBest(scores: readonly number[]): number[] {
  scores.forEach((s, i) => {
    if (!Number.isFinite(s)) throw new RangeError(`worstToBest: score ${i} is ${s}`);
  });
  return scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
}

/** Checks that `order` is a permutation of 0..n−1. */
function checkOrder(order: readonly number[], n: number, where: string): void {
  const seen = new Set(order);
  if (order.length !== n || seen.size !== n || order.some((i) => !(i >= 0 && i < n))) {
    throw new RangeError(`${where}: ${order.join(",")} is not an order of ${n} networks`);
  }
}

/**
 * True when α ranks the networks as `order` (worst → best) does: α strictly increases
 * along the order. Equal α is no ranking, so it never agrees.
 */
export function alphaAgrees(alpha: readonly number[], order: readonly number[]): boolean {
  checkOrder(order, alpha.length, "alphaAgrees");
  for (let r = 1; r < order.length; r++) {
    if (!(alpha[order[r]] > alpha[order[r - 1]])) return false;
  }
  return true;
}

/**
 * The smallest gap between α of neighbours in `order`: min_r α[order[r+1]] − α[order[r]].
 * Positive exactly when α agrees with the order; its size says by how much.
 */
export function orderMargin(alpha: readonly number[], order: readonly number[]): number {
  checkOrder(order, alpha.length, "orderMargin");
  let margin = Infinity;
  for (let r = 1; r < order.length; r++) {
    margin = Math.min(margin, alpha[order[r]] - alpha[order[r - 1]]);
  }
  return margin;
}

/** α at the end of an epoch (epoch 0: the initial α). */
export interface EpochAlpha {
  epoch: number;
  alpha: readonly number[];
}

function checkRecords(records: readonly EpochAlpha[], where: string): void {
  records.forEach((r, i) => {
    if (i > 0 && !(r.epoch > records[i - 1].epoch)) {
      throw new RangeError(
        `${where}: epochs must increase, got ${records[i - 1].epoch}, ${r.epoch}`,
      );
    }
  });
}

/**
 * Table 6's "Epochs": the first recorded epoch from which α agrees with `order` at every
 * later record, through the last one; null when the last record disagrees. 0 means the
 * initial α already agreed and nothing ever changed that.
 */
export function epochsToCorrectOrder(
  records: readonly EpochAlpha[],
  order: readonly number[],
): number | null {
  checkRecords(records, "epochsToCorrectOrder");
  let settled: number | null = null;
  for (const r of records) {
    if (!alphaAgrees(r.alpha, order)) settled = null;
    else if (settled === null) settled = r.epoch;
  }
  return settled;
}

/** The first recorded epoch at which α agrees with `order`, even if it later flips; null if never. */
export function firstAgreement(
  records: readonly EpochAlpha[],
  order: readonly number[],
): number | null {
  checkRecords(records, "firstAgreement");
  return records.find((r) => alphaAgrees(r.alpha, order))?.epoch ?? null;
}
