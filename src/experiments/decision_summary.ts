/**
 * The tables of a plan of search-only runs (`searchOnly`): does each search decide (the
 * share of layers whose argmax held over the last quarter of its architecture steps, p's
 * entropy, the found network's MAdds beside E_p[MAdds]), and do seeds agree — per space
 * and algorithm, the share of seed pairs choosing the same candidate per layer, against
 * the same searches on random labels (the plan's `nullArms`), whose agreement is what the
 * biases alone give. Real − null is tested per layer: a two-sided sign-flip test over the
 * layers' differences (paired by layer; with 7 layers no p falls below 2/2^7 ≈ 0.016).
 */
import type { SearchResult } from "../search/outputs.ts";
import { medianWindowNeeded } from "../search/paired_evidence.ts";
import { type SeedAgreement, seedAgreement } from "../search/seed_agreement.ts";
import { allPathsExist } from "../util/output_folder.ts";
import { type PairedStatistics, pairedStatistics, verdict } from "../util/paired_statistics.ts";
import type { SearchTrainRun } from "./plans.ts";
import { runCommands, runLayout, stageDone } from "./runner.ts";

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

function informedShare(result: Pick<SearchResult, "pairedEvidence" | "layers">): number | null {
  const evidence = result.pairedEvidence?.layers.filter((_, l) => result.layers[l].candidates > 1);
  if (!evidence?.length) return null;
  return evidence.filter((e) => e.informed).length / evidence.length;
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

const pct = (v: number | null, digits = 1) => v === null ? "–" : `${(100 * v).toFixed(digits)}%`;
const millions = (v: number | null) => v === null ? "–" : `${(v / 1e6).toFixed(2)}M`;

/** The decision and agreement tables in Markdown. */
export function decisionMarkdown(
  rows: readonly SearchRow[],
  agreements: readonly AgreementRow[],
): string[] {
  const lines = [
    "## Does each search decide?",
    "",
    "Decided: the share of searchable layers whose argmax held over the last 25% of the " +
    "architecture steps. Informed (the paired RL search): the share whose leader over that " +
    "quarter beat every rival on held-out loss in its paired comparisons, one-sided 5% each; " +
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

function signed(v: number): string {
  return `${v >= 0 ? "+" : "−"}${Math.abs(100 * v).toFixed(1)}`;
}
