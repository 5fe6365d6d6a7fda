/**
 * fidelity's report.md and charts: the table of τ and ρ (95% bootstrap intervals) and
 * top-k overlap per supernet setting and scored epoch, seed vs seed and the noise ceiling
 * of the seeds' mean (the target the settings are scored against) beside them,
 * a scatter of supernet score against stand-alone accuracy per setting, and the
 * commands that reproduce every number.
 */
import { writeLineChart } from "../report/line_chart.ts";
import { writeScatterPanels } from "../report/scatter_chart.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import type { Interval } from "../util/bootstrap.ts";
import type { FidelityResult } from "./result.ts";
import { type Agreement, RESAMPLES } from "./statistics.ts";

const f2 = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : "–");
/** "0.41 [0.12, 0.66]". */
export const withInterval = (i: Interval) => `${f2(i.value)} [${f2(i.low)}, ${f2(i.high)}]`;
const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

function row(name: string, epoch: string, a: Agreement): string {
  return `| ${name} | ${epoch} | ${withInterval(a.tau)} | ${withInterval(a.rho)} | ` +
    `${Math.round(a.topKOverlap * a.k)}/${a.k} |`;
}

/** report.md's text. */
export function fidelityReportMarkdown(r: FidelityResult): string {
  const d = r.definition as {
    space: string;
    networks: number;
    standalone: { epochs: number; trainImages: number; testImages: number; seeds: number[] };
  };
  const lines = [
    `# Supernet fidelity: ${d.space}`,
    "",
    `${r.networks.length} networks sampled across the space's MAdds range, each trained alone ` +
    `(${d.standalone.epochs} epoch(s) of ${d.standalone.trainImages} images, tested on ` +
    `${d.standalone.testImages} test images) on seeds ${d.standalone.seeds.join(", ")}. ` +
    `τ is Kendall's τ-b, ρ Spearman's, between a supernet's score of each network and its mean ` +
    `stand-alone top-1, with 95% percentile-bootstrap intervals over the networks ` +
    `(${RESAMPLES.toLocaleString("en-US")} resamples); top-k counts the networks in both ` +
    `top-k lists.`,
    "",
  ];
  const c = r.noiseCeiling;
  if (c) {
    lines.push(
      `The scores are compared with the mean of ${c.seeds} seeds, a less noisy target than ` +
        `one seed, so the agreement of two single seeds (τ ${withInterval(c.seedVsSeed.tau)}) ` +
        `is not what a score can reach. The noise ceiling is that of the mean: one seed's ` +
        `reliability, Pearson r between seeds, is ${withInterval(c.oneSeedReliability)}; the ` +
        `${c.seeds}-seed mean's (Spearman–Brown, ${
          c.seeds === 2 ? "2r / (1 + r)" : "k·r / (1 + (k − 1)·r)"
        }) ${withInterval(c.targetReliability)}; a perfect predictor correlates with the mean ` +
        `at about its square root, ${withInterval(c.correlation)}, which is τ ` +
        `${withInterval(c.tau)} and ρ ${withInterval(c.rho)} under a bivariate normal model.`,
      "",
    );
  }
  lines.push(
    "| supernet setting | epoch | τ | ρ | top-k |",
    "| --- | --- | --- | --- | --- |",
  );
  if (c) {
    lines.push(
      `| **noise ceiling**: a perfect predictor against the ${c.seeds}-seed mean | – | ` +
        `${withInterval(c.tau)} | ${withInterval(c.rho)} | – |`,
      row("one seed vs another (single-seed measures)", "–", c.seedVsSeed),
    );
  }
  lines.push(
    row("MAdds alone (no supernet)", "–", r.sizeBaselines.madds),
    row("weights alone (no supernet)", "–", r.sizeBaselines.weights),
  );
  for (const s of r.settings) {
    for (const e of s.epochs) {
      lines.push(row(`${s.setting.name}, held-out top-1`, String(e.epoch), e.heldOut));
      if (e.logP) lines.push(row(`${s.setting.name}, Σ log p`, String(e.epoch), e.logP));
    }
    if (!s.finished) {
      lines.push(`| ${s.setting.name} | (unfinished: continue with --resume) | | | |`);
    }
  }
  lines.push(
    "",
    "![supernet score against stand-alone accuracy](scatter.png)",
    "",
    "## Networks",
    "",
    "| network | MAdds | weights | stand-alone top-1 (per seed) | mean |",
    "| --- | --- | --- | --- | --- |",
    ...r.networks.map((n) =>
      `| ${n.id} | ${(n.madds / 1e6).toFixed(2)}M | ${n.params} | ` +
      `${n.standaloneTop1.map(pct).join(", ")} | ${pct(n.meanTop1)} |`
    ),
    "",
    "## Commands",
    "",
    "One stand-alone training (the others differ in network and seed):",
    "",
    "```",
    r.standaloneCommand,
    "```",
    "",
    ...r.settings.flatMap((s) => [
      `Supernet ${s.setting.name}${
        s.seconds === null ? "" : ` (${Math.round(s.seconds)} s with its scoring)`
      }:`,
      "",
      "```",
      s.command,
      "```",
      "",
    ]),
  );
  return lines.join("\n");
}

/** Writes report.md, scatter.{svg,png} and, with several scored epochs, tau.{svg,png}. */
export async function writeFidelityReport(out: string, r: FidelityResult): Promise<void> {
  await atomicWrite(`${out}/report.md`, fidelityReportMarkdown(r));
  const truth = r.networks.map((n) => 100 * n.meanTop1);
  const finalEpochs = r.settings.filter((s) => s.epochs.length > 0).map((s) => ({
    name: s.setting.name,
    last: s.epochs[s.epochs.length - 1],
  }));
  if (finalEpochs.length > 0) {
    await writeScatterPanels(
      `${out}/scatter`,
      finalEpochs.map(({ name, last }) => ({
        title: `${name}, epoch ${last.epoch}: τ ${f2(last.heldOut.tau.value)}`,
        xLabel: "held-out top-1 in the supernet (%)",
        points: last.scores.map((s, i) => [100 * s, truth[i]] as [number, number]),
      })),
      { title: "Supernet score vs stand-alone accuracy", yLabel: "stand-alone top-1 (%)" },
    );
  }
  if (r.settings.some((s) => s.epochs.length > 1)) {
    await writeLineChart(
      `${out}/tau`,
      r.settings.map((s) => ({
        name: s.setting.name,
        points: s.epochs.map((e) => [e.steps, e.heldOut.tau.value] as [number, number]),
      })),
      { title: "Kendall τ against supernet length", xLabel: "weight steps", yLabel: "τ" },
    );
  }
}
