/**
 * `deno task experiment PLAN` — runs one of the experiment plans (src/experiments/
 * plans.ts): each run a search and the training of the network it found, or an
 * evolution; then the plan's tables in RESULTS/PLAN.{json,md}. `--resume` skips finished
 * stages and continues an interrupted one; `--shard I/N` runs one share of the runs (for
 * job arrays); `--slurm FILE` writes the sbatch scripts of such an array and its summary
 * job; `--list` prints the plans and their runs' commands.
 */
import { resolve } from "node:path";
import { mkdir } from "node:fs/promises";
import {
  EXPERIMENT_USAGE,
  type ExperimentRequest,
  parseExperimentArgs,
} from "../src/experiments/command.ts";
import { EXPERIMENT_PLANS, experimentPlan, type ExperimentRun } from "../src/experiments/plans.ts";
import {
  checkPlanFlags,
  runPlan,
  selectRuns,
  shardGroup,
  shardGroupCount,
} from "../src/experiments/runner.ts";
import { runCommands, runLayout } from "../src/experiments/run_layout.ts";
import { formatShard, parseShard } from "../src/experiments/shard.ts";
import { keptOnly, restoreKeptRuns } from "../src/experiments/kept_runs.ts";
import {
  arrayScript,
  checkSlurmOptions,
  type SlurmJobOptions,
  submitCommands,
  summaryScript,
  summaryScriptPath,
} from "../src/experiments/slurm.ts";
import { writeResults } from "../src/experiments/summary.ts";
import { shutdownEngine } from "../src/tensor/init.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { pathExists } from "../src/util/output_folder.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(EXPERIMENT_USAGE);
  Deno.exit(0);
}

await runCli("experiment", async () => {
  const request = parseExperimentArgs(Deno.args);
  if (request.list) {
    for (const plan of Object.values(EXPERIMENT_PLANS)) {
      console.log(`${plan.name}: ${plan.question}`);
      for (const run of plan.runs) {
        const cmds = runCommands(`${request.out}/${plan.name}`, run);
        console.log(`  ${run.id}\n    ${Object.values(cmds).join("\n    ")}`);
      }
    }
    return;
  }
  const plan = experimentPlan(request.plan);
  const planOut = `${request.out}/${plan.name}`;
  const results = request.results;
  const shard = request.shard === undefined
    ? undefined
    : parseShard(request.shard, (name) => Deno.env.get(name));
  const writeTables = async () => {
    const written = await writeResults(plan, planOut, results);
    console.log(
      `experiment: ${written.finished}/${written.planned} runs finished; wrote ` +
        `${results}/${plan.name}.md and .json`,
    );
  };
  const keptPlanDir = `${results}/${plan.name}`;
  const [outPath, keptPath] = [resolve(planOut), resolve(keptPlanDir)];
  if (
    outPath === keptPath || `${outPath}/`.startsWith(`${keptPath}/`) ||
    `${keptPath}/`.startsWith(`${outPath}/`)
  ) {
    throw new Error(
      `--out ${request.out} and --results ${results} overlap (${planOut}, ${keptPlanDir}): ` +
        `the results folder keeps copies of finished runs; give them separate folders`,
    );
  }
  // Runs the results folder kept as finished count as done where the runs folder lacks them.
  const restore = async (runs: readonly ExperimentRun[]) => {
    const restored = await restoreKeptRuns(runs, planOut, keptPlanDir);
    if (restored.length > 0) {
      console.log(
        `experiment: ${restored.length} finished run(s) restored from ${keptPlanDir} into ` +
          `${planOut}: ${restored.join(", ")}`,
      );
    }
  };
  if (request.summaryOnly) {
    checkPlanFlags(plan, planOut);
    await restore(plan.runs);
    await writeTables();
    return;
  }
  if (request.slurm !== undefined) {
    checkPlanFlags(plan, planOut);
    await writeSlurmScripts(plan.name, plan.runs.length, shardGroupCount(plan), request);
    return;
  }
  const only = [...request.only];
  const selected = selectRuns(plan, only, shard);
  if (!request.resume) {
    const started = [];
    for (const run of selected) {
      if (await pathExists(runLayout(planOut, run).root)) started.push(run.id);
    }
    if (started.length > 0) {
      throw new Error(
        `${planOut} holds runs already (${started.join(", ")}); add --resume to continue ` +
          `them, or choose another --out`,
      );
    }
    const kept = await keptOnly(selected, planOut, keptPlanDir);
    if (kept.length > 0) {
      throw new Error(
        `${keptPlanDir} holds finished runs of ${plan.name} (${
          kept.map((r) => r.id).join(", ")
        }); ` +
          `add --resume to continue the plan from them, or choose another --results`,
      );
    }
  } else {
    // A draw reads its matched search's network, a training its source search's.
    const sources = new Set(selected.map(shardGroup));
    await restore(plan.runs.filter((r) => sources.has(r.id) || selected.includes(r)));
  }
  try {
    await runPlan(plan, {
      out: planOut,
      resume: request.resume,
      only,
      shard,
      // Shards run side by side: one --summary-only writes the tables once they are done.
      afterRun: shard ? () => Promise.resolve() : writeTables,
      log: (line) => console.log(line),
    });
  } finally {
    await shutdownEngine();
  }
  if (shard) {
    console.log(
      `experiment: shard ${formatShard(shard)} done; the tables: deno task experiment ` +
        `${plan.name} --summary-only`,
    );
  }
});

/** Writes the array and summary scripts (checked first, each written whole) and says how to submit. */
async function writeSlurmScripts(
  plan: string,
  runs: number,
  /** The plan's shard groups (runs, a draw counted with its search): the default --shards. */
  groups: number,
  request: ExperimentRequest,
): Promise<void> {
  const file = resolve(request.slurm!);
  const options: SlurmJobOptions = {
    plan,
    shards: request.shards ?? groups,
    runs,
    workdir: Deno.cwd(),
    deno: Deno.execPath(),
    out: resolve(request.out),
    results: resolve(request.results),
    file,
    partition: request.partition,
    gpusPerTask: request.gpusPerTask,
    cpusPerTask: request.cpusPerTask,
    time: request.time,
  };
  checkSlurmOptions(options);
  const array = arrayScript(options);
  const summary = summaryScript(options);
  const summaryFile = summaryScriptPath(file);
  await mkdir(file.slice(0, file.lastIndexOf("/")) || "/", { recursive: true });
  await atomicWrite(file, array);
  try {
    await atomicWrite(summaryFile, summary);
  } catch (err) {
    await Deno.remove(file).catch(() => {}); // both scripts or neither
    throw err;
  }
  console.log(
    `experiment: wrote ${request.slurm} (job array 0-${options.shards - 1}: ${options.shards} ` +
      `shard(s) of ${plan}'s ${runs} run(s)) and ${summaryScriptPath(request.slurm!)} ` +
      `(the tables, once every shard succeeded); submit with:`,
  );
  for (const line of submitCommands(file)) console.log(`  ${line}`);
}
