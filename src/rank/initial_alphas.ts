/**
 * Initial fitness scores of the robustness experiment: the five rows of the paper's
 * Table 6, given by rank (Net1 is the network that trains worst, Net3 the best), so
 * that they can be assigned once the true ranking is measured.
 *
 * The paper prints them in units of 10⁻³; p = softmax(α) is then uniform to within
 * 0.4%, and every network is sampled equally at the start. A scale multiplies the
 * printed numbers: at scale 1 (α = 2.67 instead of 0.00267) p starts far from uniform
 * (row 1 gives Net2 90% of the weight steps), so the scores have to overcome both their
 * start and the extra training that start gives the favoured network. Row 3 is the
 * exact reverse of the true order (Net1 > Net2 > Net3).
 */
import { alphaAgrees } from "./ranking.ts";

/** Table 6, α of (Net1, Net2, Net3) in the paper's units (10⁻³). */
export const TABLE6_ROWS: readonly (readonly [number, number, number])[] = [
  [-0.296, 2.670, -0.141],
  [0.023, -0.577, 0.705],
  [0.426, -0.752, -1.180],
  [-1.950, -0.061, -0.334],
  [0.304, 1.220, 0.774],
];

/** One initial setting: α by rank, worst network first. */
export interface InitialSetting {
  /** "row3-x1" (or "row3-x1-uniform"): names its files. */
  id: string;
  /** Table 6's S/N (1-based). */
  row: number;
  /** The factor on the printed numbers. */
  scale: number;
  byRank: readonly number[];
}

/**
 * The Table 6 rows `rows` (1-based S/N) at every scale of `scales` (each row's printed
 * numbers times the scale), scale by scale. `idSuffix` ("-uniform") marks runs made
 * another way than the default.
 */
export function table6Settings(
  rows: readonly number[],
  scales: readonly number[],
  idSuffix = "",
): InitialSetting[] {
  for (const scale of scales) {
    if (!(scale > 0 && Number.isFinite(scale))) {
      throw new RangeError(`table6Settings: scales must be > 0, got ${scale}`);
    }
  }
  for (const row of rows) {
    if (!(Number.isInteger(row) && row >= 1 && row <= TABLE6_ROWS.length)) {
      throw new RangeError(`Table 6 has rows 1..${TABLE6_ROWS.length}, not ${row}`);
    }
  }
  return scales.flatMap((scale) =>
    rows.map((row) => ({
      id: `row${row}-x${scale}${idSuffix}`,
      row,
      scale,
      byRank: TABLE6_ROWS[row - 1].map((a) => a * scale),
    }))
  );
}

/** α by network index: network `order[r]` (rank r, worst first) gets `byRank[r]`. */
export function alphaByNetwork(setting: InitialSetting, order: readonly number[]): number[] {
  if (order.length !== setting.byRank.length) {
    throw new RangeError(
      `alphaByNetwork: ${order.length} networks but ${setting.byRank.length} initial scores`,
    );
  }
  const alpha = new Array<number>(order.length).fill(NaN);
  order.forEach((network, rank) => alpha[network] = setting.byRank[rank]);
  return alpha;
}

/** True when α ranks the networks exactly opposite to `order` (best gets the lowest). */
export function isReverseOrder(alpha: readonly number[], order: readonly number[]): boolean {
  return alphaAgrees(alpha, [...order].reverse());
}
