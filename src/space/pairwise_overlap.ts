/**
 * The spread of `compareSpaces` over the pairs of a set of spaces: for each layer-mean
 * figure (cells shared, Jaccard, the three total-variation distances) its mean, minimum
 * and maximum over every unordered pair. Over null-evolution spaces it is the chance
 * level a pair of real runs is read against.
 */
import type { SearchSpaceFile } from "./search_space_file.ts";
import { compareSpaces, type SpaceOverlap } from "./space_overlap.ts";

/** One figure of `SpaceOverlap.mean`. */
export type OverlapFigure = keyof SpaceOverlap["mean"];

/** The figures, in table order, with their labels. */
export const OVERLAP_FIGURES: readonly { key: OverlapFigure; label: string }[] = [
  { key: "sharedFraction", label: "cells shared (fraction)" },
  { key: "jaccard", label: "mean Jaccard" },
  { key: "opDistance", label: "TV edge ops" },
  { key: "ratioDistance", label: "TV ratios" },
  { key: "aggregationDistance", label: "TV aggregations" },
];

/** Mean, minimum and maximum of one figure over the pairs. */
export interface FigureSpread {
  readonly mean: number;
  readonly min: number;
  readonly max: number;
}

/** Every pair's figures and their spread. */
export interface PairwiseOverlap {
  readonly pairs: number;
  readonly spread: Readonly<Record<OverlapFigure, FigureSpread>>;
}

/** Compares every unordered pair of `spaces` (at least two). */
export function pairwiseOverlap(spaces: readonly SearchSpaceFile[]): PairwiseOverlap {
  if (spaces.length < 2) throw new RangeError("pairwiseOverlap: give at least two spaces");
  const means: SpaceOverlap["mean"][] = [];
  for (let i = 0; i < spaces.length; i++) {
    for (let j = i + 1; j < spaces.length; j++) {
      means.push(compareSpaces([spaces[i], spaces[j]]).mean);
    }
  }
  const spread = {} as Record<OverlapFigure, FigureSpread>;
  for (const { key } of OVERLAP_FIGURES) {
    const values = means.map((m) => m[key]);
    spread[key] = {
      mean: values.reduce((a, b) => a + b, 0) / values.length,
      min: Math.min(...values),
      max: Math.max(...values),
    };
  }
  return { pairs: means.length, spread };
}

/** The spread as a markdown table: figure, mean over pairs, range. */
export function pairwiseOverlapMarkdown(p: PairwiseOverlap, title: string): string {
  const f = (v: number) => v.toFixed(2);
  return [
    `${title} (${p.pairs} pairs)`,
    "",
    "| figure (mean of the layers) | mean over pairs | range |",
    "| --- | --- | --- |",
    ...OVERLAP_FIGURES.map(({ key, label }) => {
      const s = p.spread[key];
      return `| ${label} | ${f(s.mean)} | ${f(s.min)} – ${f(s.max)} |`;
    }),
  ].join("\n");
}
