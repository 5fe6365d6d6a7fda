/**
 * report.md and the curves of a search: the supernet's loss and accuracy per epoch,
 * the expected MAdds (Eq. 6's Cost(N)) and the argmax network's MAdds per epoch, the
 * entropy of p per layer, SPOS's and random search's best score per population, and a
 * table of the chosen candidate of every searchable layer.
 */
import { median } from "../gpu/timing.ts";
import { EVIDENCE_LEVEL } from "../supernet/comparison_evidence.ts";
import { writeLineChart } from "../report/line_chart.ts";
import { formatMAdds, formatParams } from "../space/counting.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import type { EpochRecord, HistoryRecord, PathSearchRecord } from "./history.ts";
import { DECIDED_SHARE, hasDecided, MIN_DECISION_STEPS } from "./architecture_logits.ts";
import type { SearchResult } from "./outputs.ts";
import {
  EVIDENCE_ALPHA,
  medianWindowNeeded,
  MIN_COMPARISONS,
  type PairedEvidenceSummary,
} from "./paired_evidence.ts";
import { formatMs } from "./space_costs.ts";

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

/**
 * The search's decision in one line: how many layers held their argmax over the last
 * `DECIDED_SHARE` of the architecture steps, and the found network's MAdds beside the
 * expected MAdds under p (a capped search should not leave the cap unused by accident).
 */
export function decisionLine(result: SearchResult): string {
  const choosing = result.layers.filter((c) => c.decision !== null && c.candidates > 1);
  const steps = choosing[0]?.decision?.archSteps ?? 0;
  const decided = choosing.filter((c) => c.decision!.decided).length;
  const held = choosing.map((c) => c.decision!.heldSteps).join(", ");
  const tooFew = steps < MIN_DECISION_STEPS
    ? `; too few architecture steps to tell, under ${MIN_DECISION_STEPS}`
    : "";
  const evidence = result.pairedEvidence;
  const informed = evidence
    ? `; informed ${evidence.layers.filter((e) => e.informed).length} of ${choosing.length} ` +
      `(the last quarter's leader beat every rival on ${basisWords(evidence).short}, ` +
      `one-sided ${100 * EVIDENCE_ALPHA}% each)`
    : "";
  return `decided ${decided} of ${choosing.length} layers (argmax held over the last ` +
    `${100 * DECIDED_SHARE}% of ${steps} architecture steps; held for ${held} steps${tooFew})` +
    `${informed}; ` +
    `found ${formatMAdds(result.madds)} MAdds, E_p[MAdds] ` +
    (result.expectedMAdds === null ? "–" : formatMAdds(result.expectedMAdds)) +
    (result.maddsMin === null ? "" : `, floor ${formatMAdds(result.maddsMin)}`) +
    (result.maddsMax === null ? "" : `, cap ${formatMAdds(result.maddsMax)}`);
}

/** How a search's leader tests name what they compared. */
function basisWords(evidence: PairedEvidenceSummary): { short: string; long: string } {
  return (evidence.basis ?? "loss") === "loss"
    ? {
      short: "held-out loss",
      long: "the held-out loss of paths that differ in that layer only",
    }
    : {
      short: "its gate gradients' estimate of held-out loss",
      long: "the gate gradients of candidates active in the same step (∂L/∂g_a − ∂L/∂g_b, " +
        "the first-order estimate of loss_a − loss_b on that held-out batch)",
    };
}

/**
 * When the paired comparisons back fewer than `DECIDED_LAYERS` of the layers: what the
 * held argmaxes rest on, and the window the comparisons would need.
 */
function uninformedNote(result: SearchResult): string {
  const evidence = result.pairedEvidence;
  if (!evidence) return "";
  const choosing = evidence.layers.filter((_, l) => result.layers[l].candidates > 1);
  const informed = choosing.filter((e) => e.informed).length;
  if (choosing.length === 0 || informed / choosing.length >= DECIDED_LAYERS) return "";
  const median = medianWindowNeeded(choosing);
  return ` The last quarter's comparisons back ${informed} of ${choosing.length} leaders: an ` +
    "argmax held without them rests on the lead α built earlier" +
    (median !== null
      ? `; at the measured effects the median window needed is ${median} architecture steps ` +
        "(see below)."
      : ", and no leader is ahead of its weakest rival now.");
}

/**
 * The paired RL search's (or G's gate-gradient) evidence per layer: the last quarter's
 * leader against its weakest rival, and the window a pass would need at that effect.
 */
