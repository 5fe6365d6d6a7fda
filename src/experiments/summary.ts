/**
 * The results of an experiment plan, read from its runs' files: one row per finished
 * search-train run (found network, search and training cost, test accuracy), one group
 * per search algorithm × space with the mean and every value, the learned − manual
 * difference next to the seed-to-seed spread and, paired by seed, its t-interval, exact
 * sign-flip p-value and Holm-adjusted p (src/util/paired_statistics.ts); one row per
 * finished evolution (the
 * supernet's held-out top-1 at its end, the best cell per layer). Written as PLAN.json
 * and PLAN.md, and each finished run's small files (search result, network, report,
 * training metrics, learned space) copied beside them, so the tables can be checked after
 * runs/ is gone. Only files are read, so shards that ran anywhere on a shared filesystem
 * are gathered by one `--summary-only`.
 */
import { mkdir } from "node:fs/promises";
import type { RegenerationRecord } from "../evolve/evolve.ts";
import { relativeEntropy } from "../search/architecture_logits.ts";
import type { EpochRecord as SearchEpochRecord, HistoryRecord } from "../search/history.ts";
import type { DrawRecord } from "../search/draw_command.ts";
import type { SearchResult } from "../search/outputs.ts";
import { countNetwork } from "../space/counting.ts";
import { loadTarget } from "../space/load.ts";
import { readSearchSpaceFile } from "../space/search_space_file.ts";
import type { EpochRecord } from "../train/trainer.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { allPathsExist, pathExists } from "../util/output_folder.ts";
import {
  holm,
  type PairedStatistics,
  pairedStatistics,
  verdict,
} from "../util/paired_statistics.ts";
import type { ArmComparison, EvolveRun, ExperimentPlan, SearchTrainRun } from "./plans.ts";
import { keepRunFiles, runFinished } from "./kept_runs.ts";
import {
  type AgreementRow,
  agreementRows,
  decisionMarkdown,
  type NullContrastRow,
  nullContrastRows,
  readSearchRow,
  type SearchRow,
} from "./decision_summary.ts";
import { drawsFirst, evolveDone, isTrainFromRun, runCommands, runLayout } from "./run_layout.ts";

/** One finished run. */
export interface RunRow {
  readonly id: string;
  readonly arm: string;
  readonly algo: string;
  readonly seed: number;
  /** The found network's blocks, layer by layer. */
  readonly blocks: string[];
  readonly madds: number;
  /** Conv and linear weights. */
  readonly params: number;
  readonly searchSeconds: number;
  /**
   * Held-out top-1 of the found path with the supernet's weights (the search's own score);
   * null for a random draw (no supernet).
   */
  readonly searchHeldOutTop1: number | null;
  /**
   * ProxylessNAS: p's entropy at the search's end as a fraction of uniform's (mean over
   * layers; near 1, the argmax is close to a draw); null for SPOS and random search.
   */
  readonly searchEntropy: number | null;
  readonly trainEpochs: number;
  readonly trainSeconds: number;
  readonly testTop1: number;
  readonly testTop5: number;
  readonly commands: Readonly<Record<string, string>>;
  /** A random draw's target and how many uniform draws it took (absent for a search). */
  readonly draw?: DrawColumns;
}

/** What a draw run's row adds: the network matched, the window, the draws. */
export interface DrawColumns {
  /** The run whose found network's MAdds were the target; null: a target of its own. */
  readonly matches: string | null;
  readonly targetMAdds: number;
  readonly tolerance: number;
  readonly draws: number;
}

/** One finished evolution. */
export interface EvolveRow {
  readonly id: string;
  readonly arm: string;
  readonly seed: number;
  readonly steps: number;
  readonly regenerations: number;
  /** The supernet's held-out top-1 at the last regeneration that measured it (null: none). */
  readonly valTop1: number | null;
  readonly trainTop1: number | null;
  /** Wall time up to the last regeneration (the sum of its intervals). */
  readonly seconds: number;
  /** The fittest cell of each learned layer (compact form). */
  readonly bestCells: string[];
  readonly commands: Readonly<Record<string, string>>;
}

/** The runs of one algorithm on one space. */
export interface GroupRow {
  readonly algo: string;
  readonly arm: string;
  readonly seeds: number[];
  readonly testTop1: number[];
  readonly meanTestTop1: number;
  readonly meanMAdds: number;
  readonly meanParams: number;
  readonly meanSearchSeconds: number;
  readonly meanTrainSeconds: number;
}

