/**
 * The results of an experiment plan, read from its runs' files: one row per finished run
 * (found network, search and training cost, test accuracy), one group per search
 * algorithm × space with the mean and every value, and the learned − manual difference
 * next to the seed-to-seed spread. Written as PLAN.json and PLAN.md, and each finished
 * run's small files (search result, network, report, training metrics) copied beside
 * them, so the tables can be checked after runs/ is gone.
 */
import { copyFile, mkdir } from "node:fs/promises";
import type { SearchResult } from "../search/outputs.ts";
import { countNetwork } from "../space/counting.ts";
import { loadTarget } from "../space/load.ts";
import type { EpochRecord } from "../train/trainer.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { allPathsExist } from "../util/output_folder.ts";
import type { ExperimentPlan, ExperimentRun } from "./plans.ts";
import { runCommands, runLayout, stageDone } from "./runner.ts";

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
  /** Held-out top-1 of the found path with the supernet's weights (the search's own score). */
  readonly searchHeldOutTop1: number;
  readonly trainEpochs: number;
  readonly trainSeconds: number;
  readonly testTop1: number;
  readonly testTop5: number;
  readonly commands: { search: string; train: string };
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

export interface PlanResults {
  readonly plan: string;
  readonly question: string;
  readonly spaces: Readonly<Record<string, string>>;
  readonly finished: number;
  readonly planned: number;
  readonly runs: RunRow[];
  readonly groups: GroupRow[];
}

/** Reads one run's row; null while either stage is unfinished. */
export async function readRunRow(planOut: string, run: ExperimentRun): Promise<RunRow | null> {
  const done = stageDone(planOut, run);
  if (!(await allPathsExist([...done.search, ...done.train]))) return null;
  const p = runLayout(planOut, run);
  const result = JSON.parse(await Deno.readTextFile(`${p.search}/result.json`)) as Omit<
    SearchResult,
    "network"
  >;
  const loaded = await loadTarget(p.network);
  if (loaded.kind !== "network") throw new Error(`${p.network}: not a network spec`);
  const { total } = countNetwork(loaded.spec);
  const epochs = (await Deno.readTextFile(`${p.train}/metrics.jsonl`)).trim().split("\n")
    .map((line) => JSON.parse(line) as EpochRecord);
  const last = epochs.at(-1)!;
  return {
    id: run.id,
    arm: run.arm,
    algo: run.algo,
    seed: run.seed,
    blocks: result.layers.map((l) => l.block),
    madds: total.madds,
    params: total.weights,
    searchSeconds: result.seconds,
    searchHeldOutTop1: result.heldOut.top1,
    trainEpochs: last.epoch,
    trainSeconds: epochs.reduce((s, e) => s + e.epochSeconds, 0),
    testTop1: last.test.top1,
    testTop5: last.test.top5,
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

/** Reads every finished run of `plan` in `planOut`. */
export async function collectResults(plan: ExperimentPlan, planOut: string): Promise<PlanResults> {
  const runs: RunRow[] = [];
  for (const run of plan.runs) {
    const row = await readRunRow(planOut, run);
    if (row) runs.push(row);
  }
  return {
    plan: plan.name,
    question: plan.question,
    spaces: plan.spaces,
    finished: runs.length,
    planned: plan.runs.length,
    runs,
    groups: groupRows(runs),
  };
}

const pct = (v: number, digits = 2) => `${(100 * v).toFixed(digits)}%`;
const millions = (v: number) => `${(v / 1e6).toFixed(2)}M`;
const seconds = (v: number) => `${Math.round(v)} s`;

/**
 * The plan's tables in Markdown: per algorithm, one row per space (mean top-1 and each
 * seed's value), then learned − manual with the larger of the two arms' seed spreads.
 */
export function resultsMarkdown(results: PlanResults): string {
  const lines = [
    `# Experiment \`${results.plan}\``,
    "",
    results.question,
    "",
    `Finished runs: ${results.finished} of ${results.planned}. Spaces: ` +
    Object.entries(results.spaces).map(([arm, space]) => `${arm} = \`${space}\``).join(", ") +
    ". Produced by `deno task experiment " + results.plan + " --resume`; every run's two " +
    "commands are in the JSON beside this file.",
    "",
  ];
  for (const algo of [...new Set(results.groups.map((g) => g.algo))]) {
    const groups = results.groups.filter((g) => g.algo === algo);
    lines.push(
      `## ${algo}`,
      "",
      "| space | seeds | test top-1 (mean) | each seed | MAdds | params | search | training |",
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
    const learned = groups.find((g) => g.arm === "learned");
    const manual = groups.find((g) => g.arm === "manual");
    if (learned && manual) {
      const spread = Math.max(...[learned, manual].map((g) => spreadOf(g.testTop1)));
      lines.push(
        "",
        `learned − manual: ${signedPoints(learned.meanTestTop1 - manual.meanTestTop1)} ` +
          `top-1` +
          (spread > 0
            ? `; the largest seed-to-seed spread within one space is ${
              (100 * spread).toFixed(2)
            } points.`
            : " (one seed per space: no spread to compare with)."),
      );
    }
    lines.push("");
  }
  lines.push(
    "## Runs",
    "",
    "| run | found network (blocks per layer) | MAdds | search held-out top-1 | test top-1 | test top-5 |",
    "| --- | --- | --- | --- | --- | --- |",
  );
  for (const r of results.runs) {
    lines.push(
      `| ${r.id} | ${r.blocks.map((b) => `\`${b}\``).join("<br>")} | ${millions(r.madds)} | ` +
        `${pct(r.searchHeldOutTop1, 1)} | ${pct(r.testTop1)} | ${pct(r.testTop5)} |`,
    );
  }
  return lines.join("\n") + "\n";
}

function spreadOf(values: readonly number[]): number {
  return values.length < 2 ? 0 : Math.max(...values) - Math.min(...values);
}

function signedPoints(delta: number): string {
  return `${delta >= 0 ? "+" : "−"}${Math.abs(100 * delta).toFixed(2)} points`;
}

/** The small files of a finished run that the results folder keeps. */
const KEPT_FILES = [
  "search/result.json",
  "search/network.json",
  "search/report.md",
  "search/history.jsonl",
  "train/metrics.jsonl",
];

/** Writes RESULTS/PLAN.json, RESULTS/PLAN.md and RESULTS/PLAN/RUN/... (finished runs). */
export async function writeResults(
  plan: ExperimentPlan,
  planOut: string,
  resultsDir: string,
): Promise<PlanResults> {
  const results = await collectResults(plan, planOut);
  await mkdir(resultsDir, { recursive: true });
  for (const row of results.runs) {
    const run = plan.runs.find((r) => r.id === row.id)!;
    const root = runLayout(planOut, run).root;
    for (const file of KEPT_FILES) {
      const target = `${resultsDir}/${plan.name}/${run.id}/${file}`;
      await mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
      await copyFile(`${root}/${file}`, target);
    }
  }
  await atomicWrite(`${resultsDir}/${plan.name}.json`, JSON.stringify(results, null, 2) + "\n");
  await atomicWrite(`${resultsDir}/${plan.name}.md`, resultsMarkdown(results));
  return results;
}