function pairedEvidenceSection(result: SearchResult): string[] {
  const evidence = result.pairedEvidence;
  if (!evidence) return [];
  const g = (x: number) => (Number.isFinite(x) ? x.toPrecision(2) : "–");
  const median = medianWindowNeeded(evidence.layers);
  return [
    (evidence.basis ?? "loss") === "loss"
      ? "## What the paired comparisons say"
      : "## What the gate gradients say of the leaders",
    "",
    `Over the last ${evidence.windowSteps} of ${evidence.archSteps} architecture steps, each ` +
    "layer's leader (its argmax when that window began) against every other candidate, on " +
    `${basisWords(evidence).long} (the cost term left out). ` +
    `A layer is informed when the leader's loss is lower than every rival's at one-sided ` +
    `${100 * EVIDENCE_ALPHA}% (t-test over the window's comparisons; a rival compared fewer ` +
    `than ${MIN_COMPARISONS} times fails). Below, the weakest of those tests: Δ is loss(leader) ` +
    "− loss(rival), negative where the leader does better, with its 95% t-interval; " +
    '"window needed" scales the window by (z/t)² to where that test would pass at the same ' +
    "effect, blank where the leader is not ahead of that rival." +
    (median !== null
      ? ` The median over layers with a figure: ${median} steps of window, a search of about ` +
        "four times that."
      : "") +
    " Layers informed in each quarter of the run, each on its own comparisons with the leader " +
    "at its start (the first quarter's leader is untrained α's tie, candidate 1): " +
    evidence.informedByQuarter.map((n) => (n === null ? "–" : String(n))).join(", ") + ".",
    "",
    "| layer | leader | informed | weakest rival | comparisons | Δ loss [95% t-interval] | one-sided p | window needed |",
    "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ...evidence.layers.flatMap((e, l) => {
      const w = e.weakest;
      const k = result.layers[l].candidates;
      if (k < 2) return [];
      return `| ${result.layers[l].layer} | ${e.leader + 1}/${k} | ${
        e.informed ? "yes" : "no"
      } | ` +
        (w
          ? `${w.candidate + 1}/${k} | ${w.n} | ${g(w.mean)} [${g(w.low)}, ${g(w.high)}] | ` +
            `${w.p < 1e-4 ? "<0.0001" : w.p.toFixed(4)} | ${e.windowStepsNeeded ?? "–"} |`
          : "– | – | – | – | – |");
    }),
    "",
  ];
}

/**
 * proxyless-g's gate gradients per layer and candidate: ∂L/∂g over the steps a candidate
 * ran idle (mean, sd, count) and as the drawn path (mean). Eq. 4 raises α where the idle
 * mean is most negative.
 */
function gateGradientSection(result: SearchResult): string[] {
  if (!result.gateGradients) return [];
  const g = (x: number) => x.toPrecision(3);
  return [
    "## Gate gradients",
    "",
    "∂L/∂g of each candidate over the architecture steps where it ran idle (gate 0: the " +
    "first-order estimate of swapping it in; Eq. 4 favours the most negative mean) and " +
    "where it was the drawn path (gate 1).",
    "",
    "| layer | candidate | idle mean | idle sd | idle steps | drawn mean | drawn steps |",
    "| --- | --- | --- | --- | --- | --- | --- |",
    ...result.gateGradients.flatMap((layer, l) =>
      layer.map((c, k) =>
        `| ${result.layers[l].layer} | ${k + 1}/${layer.length} | ${g(c.idle.mean)} | ` +
        `${g(c.idle.sd)} | ${c.idle.n} | ${c.drawn.n > 0 ? g(c.drawn.mean) : "–"} | ${c.drawn.n} |`
      )
    ),
    "",
    ...gateEvidenceSection(result),
  ];
}

/**
 * The last quarter's gate comparisons per layer (src/supernet/comparison_evidence.ts):
 * whether they told the candidates apart, and the window they would need.
 */
function gateEvidenceSection(result: SearchResult): string[] {
  const evidence = result.gateEvidence;
  if (!evidence || evidence.every((e) => e === null)) return [];
  const tested = evidence.filter((e) => e !== null);
  const passed = tested.filter((e) => e.p < EVIDENCE_LEVEL).length;
  const needed = tested.flatMap((e) => e.stepsNeeded ?? []);
  const middle = needed.length ? median(needed) : null;
  return [
    "Over the last quarter of the architecture steps, each idle candidate's ∂L/∂g less the " +
    "drawn one's, a first-order comparison of the two, fitted as candidate effects with a " +
    "shared shift; F test against noise (src/supernet/comparison_evidence.ts). Window " +
    "needed: the last-quarter steps at which the expected F would reach the 5% critical " +
    "value at the measured effect (blank where no effect beyond noise was measured). " +
    `Layers told apart at 5%: ${passed} of ${tested.length}` +
    (middle === null ? "." : `; median window needed ${Math.round(middle)} steps.`),
    "",
    "| layer | comparisons | F | df | p | window needed |",
    "| --- | --- | --- | --- | --- | --- |",
    ...evidence.flatMap((e, l) =>
      e
        ? [
          `| ${result.layers[l].layer} | ${e.comparisons} | ${e.f.toPrecision(3)} | ` +
          `${e.df1}, ${e.df2} | ${Number(e.p.toPrecision(2))} | ${e.stepsNeeded ?? "–"} |`,
        ]
        : []
    ),
    "",
  ];
}

