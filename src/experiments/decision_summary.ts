/**
 * The tables of a plan of search-only runs (`searchOnly`): does each search decide (the
 * share of layers whose argmax held over the last quarter of its architecture steps, p's
 * entropy, the found network's MAdds beside E_p[MAdds]), and do seeds agree — per space
 * and algorithm, the share of seed pairs choosing the same candidate per layer, against
 * the same searches on random labels (the plan's `nullArms`), whose agreement is what the
 * biases alone give. Real − null is tested per layer: a two-sided sign-flip test over the
 * layers' differences (paired by layer; with 7 layers no p falls below 2/2^7 ≈ 0.016).
 * Each search's held and informed layers are also set against its own twin's, seed by
 * seed and layer by layer (`nullContrastRows`).
 */
import type { SearchResult } from "../search/outputs.ts";
import { medianWindowNeeded } from "../search/paired_evidence.ts";
import { type SeedAgreement, seedAgreement } from "../search/seed_agreement.ts";
import { allPathsExist } from "../util/output_folder.ts";
import { type PairedStatistics, pairedStatistics, verdict } from "../util/paired_statistics.ts";
import type { SearchTrainRun } from "./plans.ts";
import { runCommands, runLayout, stageDone } from "./run_layout.ts";

/** One finished search-only run. */
export interface SearchRow {
  readonly id: string;
  readonly arm: string;
  readonly algo: string;
  readonly seed: number;
  readonly randomLabels: boolean;
  /** Candidate per searchable layer of the found network. */
  readonly path: number[];
  /**
   * The argmax of α per searchable layer at the end (null for searches without α): what
   * the architecture weights chose, before the derivation's cap and scoring.
   */
  readonly argmaxPath: number[] | null;
  /** Candidates per searchable layer. */
  readonly choices: number[];
  /** Share of the layers with a choice whose argmax held over the last quarter. */
  readonly decidedShare: number | null;
  /** Per layer with a choice, in layer order: whether its argmax held (null: no α). */
  readonly decidedLayers: boolean[] | null;
  /** Per layer with a choice: whether the paired comparisons backed its leader. */
  readonly informedLayers: boolean[] | null;
  /**
   * Paired RL: share of the layers with a choice whose last-quarter leader beat every
   * rival on held-out loss (src/search/paired_evidence.ts); null for other searches.
   */
  readonly informedShare: number | null;
  /**
   * Paired RL: the median over layers of the architecture steps a last-quarter window
   * would need for the leader's weakest test to pass (layers where the leader trails that
   * rival left out); null for other searches or where no layer has a figure.
   */
  readonly windowNeeded: number | null;
  /** Mean over the layers with a choice of H(p) / log K at the end. */
  readonly relativeEntropy: number | null;
  readonly archSteps: number | null;
  readonly madds: number;
  readonly expectedMAdds: number | null;
  readonly maddsMax: number | null;
  readonly heldOutTop1: number;
  readonly seconds: number;
  readonly commands: Readonly<Record<string, string>>;
}

/** Reads a search-only run's row; null while its search is unfinished. */
export async function readSearchRow(
  planOut: string,
  run: SearchTrainRun,
): Promise<SearchRow | null> {
  if (!(await allPathsExist(stageDone(planOut, run).search))) return null;
  const p = runLayout(planOut, run);
  const result = JSON.parse(await Deno.readTextFile(`${p.search}/result.json`)) as Omit<
    SearchResult,
    "network"
  >;
  const deciding = result.layers.filter((l) => l.decision && l.candidates > 1);
  return {
    id: run.id,
    arm: run.arm,
    algo: run.algo,
    seed: run.seed,
    randomLabels: result.randomLabels ?? false,
    path: result.layers.map((l) => l.candidate),
    argmaxPath: result.layers.every((l) => l.decision)
      ? result.layers.map((l) => l.decision!.argmax)
      : null,
    choices: result.layers.map((l) => l.candidates),
    decidedShare: result.decidedShare ?? null,
    decidedLayers: result.layers.every((l) => l.decision)
      ? result.layers.filter((l) => l.candidates > 1).map((l) => l.decision!.decided)
      : null,
    informedLayers: informedLayers(result),
    informedShare: informedShare(result),
    windowNeeded: result.pairedEvidence ? medianWindowNeeded(result.pairedEvidence.layers) : null,
    relativeEntropy: deciding.length
      ? deciding.reduce((s, l) => s + l.decision!.relativeEntropy, 0) / deciding.length
      : null,
    archSteps: deciding[0]?.decision?.archSteps ?? null,
    madds: result.madds,
    expectedMAdds: result.expectedMAdds ?? null,
    maddsMax: result.maddsMax,
    heldOutTop1: result.heldOut.top1,
    seconds: result.seconds,
    commands: runCommands(planOut, run),
  };
}