/** One arm against another (the manual space unless the plan says) under one algorithm, paired by seed. */
export interface PairedDifference {
  readonly algo: string;
  readonly arm: string;
  readonly baseline: string;
  /** The seeds both arms finished. */
  readonly seeds: number[];
  /** arm − baseline test top-1, seed by seed. */
  readonly deltas: number[];
  /**
   * n, mean, sd, the Student-t 95% interval, the exact sign-flip p-value and whether the
   * interval excludes 0, over the seed pairs; null with one pair (no spread to judge by).
   */
  readonly statistics: PairedStatistics | null;
  /**
   * The sign-flip p adjusted by Holm's step-down over every comparison of the plan that has
   * statistics (`holmFamily` of them); null with one pair.
   */
  readonly holmP: number | null;
  readonly holmFamily: number;
  /** The Holm family (the plan's comparison's `family`; every arm − manual is primary). */
  readonly family?: "primary" | "secondary";
}

export interface PlanResults {
  readonly plan: string;
  readonly question: string;
  readonly spaces: Readonly<Record<string, string>>;
  readonly finished: number;
  readonly planned: number;
  readonly runs: RunRow[];
  readonly groups: GroupRow[];
  /** The plan's comparisons beyond every arm against the manual space. */
  readonly comparisons?: readonly ArmComparison[];
  /** Every compared pair, per algorithm, where both arms have a seed in common. */
  readonly paired?: PairedDifference[];
  /** Finished evolutions (present when the plan has evolve runs). */
  readonly evolutions?: EvolveRow[];
  /** What the tables' first column calls an arm (absent: "space"). */
  readonly armTitle?: string;
  /** Finished search-only runs (present when the plan has them). */
  readonly searches?: SearchRow[];
  /** Their seed agreement per algorithm and arm, against the null arms. */
  readonly agreements?: AgreementRow[];
  /** Their held and informed layers against the null arms' twins, seed by seed. */
  readonly contrasts?: NullContrastRow[];
}

/**
 * Reads one run's row; null while either stage is unfinished. A draw run (its first stage
 * a draw, not a search) has no held-out accuracy and no p (null), and the draw's columns.
 */
export async function readRunRow(planOut: string, run: SearchTrainRun): Promise<RunRow | null> {
  if (!(await runFinished(planOut, run))) return null;
  const p = runLayout(planOut, run);
  const drawn = drawsFirst(run);
  const borrowed = isTrainFromRun(run); // another run's search wrote the network
  const firstStage = drawn
    ? p.draw
    : borrowed
    ? runLayout(planOut, { ...run, id: run.trainFrom.run }).search
    : p.search;
  const result = JSON.parse(await Deno.readTextFile(`${firstStage}/result.json`)) as
    & Omit<SearchResult, "network" | "heldOut" | "argmax">
    & { heldOut: SearchResult["heldOut"] | null };
  const layers = borrowed
    ? JSON.parse(
      await Deno.readTextFile(`${p.network.slice(0, p.network.lastIndexOf("/"))}/choices.json`),
    ) as SearchResult["layers"]
    : result.layers;
  const loaded = await loadTarget(p.network);
  if (loaded.kind !== "network") throw new Error(`${p.network}: not a network spec`);
  const { total } = countNetwork(loaded.spec);
  const epochs = (await Deno.readTextFile(`${p.train}/metrics.jsonl`)).trim().split("\n")
    .map((line) => JSON.parse(line) as EpochRecord);
  const last = epochs.at(-1)!;
  const record = drawn
    ? JSON.parse(await Deno.readTextFile(`${p.draw}/draw.json`)) as DrawRecord
    : null;
  return {
    id: run.id,
    arm: run.arm,
    algo: run.algo,
    seed: run.seed,
    blocks: layers.map((l) => l.block),
    madds: total.madds,
    params: total.weights,
    searchSeconds: result.seconds,
    searchHeldOutTop1: borrowed ? null : result.heldOut?.top1 ?? null,
    searchEntropy: drawn ? null : await searchEntropyOf(firstStage, result),
    trainEpochs: last.epoch,
    trainSeconds: epochs.reduce((s, e) => s + e.epochSeconds, 0),
    testTop1: last.test.top1,
    testTop5: last.test.top5,
    commands: runCommands(planOut, run),
    ...(record
      ? {
        draw: {
          matches: run.drawMatching ?? null,
          targetMAdds: record.target,
          tolerance: record.tolerance,
          draws: record.draws,
        },
      }
      : {}),
  };
}