/**
 * How the decision grew: per epoch with architecture steps, the layers (of those with a
 * choice) whose argmax had then held over the last `DECIDED_SHARE` of the steps so far —
 * what a shorter search of the same schedule would have decided, near enough.
 */
export function decidedByEpoch(
  history: readonly HistoryRecord[],
  candidates: readonly number[],
): { epoch: number; archSteps: number; decided: number }[] {
  return history.flatMap((r) => {
    if (r.phase !== "supernet" || !r.heldSteps || !r.archSteps) return [];
    const steps = r.archSteps;
    const decided = r.heldSteps.filter((h, l) => candidates[l] > 1 && hasDecided(h, steps));
    return [{ epoch: r.epoch, archSteps: steps, decided: decided.length }];
  });
}

/** The share of layers that must decide for a search to count as decided. */
export const DECIDED_LAYERS = 0.8;

function decisionGrowth(history: readonly HistoryRecord[], result: SearchResult): string[] {
  const choosing = result.layers.map((c) => c.candidates);
  const rows = decidedByEpoch(history, choosing);
  if (rows.length < 2) return [];
  const of = choosing.filter((k) => k > 1).length;
  return [
    "Layers decided at each epoch's end (architecture steps so far): " +
    rows.map((r) => `epoch ${r.epoch}: ${r.decided}/${of} (${r.archSteps})`).join(", ") + ".",
    "",
  ];
}

/** Writes the PNG (and SVG) curves; returns their file names. */
async function writeCurves(
  out: string,
  history: readonly HistoryRecord[],
  layerNames: readonly number[],
): Promise<string[]> {
  const epochs = history.filter((r): r is EpochRecord => r.phase === "supernet");
  const populations = history.filter((r): r is PathSearchRecord => r.phase === "path-search");
  const written: string[] = [];
  const pts = (rows: readonly EpochRecord[], f: (r: EpochRecord) => number | null) =>
    rows.flatMap((r) => {
      const y = f(r);
      return y === null || !Number.isFinite(y) ? [] : [[r.epoch, y] as [number, number]];
    });
  if (epochs.length) {
    const held = pts(epochs, (r) => r.valLoss);
    await writeLineChart(`${out}/supernet_loss`, [
      { name: "train (weight steps)", points: pts(epochs, (r) => r.trainLoss) },
      ...(held.length ? [{ name: "held-out (architecture steps)", points: held }] : []),
    ], { title: "Supernet loss", xLabel: "epoch", yLabel: "cross-entropy" });
    const heldTop1 = pts(epochs, (r) => r.valTop1);
    await writeLineChart(`${out}/supernet_accuracy`, [
      { name: "train top-1", points: pts(epochs, (r) => r.trainTop1) },
      ...(heldTop1.length ? [{ name: "held-out top-1", points: heldTop1 }] : []),
    ], { title: "Supernet accuracy", xLabel: "epoch", yLabel: "top-1" });
    await writeLineChart(`${out}/madds`, [
      { name: "expected E_p[MAdds] (M)", points: pts(epochs, (r) => r.expectedMAdds / 1e6) },
      { name: "argmax network (M)", points: pts(epochs, (r) => r.argmaxMAdds / 1e6) },
    ], { title: "MAdds of the search distribution", xLabel: "epoch", yLabel: "MAdds (M)" });
    await writeLineChart(
      `${out}/entropy`,
      layerNames.map((layer, l) => ({
        name: `layer ${layer}`,
        points: pts(epochs, (r) => r.entropy[l]),
      })),
      { title: "Entropy of p per searchable layer", xLabel: "epoch", yLabel: "nats" },
    );
    written.push("supernet_loss.png", "supernet_accuracy.png", "madds.png", "entropy.png");
  }
  if (populations.length) {
    const series = (f: (r: PathSearchRecord) => number) =>
      populations.map((r) => [r.generation, f(r)] as [number, number]);
    await writeLineChart(`${out}/path_search`, [
      { name: "best so far", points: series((r) => r.best.score) },
      { name: "population best", points: series((r) => r.populationBest) },
      { name: "population mean", points: series((r) => r.populationMean) },
    ], { title: "Path search: held-out score", xLabel: "population", yLabel: "score" });
    written.push("path_search.png");
  }
  return written;
}

