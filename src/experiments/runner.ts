/**
 * Executes an experiment plan, or one shard of it: each run is a list of stages (evolve;
 * or search, then the training of the found network; or a draw at the MAdds of another
 * run's found network, then its training), run in this process (one GPU
 * device, pipelines compiled once). A stage whose last files exist is skipped; with
 * `resume`, an interrupted stage continues from its own checkpoint. After every finished
 * run `afterRun` is called (the command rewrites the plan's tables there), so a plan cut
 * short still leaves its finished runs tabulated.
 */
import { describeEvolveRun, parseEvolveArgs } from "../evolve/config.ts";
import { evolve, evolveCheckpointPath } from "../evolve/evolve.ts";
import { parseSearchArgs } from "../search/config.ts";
import { describeDraw, parseDrawArgs, prepareDraw, runDraw } from "../search/draw_command.ts";
import {
  describeSearch,
  prepareSearch,
  runSearch,
  searchCheckpointPath,
} from "../search/search.ts";
import { initEngine } from "../tensor/init.ts";
import { parseTrainArgs, prepareTraining, runTraining } from "../train/train_command.ts";
import { trainCheckpointPath } from "../train/trainer.ts";
import { checkInterrupt, InterruptedError, watchInterrupts } from "../util/interrupt.ts";
import { allPathsExist, pathExists } from "../util/output_folder.ts";
import type { ExperimentPlan, ExperimentRun } from "./plans.ts";
import {
  drawArgs,
  drawsFirst,
  evolveDone,
  isDrawRun,
  isTrainFromRun,
  matchedNetwork,
  runLayout,
  stageDone,
} from "./run_layout.ts";
import { formatShard, type Shard, shardOf } from "./shard.ts";
import { restoredRun, runFinished } from "./kept_runs.ts";
import { estimateText, StageClock, stageKind } from "./plan_eta.ts";

/** One stage of a run: where it writes, how to tell it finished, and how to run it. */
export interface Stage {
  readonly name: "evolve" | "search" | "draw" | "train";
  readonly done: readonly string[];
  /** What `--resume` continues from (null: the stage redoes itself, in seconds). */
  readonly checkpoint: string | null;
  /** Checks the stage's flags with its own parser (nothing runs). */
  readonly check: () => void;
  readonly run: (resume: boolean, log: (line: string) => void) => Promise<void>;
}

/** The stages of `run`, in order. */
export function stagesOf(planOut: string, run: ExperimentRun): Stage[] {
  const p = runLayout(planOut, run);
  const resumeFlag = (resume: boolean) => resume ? ["--resume"] : [];
  if (run.kind === "evolve") {
    const args = (resume: boolean) => [...run.evolveArgs, "--out", p.evolve, ...resumeFlag(resume)];
    return [{
      name: "evolve",
      done: evolveDone(planOut, run),
      checkpoint: evolveCheckpointPath(p.evolve),
      check: () => void parseEvolveArgs(args(false)),
      run: async (resume, log) => {
        const cfg = parseEvolveArgs(args(resume));
        log(`evolve: ${describeEvolveRun(cfg)}`);
        await evolve(cfg, log);
      },
    }];
  }
  const done = stageDone(planOut, run);
  const searchArgs = (resume: boolean) => [
    ...run.searchArgs,
    "--out",
    p.search,
    ...resumeFlag(resume),
  ];
  const trainArgs = (resume: boolean) => [
    "--arch",
    p.network,
    ...run.trainArgs,
    "--out",
    p.train,
    ...resumeFlag(resume),
  ];
  const first: Stage = drawsFirst(run)
    ? {
      name: "draw",
      done: done.search,
      checkpoint: null,
      check: () => void parseDrawArgs(drawArgs(planOut, run)),
      run: async (_resume, log) => {
        const matched = isDrawRun(run) ? matchedNetwork(planOut, run) : null;
        if (matched !== null && !(await pathExists(matched))) {
          throw new Error(
            `run ${run.id} draws at the MAdds of run ${run.drawMatching}'s found network, ` +
              `but ${matched} is missing: run ${run.drawMatching} first`,
          );
        }
        const prepared = await prepareDraw(parseDrawArgs(drawArgs(planOut, run)));
        log(`draw: ${describeDraw(prepared)}`);
        await runDraw(prepared, log);
      },
    }
    : {
      name: "search",
      done: done.search,
      checkpoint: searchCheckpointPath(p.search),
      check: () => void parseSearchArgs(searchArgs(false)),
      run: async (resume, log) => {
        const prepared = await prepareSearch(parseSearchArgs(searchArgs(resume)));
        for (const line of describeSearch(prepared)) log(`search: ${line}`);
        await runSearch(prepared, log);
      },
    };
  if (run.searchOnly) return [first];
  return [
    ...(isTrainFromRun(run) ? [] : [first]),
    {
      name: "train",
      done: done.train,
      checkpoint: trainCheckpointPath(p.train),
      check: () => void parseTrainArgs(trainArgs(false)),
      run: async (resume, log) => {
        if (isTrainFromRun(run) && !(await pathExists(p.network))) {
          throw new Error(
            `run ${run.id} trains ${p.network}, which run ${run.trainFrom.run}'s search ` +
              `writes: run ${run.trainFrom.run} first`,
          );
        }
        const prepared = await prepareTraining(parseTrainArgs(trainArgs(resume)));
        for (const line of prepared.summary) log(`train: ${line}`);
        await runTraining(prepared);
      },
    },
  ];
}

export interface RunnerOptions {
  /** The plan's folder (its runs go in subfolders named by run id). */
  readonly out: string;
  readonly resume: boolean;
  /** Run ids to execute (empty: all). */
  readonly only: readonly string[];
  /** The share of the plan's runs to execute (absent: all). */
  readonly shard?: Shard;
  /** Called after every finished run (writes the tables). */
  readonly afterRun: () => Promise<void>;
  readonly log: (line: string) => void;
}