/** p's relative entropy at the last supernet epoch of a search that derives from p. */
async function searchEntropyOf(
  searchDir: string,
  result: Pick<SearchResult, "layers">,
): Promise<number | null> {
  // SPOS and random search have no p to derive from (their layers' p is null).
  if (result.layers.some((l) => l.probability === null)) return null;
  const historyPath = `${searchDir}/history.jsonl`;
  if (!(await pathExists(historyPath))) return null;
  const last = (await Deno.readTextFile(historyPath)).trim().split("\n").filter(Boolean)
    .map((line) => JSON.parse(line) as HistoryRecord)
    .findLast((r): r is SearchEpochRecord => r.phase === "supernet");
  return last ? relativeEntropy(last.probabilities) : null;
}

/** Reads one evolution's row; null while it is unfinished. */
export async function readEvolveRow(planOut: string, run: EvolveRun): Promise<EvolveRow | null> {
  if (!(await allPathsExist(evolveDone(planOut, run)))) return null;
  const dir = runLayout(planOut, run).evolve;
  const spacePath = `${dir}/search_space.json`;
  const space = readSearchSpaceFile(await Deno.readTextFile(spacePath), spacePath);
  // One history line a regeneration; a run too short to regenerate has none.
  const historyPath = `${dir}/history.jsonl`;
  const history = (await pathExists(historyPath))
    ? (await Deno.readTextFile(historyPath)).trim().split("\n").filter(Boolean)
      .map((line) => JSON.parse(line) as RegenerationRecord)
    : [];
  const lastOf = (key: "valTop1" | "trainTop1") =>
    history.findLast((r) => typeof r[key] === "number")?.[key] ?? null;
  return {
    id: run.id,
    arm: run.arm,
    seed: run.seed,
    steps: Number(space.meta?.steps ?? history.at(-1)?.step ?? 0),
    regenerations: Number(space.meta?.regenerations ?? history.at(-1)?.regeneration ?? 0),
    valTop1: lastOf("valTop1"),
    trainTop1: lastOf("trainTop1"),
    seconds: history.reduce((s, r) => s + r.seconds, 0),
    bestCells: space.layers.map((l) => l.cells[0]?.id ?? "-"),
    commands: runCommands(planOut, run),
  };
}

const mean = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

/** Groups rows by algorithm and space, in the order they first appear. */
export function groupRows(rows: readonly RunRow[]): GroupRow[] {
  const keys = [...new Set(rows.map((r) => `${r.algo}\u0000${r.arm}`))];
  return keys.map((key) => {
    const [algo, arm] = key.split("\u0000");
    const members = rows.filter((r) => r.algo === algo && r.arm === arm);
    return {
      algo,
      arm,
      seeds: members.map((r) => r.seed),
      testTop1: members.map((r) => r.testTop1),
      meanTestTop1: mean(members.map((r) => r.testTop1)),
      meanMAdds: mean(members.map((r) => r.madds)),
      meanParams: mean(members.map((r) => r.params)),
      meanSearchSeconds: mean(members.map((r) => r.searchSeconds)),
      meanTrainSeconds: mean(members.map((r) => r.trainSeconds)),
    };
  });
}

/** The arm every other arm is compared with. */
const BASELINE_ARM = "manual";

/**
 * `arm` − `baseline` test top-1 paired by seed (the same seed drives both searches and
 * trainings), with the t-interval and sign-flip p of the mean delta from two pairs on; null
 * without a common seed. Not a bootstrap: over 3 pairs it has 10 distinct resamples and its
 * 95% bounds are the smallest and largest delta. Holm's adjustment needs the plan's other
 * comparisons: `pairedDifferences` fills it in (alone, a comparison is its own family).
 */
export function pairedDifference(arm: GroupRow, baseline: GroupRow): PairedDifference | null {
  const seeds = arm.seeds.filter((s) => baseline.seeds.includes(s));
  if (seeds.length === 0) return null;
  const top1 = (g: GroupRow, seed: number) => g.testTop1[g.seeds.indexOf(seed)];
  const deltas = seeds.map((s) => top1(arm, s) - top1(baseline, s));
  const statistics = deltas.length >= 2 ? pairedStatistics(deltas) : null;
  return {
    algo: arm.algo,
    arm: arm.arm,
    baseline: baseline.arm,
    seeds,
    deltas,
    statistics,
    holmP: statistics?.p ?? null,
    holmFamily: statistics ? 1 : 0,
  };
}

/**
 * The groups each table compares, per algorithm: every arm against the manual arm, then
 * the plan's own comparisons where both arms have runs.
 */
