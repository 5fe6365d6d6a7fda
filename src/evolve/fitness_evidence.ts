/**
 * The evolve report's section on whether each regeneration's fitness told its cells apart
 * (src/supernet/comparison_evidence.ts): the gate steps' comparisons (`alpha`, `mixed`)
 * or the paired steps' (`paired`), one test per layer and regeneration interval.
 */
import { median } from "../gpu/timing.ts";
import { type ComparisonEvidence, EVIDENCE_LEVEL } from "../supernet/comparison_evidence.ts";
import { logGamma } from "../util/paired_statistics.ts";

/**
 * P(X ≥ k) for X ~ Binomial(n, q), summed over the tail itself (1 − the rest loses the
 * small tails to rounding).
 */
export function binomialUpperTail(k: number, n: number, q: number): number {
  if (k <= 0) return 1;
  if (k > n) return 0;
  const logTerm = (i: number) =>
    logGamma(n + 1) - logGamma(i + 1) - logGamma(n - i + 1) + i * Math.log(q) +
    (n - i) * Math.log(1 - q);
  let term = Math.exp(logTerm(k));
  let tail = 0;
  for (let i = k; i <= n && term > 0; i++) {
    tail += term;
    term *= ((n - i) / (i + 1)) * (q / (1 - q));
  }
  return Math.min(1, tail);
}

/** One regeneration's evidence, layer by layer (null: no test for that layer). */
export interface RegenerationEvidence {
  readonly regeneration: number;
  readonly layers: readonly (ComparisonEvidence | null | undefined)[];
}

/**
 * The evolve report's section on the evidence: how many layer intervals told their cells
 * apart at 5% against the 5% that noise alone passes (a binomial test), and the median
 * steps an interval would need, by regeneration. Empty where no line has evidence.
 */
export function fitnessEvidenceMarkdown(history: readonly RegenerationEvidence[]): string[] {
  const rows = history
    .map((r) => ({ regeneration: r.regeneration, tests: r.layers.filter((e) => e) }))
    .filter((r) => r.tests.length > 0) as {
      regeneration: number;
      tests: ComparisonEvidence[];
    }[];
  if (rows.length === 0) return [];
  const all = rows.flatMap((r) => r.tests);
  const passed = all.filter((e) => e.p < EVIDENCE_LEVEL).length;
  const projected = all.filter((e) => e.stepsNeeded !== null).map((e) => e.stepsNeeded!);
  const needText = (tests: readonly ComparisonEvidence[]) => {
    const n = tests.filter((e) => e.stepsNeeded !== null).map((e) => e.stepsNeeded!);
    return n.length ? String(Math.round(median(n))) : "–";
  };
  return [
    "## Does the fitness tell the cells apart?",
    "",
    "Per layer and regeneration interval, the fitness steps' comparisons of its sampled " +
    "cells (gate gradients, or the paired losses) fitted as cell effects; F test against " +
    "noise (src/supernet/comparison_evidence.ts). Where fewer layers pass at 5% than noise alone would let " +
    "through, the tournaments selected on noise. Steps needed: the fitness steps an interval " +
    "would need for the expected F to reach the 5% critical value at the measured effect " +
    "(one interval's projection is noisy; read the median).",
    "",
    `Layer intervals passing at 5%: ${passed} of ${all.length} (noise alone: ${
      (EVIDENCE_LEVEL * all.length).toFixed(1)
    }; binomial p ${
      Number(binomialUpperTail(passed, all.length, EVIDENCE_LEVEL).toPrecision(3))
    }). Median fitness steps an interval had: ${Math.round(median(all.map((e) => e.steps)))}; ` +
    `would need: ${
      projected.length ? Math.round(median(projected)) : "–"
    } (over the ${projected.length} intervals that measured an effect; ${
      all.length - projected.length
    } measured none).`,
    "",
    "| regeneration | layers tested | passing at 5% | median p | fitness steps | steps needed (median) |",
    "| --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.regeneration} | ${r.tests.length} | ${
        r.tests.filter((e) => e.p < EVIDENCE_LEVEL).length
      } | ` +
      `${Number(median(r.tests.map((e) => e.p)).toPrecision(2))} | ` +
      `${Math.round(median(r.tests.map((e) => e.steps)))} | ${needText(r.tests)} |`
    ),
    "",
  ];
}
