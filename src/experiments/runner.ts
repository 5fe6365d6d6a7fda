/**
 * Executes an experiment plan: for each run, its search then the training of the found
 * network, in this process (one GPU device, pipelines compiled once). A stage whose last
 * files exist is skipped; with `resume`, an interrupted stage continues from its own
 * checkpoint. After every finished run the plan's results are rewritten, so a plan cut
 * short still leaves its finished runs tabulated.
 */
import { parseSearchArgs } from "../search/config.ts";
import {
  describeSearch,
  prepareSearch,
  runSearch,
  searchCheckpointPath,
} from "../search/search.ts";
import { initEngine } from "../tensor/init.ts";
import { parseTrainArgs, prepareTraining, runTraining } from "../train/train_command.ts";
import { trainCheckpointPath } from "../train/trainer.ts";
import { allPathsExist, pathExists } from "../util/output_folder.ts";
import type { ExperimentPlan, ExperimentRun } from "./plans.ts";

/** Where a run's two stages write, inside the plan's folder. */
export function runLayout(planOut: string, run: ExperimentRun) {
  const root = `${planOut}/${run.id}`;
  return {
    root,
    search: `${root}/search`,
    network: `${root}/search/network.json`,
    train: `${root}/train`,
  };
}

/** The files each stage writes last: all present means the stage finished. */
export function stageDone(planOut: string, run: ExperimentRun) {
  const p = runLayout(planOut, run);
  return {
    search: [p.network, `${p.search}/result.json`, `${p.search}/report.md`],
    train: [`${p.train}/metrics.jsonl`, `${p.train}/model.onnx`],
  };
}

/** The two commands a run amounts to, as a user would type them. */
export function runCommands(
  planOut: string,
  run: ExperimentRun,
): { search: string; train: string } {
  const p = runLayout(planOut, run);
  return {
    search: ["deno task search", ...run.searchArgs, "--out", p.search].join(" "),
    train: ["deno task train --arch", p.network, ...run.trainArgs, "--out", p.train].join(" "),
  };
}

export interface RunnerOptions {
  /** The plan's folder (its runs go in subfolders named by run id). */
  readonly out: string;
  readonly resume: boolean;
  /** Run ids to execute (empty: all). */
  readonly only: readonly string[];
  /** Called after every finished run (writes the tables). */
  readonly afterRun: () => Promise<void>;
  readonly log: (line: string) => void;
}

/** Checks every run's flags with the stages' own parsers before anything runs. */
export function checkPlanFlags(plan: ExperimentPlan, out: string): void {
  for (const run of plan.runs) {
    const p = runLayout(out, run);
    try {
      parseSearchArgs([...run.searchArgs, "--out", p.search]);
      parseTrainArgs(["--arch", p.network, ...run.trainArgs, "--out", p.train]);
    } catch (err) {
      throw new Error(`plan ${plan.name}, run ${run.id}: ${(err as Error).message}`);
    }
  }
}

/** Runs the plan's selected runs in order; returns how many stages ran. */
export async function runPlan(plan: ExperimentPlan, opts: RunnerOptions): Promise<number> {
  const unknown = opts.only.filter((id) => !plan.runs.some((r) => r.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `--only ${unknown.join(",")}: not a run of ${plan.name} (runs: ` +
        `${plan.runs.map((r) => r.id).join(", ")})`,
    );
  }
  checkPlanFlags(plan, opts.out);
  const selected = plan.runs.filter((r) => opts.only.length === 0 || opts.only.includes(r.id));
  const gpu = await initEngine();
  opts.log(
    `experiment ${plan.name}: ${selected.length} run(s) in ${opts.out} — adapter: ` +
      gpu.info.description,
  );
  let ran = 0;
  for (const [index, run] of selected.entries()) {
    const tag = `[${index + 1}/${selected.length}] ${run.id}`;
    const p = runLayout(opts.out, run);
    const done = stageDone(opts.out, run);
    if (await allPathsExist(done.search)) {
      opts.log(`experiment: ${tag}: search done earlier, skipped`);
    } else {
      const resume = opts.resume && await pathExists(searchCheckpointPath(p.search));
      opts.log(`experiment: ${tag}: search${resume ? " (resuming)" : ""}`);
      const prepared = await prepareSearch(
        parseSearchArgs([...run.searchArgs, "--out", p.search, ...(resume ? ["--resume"] : [])]),
      );
      for (const line of describeSearch(prepared)) opts.log(`search: ${line}`);
      await runSearch(prepared, opts.log);
      ran++;
      await gpu.sync();
      gpu.pool.trim();
    }
    if (await allPathsExist(done.train)) {
      opts.log(`experiment: ${tag}: training done earlier, skipped`);
    } else {
      const resume = opts.resume && await pathExists(trainCheckpointPath(p.train));
      opts.log(`experiment: ${tag}: train${resume ? " (resuming)" : ""}`);
      const prepared = await prepareTraining(
        parseTrainArgs([
          "--arch",
          p.network,
          ...run.trainArgs,
          "--out",
          p.train,
          ...(resume ? ["--resume"] : []),
        ]),
      );
      for (const line of prepared.summary) opts.log(`train: ${line}`);
      await runTraining(prepared);
      ran++;
      await gpu.sync();
      gpu.pool.trim();
    }
    if (!(await allPathsExist([...done.search, ...done.train]))) {
      // A stage stopped early (--stop-after in the plan's flags): continue with --resume.
      opts.log(`experiment: ${tag}: stopped before its end; continue with --resume`);
      return ran;
    }
    await opts.afterRun();
  }
  return ran;
}