export function comparedGroups(
  groups: readonly GroupRow[],
  comparisons: readonly ArmComparison[] = [],
): [arm: GroupRow, baseline: GroupRow][] {
  const out: [GroupRow, GroupRow][] = [];
  for (const algo of [...new Set(groups.map((g) => g.algo))]) {
    const ofAlgo = groups.filter((g) => g.algo === algo);
    const find = (arm: string) => ofAlgo.find((g) => g.arm === arm);
    const manual = find(BASELINE_ARM);
    if (manual) { for (const g of ofAlgo) if (g !== manual) out.push([g, manual]); }
    for (const c of comparisons) {
      const [arm, baseline] = [find(c.arm), find(c.baseline)];
      if (arm && baseline) out.push([arm, baseline]);
    }
  }
  return out;
}

/**
 * Every compared pair with a seed in common, paired by seed; the p-values of those with two
 * pairs or more adjusted together by Holm (the family is the plan's whole table: every
 * algorithm, every arm − manual and the plan's own comparisons).
 */
export function pairedDifferences(
  groups: readonly GroupRow[],
  comparisons: readonly ArmComparison[] = [],
): PairedDifference[] {
  const familyOf = (d: PairedDifference) =>
    comparisons.find((c) => c.arm === d.arm && c.baseline === d.baseline)?.family ?? "primary";
  const all = comparedGroups(groups, comparisons)
    .map(([arm, baseline]) => pairedDifference(arm, baseline))
    .filter((d): d is PairedDifference => d !== null)
    .map((d) => ({ ...d, family: familyOf(d) }));
  const adjustedP = new Map<PairedDifference, { p: number; size: number }>();
  for (const family of ["primary", "secondary"] as const) {
    const tested = all.filter((d) => d.statistics !== null && d.family === family);
    holm(tested.map((d) => d.statistics!.p)).forEach((p, i) =>
      adjustedP.set(tested[i], { p, size: tested.length })
    );
  }
  return all.map((d) => {
    const adjusted = adjustedP.get(d);
    return adjusted ? { ...d, holmP: adjusted.p, holmFamily: adjusted.size } : d;
  });
}

/** Reads every finished run of `plan` in `planOut`. */
export async function collectResults(plan: ExperimentPlan, planOut: string): Promise<PlanResults> {
  const runs: RunRow[] = [];
  const evolutions: EvolveRow[] = [];
  const searches: SearchRow[] = [];
  for (const run of plan.runs) {
    if (run.kind === "evolve") {
      const row = await readEvolveRow(planOut, run);
      if (row) evolutions.push(row);
    } else if (run.searchOnly) {
      const row = await readSearchRow(planOut, run);
      if (row) searches.push(row);
    } else {
      const row = await readRunRow(planOut, run);
      if (row) runs.push(row);
    }
  }
  const hasEvolutions = plan.runs.some((r) => r.kind === "evolve");
  const hasSearches = plan.runs.some((r) => r.kind === "search-train" && r.searchOnly);
  const groups = groupRows(runs);
  return {
    plan: plan.name,
    question: plan.question,
    spaces: plan.spaces,
    finished: runs.length + evolutions.length + searches.length,
    planned: plan.runs.length,
    runs,
    groups,
    ...(plan.comparisons ? { comparisons: plan.comparisons } : {}),
    paired: pairedDifferences(groups, plan.comparisons),
    ...(hasEvolutions ? { evolutions } : {}),
    ...(plan.armTitle ? { armTitle: plan.armTitle } : {}),
    ...(hasSearches
      ? {
        searches,
        agreements: agreementRows(searches, plan.nullArms ?? {}),
        contrasts: nullContrastRows(searches, plan.nullArms ?? {}),
      }
      : {}),
  };
}

const pct = (v: number, digits = 2) => `${(100 * v).toFixed(digits)}%`;
const millions = (v: number) => `${(v / 1e6).toFixed(2)}M`;
const seconds = (v: number) => `${Math.round(v)} s`;

/**
 * The plan's tables in Markdown: per algorithm, one row per space (mean top-1 and each
 * seed's value), then each compared pair (every arm − manual, then the plan's own) with the
 * larger of the two arms' seed spreads and, for the pairs with two common seeds or more, a
 * table of the paired differences: n, each seed, mean, sd, t-interval, sign-flip p, Holm p
 * and the verdict ("not resolved" where the t-interval spans 0, "not resolved by p" where it
 * does not but the Holm-adjusted p is not below 0.05).
 */
