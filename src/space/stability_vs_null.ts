/**
 * Are real runs' learned spaces more alike than chance? Each figure of `compareSpaces`
 * (cells shared, Jaccard, the total-variation distances of the edge-op, ratio and
 * aggregation mixes) is averaged over the real spaces' pairs and read against the same
 * average over every group of as many null-evolution spaces (C(n, k) groups: 120 for 3
 * of 10). One-sided p = (1 + groups at least as alike) / (1 + groups); a figure is beyond
 * chance when its Holm-adjusted p over the figures is below 0.05, which also puts it past
 * the 95th percentile of the null groups. Every pair's figures are kept, so the test can
 * be rerun from the JSON alone.
 */
import { holm } from "../util/paired_statistics.ts";
import { OVERLAP_FIGURES, type OverlapFigure } from "./pairwise_overlap.ts";
import type { SearchSpaceFile } from "./search_space_file.ts";
import { compareSpaces } from "./space_overlap.ts";

/** Larger is more alike for the overlaps, smaller for the distances. */
const MORE_ALIKE_IS_LARGER: Readonly<Record<OverlapFigure, boolean>> = {
  sharedFraction: true,
  jaccard: true,
  opDistance: false,
  ratioDistance: false,
  aggregationDistance: false,
};

/** One pair of spaces (indices into their list) and its figures. */
export interface PairFigures {
  readonly a: number;
  readonly b: number;
  readonly figures: Readonly<Record<OverlapFigure, number>>;
}

/** One figure's test. */
export interface FigureAgainstNull {
  readonly key: OverlapFigure;
  readonly label: string;
  /** Mean over the real spaces' pairs. */
  readonly real: number;
  /** Median and range of the null groups' means. */
  readonly nullMedian: number;
  readonly nullMin: number;
  readonly nullMax: number;
  /** Null groups as alike as the real one or more. */
  readonly atLeastAsAlike: number;
  readonly p: number;
  /** Holm-adjusted over the figures. */
  readonly pHolm: number;
  readonly beyondChance: boolean;
}

/** The whole test, with every pair's figures. */
export interface StabilityAgainstNull {
  readonly groupSize: number;
  readonly groups: number;
  readonly figures: FigureAgainstNull[];
  readonly realPairs: PairFigures[];
  readonly nullPairs: PairFigures[];
}

/** Every unordered pair's figures. */
export function pairFigures(spaces: readonly SearchSpaceFile[]): PairFigures[] {
  const pairs: PairFigures[] = [];
  for (let a = 0; a < spaces.length; a++) {
    for (let b = a + 1; b < spaces.length; b++) {
      pairs.push({ a, b, figures: compareSpaces([spaces[a], spaces[b]]).mean });
    }
  }
  return pairs;
}

/** Every k-subset of 0..n−1, in lexicographic order. */
export function* subsets(n: number, k: number): Generator<number[]> {
  const at = Array.from({ length: k }, (_, i) => i);
  while (k <= n) {
    yield [...at];
    let i = k - 1;
    while (i >= 0 && at[i] === n - k + i) i--;
    if (i < 0) return;
    at[i]++;
    for (let j = i + 1; j < k; j++) at[j] = at[j - 1] + 1;
  }
}

/** The mean of `key` over the pairs within `members`. */
function groupMean(pairs: readonly PairFigures[], members: readonly number[], key: OverlapFigure) {
  const inGroup = new Set(members);
  const within = pairs.filter((p) => inGroup.has(p.a) && inGroup.has(p.b));
  return within.reduce((s, p) => s + p.figures[key], 0) / within.length;
}

/**
 * The test from stored pair figures (`realCount` real spaces, `nullCount` null ones):
 * what `stabilityAgainstNull` computes, and what reruns it from a JSON file.
 */
export function testAgainstNull(
  realPairs: readonly PairFigures[],
  realCount: number,
  nullPairs: readonly PairFigures[],
  nullCount: number,
): StabilityAgainstNull {
  if (realCount < 2) throw new RangeError("stability against null: give at least two real spaces");
  if (nullCount < Math.max(realCount, 10)) {
    throw new RangeError(
      `stability against null: ${nullCount} null spaces; give at least 10, and at least as ` +
        `many as the ${realCount} real ones`,
    );
  }
  const groups = [...subsets(nullCount, realCount)];
  const everyone = Array.from({ length: realCount }, (_, i) => i);
  const raw = OVERLAP_FIGURES.map(({ key, label }) => {
    const real = groupMean(realPairs, everyone, key);
    const nulls = groups.map((g) => groupMean(nullPairs, g, key)).sort((x, y) => x - y);
    const larger = MORE_ALIKE_IS_LARGER[key];
    // A tolerance for the float noise of equal means reached in another order.
    const atLeastAsAlike = nulls.filter((v) => larger ? v >= real - 1e-12 : v <= real + 1e-12)
      .length;
    return {
      key,
      label,
      real,
      nullMedian: nulls[Math.floor((nulls.length - 1) / 2)],
      nullMin: nulls[0],
      nullMax: nulls[nulls.length - 1],
      atLeastAsAlike,
      p: (1 + atLeastAsAlike) / (1 + groups.length),
    };
  });
  const adjusted = holm(raw.map((f) => f.p));
  return {
    groupSize: realCount,
    groups: groups.length,
    figures: raw.map((f, i) => ({ ...f, pHolm: adjusted[i], beyondChance: adjusted[i] < 0.05 })),
    realPairs: [...realPairs],
    nullPairs: [...nullPairs],
  };
}

/** Real spaces against null-evolution spaces (see the module comment). */
export function stabilityAgainstNull(
  real: readonly SearchSpaceFile[],
  nulls: readonly SearchSpaceFile[],
): StabilityAgainstNull {
  return testAgainstNull(pairFigures(real), real.length, pairFigures(nulls), nulls.length);
}

/** The test as a markdown table. */
export function stabilityAgainstNullMarkdown(t: StabilityAgainstNull): string {
  const f = (v: number) => v.toFixed(2);
  return [
    `Against the null: each figure's mean over the ${t.groupSize} real spaces' pairs, and ` +
    `over every group of ${t.groupSize} of the null spaces (${t.groups} groups); one-sided p ` +
    `= (1 + groups as alike or more) / (1 + groups), Holm over the figures`,
    "",
    "| figure (mean of the layers) | real | null median | null range | null groups as alike | p | Holm p | beyond chance |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...t.figures.map((x) =>
      `| ${x.label} | ${f(x.real)} | ${f(x.nullMedian)} | ${f(x.nullMin)} – ${f(x.nullMax)} | ` +
      `${x.atLeastAsAlike} of ${t.groups} | ${x.p.toFixed(3)} | ${x.pHolm.toFixed(3)} | ` +
      `${x.beyondChance ? "yes" : "no"} |`
    ),
  ].join("\n");
}