function informedLayers(result: Pick<SearchResult, "pairedEvidence" | "layers">): boolean[] | null {
  const evidence = result.pairedEvidence?.layers.filter((_, l) => result.layers[l].candidates > 1);
  return evidence?.length ? evidence.map((e) => e.informed) : null;
}

function informedShare(result: Pick<SearchResult, "pairedEvidence" | "layers">): number | null {
  const layers = informedLayers(result);
  return layers ? layers.filter(Boolean).length / layers.length : null;
}

/** Which network of a search the agreement is read on. */
export type AgreedChoice = "found" | "argmax";

/** The seed agreement of one algorithm in one arm, and against its null arm. */
export interface AgreementRow {
  /** The found networks, or α's argmax (`SearchRow.argmaxPath`). */
  readonly choice: AgreedChoice;
  readonly algo: string;
  readonly arm: string;
  readonly seeds: number[];
  readonly agreement: SeedAgreement;
  /** The same searches on random labels, where the plan has them and ≥ 2 finished. */
  readonly null: {
    readonly arm: string;
    readonly seeds: number[];
    readonly agreement: SeedAgreement;
    /** Per layer real − null agreement: the sign-flip test over layers. */
    readonly difference: PairedStatistics;
  } | null;
}

/** Agreement rows for every algorithm × real arm with ≥ 2 finished searches. */
export function agreementRows(
  rows: readonly SearchRow[],
  nullArms: Readonly<Record<string, string>>,
): AgreementRow[] {
  // α's argmax of the runs that learn α (G and RL), after the found networks' rows.
  const withArgmax = rows.filter((r) => r.argmaxPath !== null)
    .map((r) => ({ ...r, path: r.argmaxPath! }));
  return [
    ...agreementRowsOf(rows, nullArms, "found"),
    ...agreementRowsOf(withArgmax, nullArms, "argmax"),
  ];
}