export function resultsMarkdown(results: PlanResults): string {
  const paired = pairedDifferences(results.groups, results.comparisons);
  const lines = [
    `# Experiment \`${results.plan}\``,
    "",
    results.question,
    "",
    `Finished runs: ${results.finished} of ${results.planned}. ` +
    (Object.keys(results.spaces).length > 0
      ? "Spaces: " +
        Object.entries(results.spaces).map(([arm, space]) => `${arm} = \`${space}\``).join(
          ", ",
        ) + ". "
      : "") +
    "Produced by `deno task experiment " + results.plan + " --resume`; every run's " +
    "commands are in the JSON beside this file.",
    "",
  ];
  if (results.evolutions) lines.push(...evolutionTable(results.evolutions));
  if (results.searches) {
    lines.push(
      ...decisionMarkdown(results.searches, results.agreements ?? [], results.contrasts ?? []),
    );
  }
  for (const algo of [...new Set(results.groups.map((g) => g.algo))]) {
    const groups = results.groups.filter((g) => g.algo === algo);
    lines.push(
      `## ${algo}`,
      "",
      `| ${results.armTitle ?? "space"} | seeds | test top-1 (mean) | each seed | MAdds | ` +
        "params | search | training |",
      "| --- | --- | --- | --- | --- | --- | --- | --- |",
    );
    for (const g of groups) {
      lines.push(
        `| ${g.arm} | ${g.seeds.join(", ")} | ${pct(g.meanTestTop1)} | ` +
          `${g.testTop1.map((v) => pct(v)).join(", ")} | ${millions(g.meanMAdds)} | ` +
          `${(g.meanParams / 1e3).toFixed(1)}K | ${seconds(g.meanSearchSeconds)} | ` +
          `${seconds(g.meanTrainSeconds)} |`,
      );
    }
    const tested: PairedDifference[] = [];
    for (const [other, base] of comparedGroups(groups, results.comparisons)) {
      const spread = Math.max(...[other, base].map((g) => spreadOf(g.testTop1)));
      lines.push(
        "",
        `${other.arm} − ${base.arm}: ` +
          `${signedPoints(other.meanTestTop1 - base.meanTestTop1)} top-1` +
          (spread > 0
            ? `; the largest seed-to-seed spread within one space is ${
              (100 * spread).toFixed(2)
            } points.`
            : " (one seed per space: no spread to compare with)."),
      );
      const d = paired.find((p) =>
        p.algo === algo && p.arm === other.arm && p.baseline === base.arm
      );
      if (d?.statistics) tested.push(d);
    }
    lines.push("");
    if (tested.length > 0) lines.push(...pairedTable(tested));
  }
  if (results.runs.length === 0 && (results.evolutions || results.searches)) {
    return lines.join("\n") + "\n";
  }
  lines.push(...drawTable(results.runs));
  lines.push(
    "## Runs",
    "",
    "| run | found network (blocks per layer) | MAdds | search held-out top-1 | p's entropy (of uniform) | test top-1 | test top-5 |",
    "| --- | --- | --- | --- | --- | --- | --- |",
  );
  for (const r of results.runs) {
    lines.push(
      `| ${r.id} | ${r.blocks.map((b) => `\`${b}\``).join("<br>")} | ${millions(r.madds)} | ` +
        `${r.searchHeldOutTop1 === null ? "–" : pct(r.searchHeldOutTop1, 1)} | ` +
        `${r.searchEntropy === null ? "–" : pct(r.searchEntropy, 1)} | ` +
        `${pct(r.testTop1)} | ${pct(r.testTop5)} |`,
    );
  }
  return lines.join("\n") + "\n";
}

const orDash = (v: number | null) => v === null ? "–" : pct(v);

/** The evolutions' table: one row per run, the supernet's last held-out top-1 first. */
function evolutionTable(rows: readonly EvolveRow[]): string[] {
  const lines = [
    "## Evolutions",
    "",
    "| run | setting | seed | supernet held-out top-1 | train top-1 | steps | regenerations | " +
    "time | best cell per layer |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.id} | ${r.arm} | ${r.seed} | ${orDash(r.valTop1)} | ${orDash(r.trainTop1)} | ` +
        `${r.steps} | ${r.regenerations} | ${seconds(r.seconds)} | ` +
        `${r.bestCells.map((c) => `\`${c}\``).join("<br>")} |`,
    );
  }
  lines.push("");
  return lines;
}

/** "+0.25" or "−0.98": a difference in points, signed, without the unit. */
const signed = (delta: number) => signedPoints(delta).replace(" points", "");

/** A p-value to three significant digits: 0.25, 0.0625, 0.00781. */
const pValue = (p: number) => String(Number(p.toPrecision(3)));

/** The paired differences of one algorithm's table (pairs with statistics only). */
function pairedTable(tested: readonly PairedDifference[]): string[] {
  const family = tested[0].holmFamily;
  const families = new Set(tested.map((d) => d.family ?? "primary"));
  const over = families.size > 1 || families.has("secondary")
    ? "within its family (the plan's primary or secondary comparisons, declared before " +
      "its first run; the family's size in brackets)"
    : `over the plan's ${family} paired comparison${family === 1 ? "" : "s"}`;
  const lines = [
    "Paired by seed (arm − baseline test top-1 in points, one difference per seed): " +
    "t 95% interval = mean ± t(0.975, n − 1) · sd / √n; p = two-sided sign-flip permutation " +
    "test of the mean (exact over all 2^n sign patterns: with n pairs no p falls below 2/2^n, " +
    `0.25 for 3 pairs, 0.0625 for 5); Holm p = p adjusted ${over}; ` +
    "not resolved where the t-interval spans 0, not resolved by p where it does not but the " +
    "Holm p is 0.05 or more.",
    "",
    "| difference | pairs | each seed | mean | sd | t 95% interval | p | Holm p | verdict |",
    "| --- | --- | --- | --- | --- | --- | --- | --- | --- |",
  ];
  for (const d of tested) {
    const s = d.statistics!;
    const each = d.seeds.map((seed, i) => `${seed}: ${signed(d.deltas[i])}`).join(", ");
    const exact = s.pMethod === "exact" ? "" : ` (Monte Carlo, ${s.patterns} patterns)`;
    const interval = `[${signed(s.tInterval.low)}, ${signed(s.tInterval.high)}]`;
    const family = d.family === "secondary" ? ` (secondary, ${d.holmFamily})` : "";
    lines.push(
      `| ${d.arm} − ${d.baseline} | ${s.n} | ${each} | ${signed(s.mean)} | ` +
        `${(100 * s.sd).toFixed(2)} | ${interval} | ${pValue(s.p)}${exact} | ` +
        `${pValue(d.holmP!)}${family} | ${verdict(s, d.holmP!)} |`,
    );
  }
  lines.push("");
  return lines;
}