/** Writes report.md and the curves. */
export async function writeSearchReport(
  out: string,
  result: SearchResult,
  history: readonly HistoryRecord[],
): Promise<void> {
  const curves = await writeCurves(out, history, result.layers.map((c) => c.layer));
  const last = history.filter((r): r is EpochRecord => r.phase === "supernet").at(-1);
  const lines = [
    `# Search report: ${result.algo}`,
    "",
    ...(result.randomLabels
      ? [
        "**Random labels**: every training image's label was replaced by a random class " +
        "(`--random-labels`, the search's null model); what this search chose carries no " +
        "information about the data.",
        "",
      ]
      : []),
    `Space: \`${result.space}\`. Found network: **${formatMAdds(result.madds)} MAdds**, ` +
    `**${formatParams(result.params)}** conv+linear weights` +
    (result.maddsMax === null
      ? ""
      : result.maddsMin === null
      ? ` (cap ${formatMAdds(result.maddsMax)})`
      : ` (band ${formatMAdds(result.maddsMin)}–${formatMAdds(result.maddsMax)})`) +
    (result.latencyMs === null ? "" : `, **${formatMs(result.latencyMs)}** predicted latency` +
      (result.latencyMax === null ? "" : ` (cap ${formatMs(result.latencyMax)})`)) +
    `; held-out top-1 **${pct(result.heldOut.top1)}**, loss ${result.heldOut.loss.toFixed(4)} ` +
    `(${result.heldOutImages} held-out images, supernet weights, BN statistics re-estimated ` +
    `on training batches). Wall time ${result.seconds.toFixed(0)} s.`,
    "",
    result.latencyMs === null
      ? "Cost (Eq. 6's term and the cap): MAdds."
      : `Cost (Eq. 6's term and the cap): latency, summed from the table measured on ` +
        `${result.latencyAdapter} at batch ${result.latencyBatch} (λ per ms).`,
    "",
    ...(last
      ? [
        `Last supernet epoch: train loss ${last.trainLoss.toFixed(4)}, top-1 ` +
        `${pct(last.trainTop1)}; expected MAdds ${formatMAdds(last.expectedMAdds)}` +
        (last.expectedLatencyMs === undefined
          ? ""
          : `, expected latency ${formatMs(last.expectedLatencyMs)}`) +
        (last.lambda === null ? "" : `; λ ${last.lambda.toPrecision(3)}`) + ".",
        "",
      ]
      : []),
    ...(result.decidedShare === null ? [] : [
      `Decision: ${decisionLine(result)}.` +
      (result.decidedShare < DECIDED_LAYERS
        ? ` Fewer than ${100 * DECIDED_LAYERS}% of the layers decided: the argmax of the ` +
          `others still moves, so their choice is not yet informed; search longer ` +
          `(--epochs) or with more held-out images per architecture step (--arch-batch).`
        : "") +
      (result.randomLabels
        ? ""
        : " A layer can also hold its argmax by chance: the same search with --random-labels " +
          "shows how many do at these settings.") +
      uninformedNote(result),
      "",
      ...decisionGrowth(history, result),
    ]),
    ...result.notes.flatMap((n) => [n, ""]),
    "Train it from scratch: `deno task train --arch " + `${out}/network.json\`.`,
    "",
    "## Chosen candidate per searchable layer",
    "",
    "| layer | candidate | block | p | H(p)/log K | argmax held | MAdds | weights | latency | drawing |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...result.layers.map((c) =>
      `| ${c.layer} | ${c.candidate + 1}/${c.candidates} | \`${c.block}\` | ${
        c.probability === null ? "–" : c.probability.toFixed(3)
      } | ${c.decision === null ? "–" : c.decision.relativeEntropy.toFixed(3)} | ${
        c.decision === null ? "–" : `${c.decision.heldSteps}/${c.decision.archSteps}` +
          (c.decision.argmax === c.candidate ? "" : ` (argmax ${c.decision.argmax + 1})`)
      } | ${formatMAdds(c.madds)} | ${formatParams(c.params)} | ${
        c.latencyMs === null ? "–" : formatMs(c.latencyMs)
      } | ${c.drawing ? `cells/${c.drawing}.png` : "–"} |`
    ),
    "",
    ...gateGradientSection(result),
    ...pairedEvidenceSection(result),
    "## Files",
    "",
    "- `network.json`: the network (for `deno task train --arch`, `inspect`, `export`)",
    result.netConfig
      ? "- `net.config`: the same network in ProxylessNAS's format"
      : "- no `net.config`: ProxylessNAS's format cannot express these blocks",
    "- `choices.json`: the table above; `result.json`: the numbers of this report",
    "- `history.jsonl`: one line per supernet epoch (and per population of a path search)",
    ...curves.map((c) => `- \`${c}\``),
    "",
  ];
  await atomicWrite(`${out}/report.md`, lines.join("\n"));
}