function agreementRowsOf(
  rows: readonly SearchRow[],
  nullArms: Readonly<Record<string, string>>,
  choice: AgreedChoice,
): AgreementRow[] {
  const nullArmSet = new Set(Object.values(nullArms));
  const groups = new Map<string, SearchRow[]>();
  for (const row of rows) {
    const key = `${row.algo}\u0000${row.arm}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  const of = (algo: string, arm: string) => groups.get(`${algo}\u0000${arm}`) ?? [];
  const out: AgreementRow[] = [];
  for (const [key, group] of groups) {
    const [algo, arm] = key.split("\u0000");
    if (nullArmSet.has(arm) || group.length < 2) continue;
    const agreement = seedAgreement(group.map((r) => r.path), group[0].choices);
    const nullArm = nullArms[arm];
    const nullGroup = nullArm ? of(algo, nullArm) : [];
    let nullPart: AgreementRow["null"] = null;
    if (nullGroup.length >= 2) {
      const nullAgreement = seedAgreement(nullGroup.map((r) => r.path), nullGroup[0].choices);
      nullPart = {
        arm: nullArm,
        seeds: nullGroup.map((r) => r.seed),
        agreement: nullAgreement,
        difference: pairedStatistics(
          agreement.perLayer.map((a, l) => a - nullAgreement.perLayer[l]),
        ),
      };
    }
    out.push({ choice, algo, arm, seeds: group.map((r) => r.seed), agreement, null: nullPart });
  }
  return out;
}

/** Which per-layer verdict a contrast with the null counts. */
export type ContrastFigure = "held" | "informed";

/**
 * One algorithm in one space against its random-label twins, seed by seed: per searchable
 * layer of each seed paired with its twin, 1 where the verdict holds, real − null.
 */
export interface NullContrastRow {
  readonly algo: string;
  readonly arm: string;
  readonly nullArm: string;
  readonly figure: ContrastFigure;
  /** Seeds with both runs finished (and the figure recorded in both). */
  readonly seeds: number[];
  /** Layers where the verdict holds, summed over those seeds: real, and null. */
  readonly real: number;
  readonly null: number;
  /** (seed, layer) units. */
  readonly units: number;
  /** Of the per-unit differences (each −1, 0 or 1); null with fewer than 2 units. */
  readonly difference: PairedStatistics | null;
}

/**
 * Held and informed layers of every algorithm × real arm against its twins on random
 * labels (the plan's `nullArms`), paired by seed and layer. A layer of one search and
 * that layer of its twin form a unit; the sign-flip test over the units treats layers as
 * separate decisions, as the agreement table does.
 */
export function nullContrastRows(
  rows: readonly SearchRow[],
  nullArms: Readonly<Record<string, string>>,
): NullContrastRow[] {
  const out: NullContrastRow[] = [];
  const keys = [...new Set(rows.map((r) => `${r.algo}\u0000${r.arm}`))];
  for (const key of keys) {
    const [algo, arm] = key.split("\u0000");
    const nullArm = nullArms[arm];
    if (!nullArm) continue;
    for (const figure of ["held", "informed"] as const) {
      const layersOf = (r: SearchRow) => figure === "held" ? r.decidedLayers : r.informedLayers;
      const twinOf = (r: SearchRow) =>
        rows.find((n) => n.algo === algo && n.arm === nullArm && n.seed === r.seed && layersOf(n));
      const pairs = rows
        .filter((r) => r.algo === algo && r.arm === arm && layersOf(r) && twinOf(r))
        .map((r) => ({ seed: r.seed, real: layersOf(r)!, null: layersOf(twinOf(r)!)! }))
        .filter((p) => p.real.length === p.null.length);
      if (pairs.length === 0) continue;
      const deltas = pairs.flatMap((p) => p.real.map((v, l) => Number(v) - Number(p.null[l])));
      const count = (side: "real" | "null") =>
        pairs.reduce((n, p) => n + p[side].filter(Boolean).length, 0);
      out.push({
        algo,
        arm,
        nullArm,
        figure,
        seeds: pairs.map((p) => p.seed),
        real: count("real"),
        null: count("null"),
        units: deltas.length,
        difference: deltas.length >= 2 ? pairedStatistics(deltas) : null,
      });
    }
  }
  return out;
}

const pct = (v: number | null, digits = 1) => v === null ? "–" : `${(100 * v).toFixed(digits)}%`;
const millions = (v: number | null) => v === null ? "–" : `${(v / 1e6).toFixed(2)}M`;

/** The decision and agreement tables in Markdown. */
export function decisionMarkdown(
  rows: readonly SearchRow[],
  agreements: readonly AgreementRow[],
  contrasts: readonly NullContrastRow[] = [],
): string[] {
  const lines = [
    "## Does each search decide?",
    "",
    "Decided: the share of searchable layers whose argmax held over the last 25% of the " +
    "architecture steps. Informed: the share whose leader over that quarter beat every " +
    "rival, one-sided 5% each, on held-out loss in the paired RL search's comparisons, or on " +
    "G's gate-gradient differences (their first-order estimate; G runs from before these " +
    "were kept show –); " +
    "window needed: the median over layers of the last-quarter window at which the weakest " +
    "of those tests would pass at its measured effect (a search of four times that). " +
    "Entropy: H(p) / log K at the end, mean over layers (1 = uniform). " +
    "Found and E_p: the derived network's MAdds and the expected MAdds under p.",
    "",
    "| run | algorithm | arm | seed | labels | arch steps | decided | informed | window needed | entropy | found | E_p | cap | held-out top-1 | path | seconds |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...rows.map((r) =>
      `| ${r.id} | ${r.algo} | ${r.arm} | ${r.seed} | ${r.randomLabels ? "random" : "true"} | ` +
      `${r.archSteps ?? "–"} | ${pct(r.decidedShare, 0)} | ${pct(r.informedShare, 0)} | ` +
      `${r.windowNeeded ?? "–"} | ` +
      `${pct(r.relativeEntropy)} | ` +
      `${millions(r.madds)} | ${millions(r.expectedMAdds)} | ${millions(r.maddsMax)} | ` +
      `${pct(r.heldOutTop1, 2)} | ${r.path.join(" ")} | ${Math.round(r.seconds)} |`
    ),
    "",
  ];
  if (contrasts.length > 0) lines.push(...contrastMarkdown(contrasts));
  if (agreements.length === 0) return lines;
  lines.push(
    "## Do seeds agree?",
    "",
    "Per layer, the share of seed pairs that chose the same candidate, mean over layers, in " +
      "the found networks and in α's argmax at the end (before the derivation's cap and " +
      "scoring); " +
      "chance = 1/K for independent uniform draws. Against the same searches on random labels " +
      "(what the cost term and the cells' speed of learning alone make seeds agree on): real − " +
      "null per layer, mean, t 95% interval over layers and the exact sign-flip p over layers.",
    "",
    "| choice | algorithm | arm | seeds | agreement | per layer | chance | null: seeds | null agreement | real − null | t 95% interval | p | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...agreements.map((a) => {
      const chance = a.agreement.uniformChance.reduce((s, v) => s + v, 0) /
        a.agreement.uniformChance.length;
      const perLayer = a.agreement.perLayer.map((v) => v.toFixed(2)).join(" ");
      const d = a.null?.difference;
      return `| ${a.choice} | ${a.algo} | ${a.arm} | ${a.seeds.join(", ")} | ` +
        `${pct(a.agreement.mean)} | ` +
        `${perLayer} | ${pct(chance)} | ${a.null ? a.null.seeds.join(", ") : "–"} | ` +
        `${a.null ? pct(a.null.agreement.mean) : "–"} | ${d ? signed(d.mean) : "–"} | ` +
        `${d ? `[${signed(d.tInterval.low)}, ${signed(d.tInterval.high)}]` : "–"} | ` +
        `${d ? Number(d.p.toPrecision(3)) : "–"} | ${d ? verdict(d) : "–"} |`;
    }),
    "",
  );
  return lines;
}

/** The held and informed layers against the random-label twins, as a Markdown section. */
function contrastMarkdown(contrasts: readonly NullContrastRow[]): string[] {
  return [
    "## Does it decide more than its null?",
    "",
    "Each search against its twin on random labels (the same seed, space and settings), " +
    "layer by layer: held = the argmax held over the last quarter, informed = the " +
    "last-quarter comparisons backed the leader. Per (seed, layer) unit 1 where the verdict " +
    "holds; real − null per unit, its mean in percentage points of the layers, the t 95% " +
    "interval and the " +
    "two-sided sign-flip p over the units (exact up to 20 units, else 20,000 random sign " +
    "patterns). Layers of one search share its supernet; the test counts them as separate " +
    "decisions, as the agreement table does.",
    "",
    "| algorithm | arm | figure | seeds | units | real | null | real − null | t 95% interval | p | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |",
    ...contrasts.map((c) => {
      const d = c.difference;
      const p = d
        ? `${Number(d.p.toPrecision(3))}${d.pMethod === "exact" ? "" : " (Monte Carlo)"}`
        : "–";
      return `| ${c.algo} | ${c.arm} | ${c.figure} | ${c.seeds.join(", ")} | ${c.units} | ` +
        `${c.real} | ${c.null} | ${d ? signed(d.mean) : "–"} | ` +
        `${d ? `[${signed(d.tInterval.low)}, ${signed(d.tInterval.high)}]` : "–"} | ${p} | ` +
        `${d ? verdict(d) : "–"} |`;
    }),
    "",
  ];
}

function signed(v: number): string {
  return `${v >= 0 ? "+" : "−"}${Math.abs(100 * v).toFixed(1)}`;
}