/** The random draws' table: what each matched, and how many uniform draws it took. */
function drawTable(rows: readonly RunRow[]): string[] {
  const draws = rows.filter((r) => r.draw !== undefined);
  if (draws.length === 0) return [];
  return [
    "## Random draws",
    "",
    "Each a uniform draw of its space among the networks within the tolerance of the target " +
    "(the matched run's found network's MAdds, or the run's own `--madds`; `deno task draw`); " +
    "no supernet, so no search held-out top-1.",
    "",
    "| run | matches | target MAdds | tolerance | drawn MAdds | draws |",
    "| --- | --- | --- | --- | --- | --- |",
    ...draws.map((r) =>
      `| ${r.id} | ${r.draw!.matches ?? "–"} | ${millions(r.draw!.targetMAdds)} | ` +
      `±${pct(r.draw!.tolerance, 1)} | ${millions(r.madds)} | ${r.draw!.draws} |`
    ),
    "",
  ];
}

function spreadOf(values: readonly number[]): number {
  return values.length < 2 ? 0 : Math.max(...values) - Math.min(...values);
}

function signedPoints(delta: number): string {
  return `${delta >= 0 ? "+" : "−"}${Math.abs(100 * delta).toFixed(2)} points`;
}

/** Writes RESULTS/PLAN.json, RESULTS/PLAN.md and RESULTS/PLAN/RUN/... (finished runs). */
export async function writeResults(
  plan: ExperimentPlan,
  planOut: string,
  resultsDir: string,
): Promise<PlanResults> {
  const results = await collectResults(plan, planOut);
  await mkdir(resultsDir, { recursive: true });
  for (const row of [...results.runs, ...(results.evolutions ?? []), ...(results.searches ?? [])]) {
    const run = plan.runs.find((r) => r.id === row.id)!;
    await keepRunFiles(run, planOut, `${resultsDir}/${plan.name}`);
  }
  await atomicWrite(`${resultsDir}/${plan.name}.json`, JSON.stringify(results, null, 2) + "\n");
  await atomicWrite(`${resultsDir}/${plan.name}.md`, resultsMarkdown(results));
  return results;
}