/**
 * Checks every run's flags with the stages' own parsers before anything runs, and that
 * each draw run matches a search run earlier in the plan.
 */
export function checkPlanFlags(plan: ExperimentPlan, out: string): void {
  for (const [k, run] of plan.runs.entries()) {
    try {
      if (isDrawRun(run)) {
        const at = plan.runs.findIndex((r) => r.id === run.drawMatching);
        const matched = plan.runs[at];
        if (!matched || matched.kind !== "search-train" || drawsFirst(matched) || at > k) {
          throw new Error(
            `drawMatching ${run.drawMatching}: not a search run before it in the plan`,
          );
        }
      }
      if (isTrainFromRun(run)) {
        const at = plan.runs.findIndex((r) => r.id === run.trainFrom.run);
        const source = plan.runs[at];
        if (
          !source || source.kind !== "search-train" || drawsFirst(source) ||
          isTrainFromRun(source) || at > k
        ) {
          throw new Error(`trainFrom ${run.trainFrom.run}: not a search run before it in the plan`);
        }
      }
      for (const stage of stagesOf(out, run)) stage.check();
    } catch (err) {
      throw new Error(`plan ${plan.name}, run ${run.id}: ${(err as Error).message}`);
    }
  }
}

/**
 * The shard group of a run: a draw run goes with the run it matches, a `trainFrom` run
 * with the run whose network it trains, every other run alone (its own id).
 */
export function shardGroup(run: ExperimentRun): string {
  if (isDrawRun(run)) return run.drawMatching;
  return isTrainFromRun(run) ? run.trainFrom.run : run.id;
}

/** How many shard groups a plan has: the most shards that all have something to do. */
export function shardGroupCount(plan: ExperimentPlan): number {
  return new Set(plan.runs.map(shardGroup)).size;
}

/** The runs that `--only` and `--shard` select, in plan order (one line on a bad id). */
export function selectRuns(
  plan: ExperimentPlan,
  only: readonly string[],
  shard?: Shard,
): ExperimentRun[] {
  const unknown = only.filter((id) => !plan.runs.some((r) => r.id === id));
  if (unknown.length > 0) {
    throw new Error(
      `--only ${unknown.join(",")}: not a run of ${plan.name} (runs: ` +
        `${plan.runs.map((r) => r.id).join(", ")})`,
    );
  }
  const sharded = shard ? shardOf(plan.runs, shard, shardGroup) : plan.runs;
  return sharded.filter((r) => only.length === 0 || only.includes(r.id));
}

/** Runs the plan's selected runs in order; returns how many stages ran. */
export async function runPlan(plan: ExperimentPlan, opts: RunnerOptions): Promise<number> {
  const selected = selectRuns(plan, opts.only, opts.shard);
  checkPlanFlags(plan, opts.out);
  const share = opts.shard ? ` (shard ${formatShard(opts.shard)} of ${plan.runs.length})` : "";
  if (selected.length === 0) {
    opts.log(`experiment ${plan.name}: no runs${share}; nothing to do`);
    return 0;
  }
  const gpu = await initEngine();
  opts.log(
    `experiment ${plan.name}: ${selected.length} run(s)${share} in ${opts.out} — adapter: ` +
      gpu.info.description,
  );
  let ran = 0;
  const clock = new StageClock();
  // A signal inside a stage stops it after its checkpoint (InterruptedError); between
  // stages, before the next one.
  using _watch = watchInterrupts("experiment");
  for (const [index, run] of selected.entries()) {
    const tag = `[${index + 1}/${selected.length}] ${run.id}`;
    if (await restoredRun(opts.out, run)) {
      opts.log(`experiment: ${tag}: finished, restored from the results folder; skipped`);
      continue;
    }
    for (const stage of stagesOf(opts.out, run)) {
      const signal = await checkInterrupt();
      if (signal) {
        throw new InterruptedError(signal, `${signal}: stopped before ${run.id}'s ${stage.name}`);
      }
      if (await allPathsExist(stage.done)) {
        opts.log(`experiment: ${tag}: ${stage.name} done earlier, skipped`);
        continue;
      }
      const resume = opts.resume && stage.checkpoint !== null &&
        await pathExists(stage.checkpoint);
      opts.log(`experiment: ${tag}: ${stage.name}${resume ? " (resuming)" : ""}`);
      const started = performance.now();
      await stage.run(resume, opts.log);
      if (!resume) clock.record(stageKind(run, stage.name), (performance.now() - started) / 1000);
      ran++;
      await gpu.sync();
      gpu.pool.trim();
    }
    if (!(await runFinished(opts.out, run))) {
      // A stage stopped early (--stop-after in the plan's flags): continue with --resume.
      opts.log(`experiment: ${tag}: stopped before its end; continue with --resume`);
      return ran;
    }
    await opts.afterRun();
    const left = await stagesLeft(opts.out, selected.slice(index + 1));
    if (left.length > 0) {
      opts.log(
        `experiment: ${index + 1} of ${selected.length} runs done; ` +
          estimateText(clock.estimate(left)),
      );
    }
  }
  return ran;
}

/** The kinds of the stages `runs` still have to run (finished and restored ones have none). */
async function stagesLeft(planOut: string, runs: readonly ExperimentRun[]): Promise<string[]> {
  const left: string[] = [];
  for (const run of runs) {
    if (await runFinished(planOut, run)) continue;
    for (const stage of stagesOf(planOut, run)) {
      if (!(await allPathsExist(stage.done))) left.push(stageKind(run, stage.name));
    }
  }
  return left;
}
