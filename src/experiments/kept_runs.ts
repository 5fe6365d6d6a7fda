/**
 * The small files the results folder keeps of each finished run (RESULTS/PLAN/RUN/, laid
 * out as the run's own folder), and the way back: a plan resumed where its runs folder is
 * gone (a new machine, another cluster node) takes each run kept there as finished,
 * copying its kept files into the runs folder instead of running it again. Such a run has
 * no model.onnx or checkpoints, so a marker file stands in for them.
 */
import { copyFile, mkdir } from "node:fs/promises";
import { atomicWrite } from "../util/atomic_write.ts";
import { allPathsExist, pathExists } from "../util/output_folder.ts";
import type { ExperimentRun } from "./plans.ts";
import { isTrainFromRun, runDone, runLayout } from "./run_layout.ts";

/** The small files of a finished run that the results folder keeps, by kind of run. */
export const KEPT_FILES = {
  "search-train": [
    "search/result.json",
    "search/network.json",
    "search/report.md",
    "search/history.jsonl",
    "search/choices.json",
    // The argmax derivation's network beside a scored one (absent otherwise).
    "search/argmax/network.json",
    "search/argmax/choices.json",
    // A draw run's first stage (absent files are skipped).
    "draw/result.json",
    "draw/network.json",
    "draw/report.md",
    "draw/draw.json",
    "train/metrics.jsonl",
  ],
  evolve: ["evolve/search_space.json", "evolve/history.jsonl", "evolve/report.md"],
} as const;

/** The kept files of a search (what a `trainFrom` run's network comes with). */
const SEARCH_FILES = KEPT_FILES["search-train"].filter((f) => f.startsWith("search/"));

/** The folder of the run whose search a `trainFrom` run trains, inside `planDir`. */
const sourceRoot = (planDir: string, run: { trainFrom: { run: string } }) =>
  `${planDir}/${run.trainFrom.run}`;

/** Copies those of `files` that exist under `from` to the same paths under `to`. */
async function copyFiles(from: string, to: string, files: readonly string[]): Promise<void> {
  for (const file of files) {
    if (!(await pathExists(`${from}/${file}`))) continue; // history.jsonl of a short run
    const target = `${to}/${file}`;
    await mkdir(target.slice(0, target.lastIndexOf("/")), { recursive: true });
    await copyFile(`${from}/${file}`, target);
  }
}

/**
 * Copies a finished run's kept files from `planOut` into `keptPlanDir` (RESULTS/PLAN); a
 * run that trains another run's network takes that run's search files along, so that it
 * can be restored before the other run has finished.
 */
export async function keepRunFiles(
  run: ExperimentRun,
  planOut: string,
  keptPlanDir: string,
): Promise<void> {
  await copyFiles(
    runLayout(planOut, run).root,
    runLayout(keptPlanDir, run).root,
    KEPT_FILES[run.kind],
  );
  if (isTrainFromRun(run)) {
    await copyFiles(sourceRoot(planOut, run), sourceRoot(keptPlanDir, run), SEARCH_FILES);
  }
}

/** The file in a run's folder that says its files were restored from the results folder. */
export const RESTORED_MARKER = "restored.json";

/**
 * The files that say `run` finished, of those the results folder keeps: its stages' last
 * files less the trained model (the training's metrics are kept; they are only copied
 * there once the run finished).
 */
function keptProof(planDir: string, run: ExperimentRun): string[] {
  return runDone(planDir, run).filter((path) => !path.endsWith("/model.onnx"));
}

/** Whether `run` in `planOut` is a finished run restored from the results folder's kept files. */
export async function restoredRun(planOut: string, run: ExperimentRun): Promise<boolean> {
  const marker = `${runLayout(planOut, run).root}/${RESTORED_MARKER}`;
  return await pathExists(marker) && await allPathsExist(keptProof(planOut, run));
}

/** Whether `run` finished in `planOut`: its stages' last files, or restored from kept files. */
export async function runFinished(planOut: string, run: ExperimentRun): Promise<boolean> {
  return await allPathsExist(runDone(planOut, run)) || await restoredRun(planOut, run);
}

/** The runs of `runs` finished in `keptPlanDir` (RESULTS/PLAN) and not in `planOut`. */
export async function keptOnly(
  runs: readonly ExperimentRun[],
  planOut: string,
  keptPlanDir: string,
): Promise<ExperimentRun[]> {
  const found: ExperimentRun[] = [];
  for (const run of runs) {
    if (await runFinished(planOut, run)) continue;
    if (await allPathsExist(keptProof(keptPlanDir, run))) found.push(run);
  }
  return found;
}

/**
 * Copies the kept files of every run of `runs` that is finished in `keptPlanDir` (the
 * results folder's RESULTS/PLAN) but not in `planOut` into `planOut`, with the marker;
 * returns their ids. Files of an unfinished attempt in `planOut` stay, under the kept ones.
 */
export async function restoreKeptRuns(
  runs: readonly ExperimentRun[],
  planOut: string,
  keptPlanDir: string,
): Promise<string[]> {
  const restored: string[] = [];
  // In plan order: a search is restored before the draw or training that reads its network.
  for (const run of await keptOnly(runs, planOut, keptPlanDir)) {
    const from = runLayout(keptPlanDir, run).root;
    const { root: to, network } = runLayout(planOut, run);
    await copyFiles(from, to, KEPT_FILES[run.kind]);
    if (isTrainFromRun(run) && !(await pathExists(network))) {
      // Its source's search, kept with it, where the source has not finished here.
      await copyFiles(sourceRoot(keptPlanDir, run), sourceRoot(planOut, run), SEARCH_FILES);
    }
    await atomicWrite(
      `${to}/${RESTORED_MARKER}`,
      JSON.stringify({ restoredFrom: from, at: new Date().toISOString() }, null, 2) + "\n",
    );
    restored.push(run.id);
  }
  return restored;
}
