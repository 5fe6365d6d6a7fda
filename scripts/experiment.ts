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
import { EXPERIMENT_PLANS, experimentPlan } from "../src/experiments/plans.ts";
import {
  checkPlanFlags,
  runCommands,
  runLayout,
  runPlan,
  selectRuns,
  shardGroupCount,
} from "../src/experiments/runner.ts";
import { formatShard, parseShard } from "../src/experiments/shard.ts";
import {
  arrayScript,
  checkSlurmOptions,
  DEFAULT_TASK_RESOURCES,
  type SlurmJobOptions,
  submitCommands,
  summaryScript,
  summaryScriptPath,
} from "../src/experiments/slurm.ts";
import { writeResults } from "../src/experiments/summary.ts";
import { shutdownEngine } from "../src/tensor/init.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { pathExists } from "../src/util/output_folder.ts";
import { COUNT, POSITIVE } from "../src/util/cli_command.ts";
import { cliNumber, cliOptionalNumber, parseCli, runCli } from "./_cli.ts";

const EXPERIMENT = {
  usage: "deno task experiment PLAN [flags]",
  summary: "Runs an experiment plan: for each of its runs, deno task search in a space, then\n" +
    "deno task train of the found network (or deno task evolve), in one process; after every\n" +
    "finished run it writes RESULTS/PLAN.json and RESULTS/PLAN.md (per algorithm and space:\n" +
    "test top-1 mean and each seed, MAdds, params, search and training time) and copies each\n" +
    "run's small files to RESULTS/PLAN/RUN/. On a cluster: --shard or --slurm (docs/cluster.md).\n" +
    "Plans: " + Object.keys(EXPERIMENT_PLANS).join(", ") + ".",
  positionals: true,
  flags: {
    out: {
      type: "string",
      arg: "DIR",
      default: "runs/experiments",
      help: "runs go to DIR/PLAN/RUN",
    },
    results: {
      type: "string",
      arg: "DIR",
      default: "docs/results",
      help: "where the tables and kept files go",
    },
    resume: {
      type: "boolean",
      default: false,
      help: "continue: finished stages are skipped, an interrupted one resumes from its checkpoint",
    },
    only: { type: "string", arg: "ID,...", help: "run only these runs of the plan" },
    shard: {
      type: "string",
      arg: "I/N",
      help: "run only shard I of N: the runs k with k mod N = I, a draw with the search it\n" +
        "matches (the tables are left to --summary-only); auto: I and N of a Slurm array\n" +
        "task; auto/N: I from SLURM_ARRAY_TASK_ID or Kubernetes' JOB_COMPLETION_INDEX",
    },
    "summary-only": {
      type: "boolean",
      default: false,
      help: "run nothing; rewrite the tables from the finished runs (gathers the shards)",
    },
    slurm: {
      type: "string",
      arg: "FILE",
      help: "run nothing; write FILE, an sbatch job array (one task a shard), and\n" +
        "FILE's .summary twin (the tables, after the array: afterok); print how to submit",
    },
    shards: {
      type: "string",
      arg: "N",
      defaultText: "one per run, a draw counted with its search",
      help: "with --slurm: array tasks",
    },
    partition: { type: "string", arg: "P", help: "with --slurm: the Slurm partition" },
    "gpus-per-task": {
      type: "string",
      arg: "G",
      defaultText: String(DEFAULT_TASK_RESOURCES.gpusPerTask),
      help: "with --slurm: GPUs per array task (--gres=gpu:G; 0: none)",
    },
    "cpus-per-task": {
      type: "string",
      arg: "C",
      defaultText: String(DEFAULT_TASK_RESOURCES.cpusPerTask),
      help: "with --slurm: CPUs per array task",
    },
    time: {
      type: "string",
      arg: "T",
      help: "with --slurm: time limit of an array task (e.g. 2:00:00)",
    },
    list: { type: "boolean", default: false, help: "print the plans, their runs and commands" },
  },
} as const;

/** Flags that only --slurm reads. */
const SLURM_ONLY = ["shards", "partition", "gpus-per-task", "cpus-per-task", "time"] as const;

await runCli("experiment", async () => {
  const { values, positionals } = parseCli(EXPERIMENT, Deno.args);
  if (values.list) {
    for (const plan of Object.values(EXPERIMENT_PLANS)) {
      console.log(`${plan.name}: ${plan.question}`);
      for (const run of plan.runs) {
        const cmds = runCommands(`${values.out}/${plan.name}`, run);
        console.log(`  ${run.id}\n    ${Object.values(cmds).join("\n    ")}`);
      }
    }
    return;
  }
  if (positionals.length > 1) {
    throw new Error(`one plan at a time, got ${positionals.join(" ")}`);
  }
  const plan = experimentPlan(positionals[0]);
  const planOut = `${values.out}/${plan.name}`;
  const results = values.results!;
  const modes = (["shard", "slurm", "summary-only"] as const).filter((m) => values[m]);
  if (modes.length > 1) {
    throw new Error(`--${modes[0]} and --${modes[1]} do not go together`);
  }
  if (values.slurm === undefined) {
    const stray = SLURM_ONLY.find((flag) => values[flag] !== undefined);
    if (stray) throw new Error(`--${stray} goes with --slurm FILE`);
  }
  const shard = values.shard === undefined
    ? undefined
    : parseShard(values.shard, (name) => Deno.env.get(name));
  const writeTables = async () => {
    const written = await writeResults(plan, planOut, results);
    console.log(
      `experiment: ${written.finished}/${written.planned} runs finished; wrote ` +
        `${results}/${plan.name}.md and .json`,
    );
  };
  if (values["summary-only"]) {
    checkPlanFlags(plan, planOut);
    await writeTables();
    return;
  }
  if (values.slurm !== undefined) {
    checkPlanFlags(plan, planOut);
    await writeSlurmScripts(plan.name, plan.runs.length, shardGroupCount(plan), values);
    return;
  }
  const only = values.only ? values.only.split(",").map((s) => s.trim()).filter(Boolean) : [];
  const selected = selectRuns(plan, only, shard);
  if (!values.resume) {
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
  }
  try {
    await runPlan(plan, {
      out: planOut,
      resume: values.resume,
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
  values: {
    slurm?: string;
    out?: string;
    results?: string;
    shards?: string;
    partition?: string;
    "gpus-per-task"?: string;
    "cpus-per-task"?: string;
    time?: string;
  },
): Promise<void> {
  const file = resolve(values.slurm!);
  const options: SlurmJobOptions = {
    plan,
    shards: values.shards === undefined
      ? groups
      : cliNumber("shards", values.shards, { integer: true, min: 1 }),
    runs,
    workdir: Deno.cwd(),
    deno: Deno.execPath(),
    out: resolve(values.out!),
    results: resolve(values.results!),
    file,
    partition: values.partition,
    gpusPerTask: cliOptionalNumber("gpus-per-task", values["gpus-per-task"], COUNT) ??
      DEFAULT_TASK_RESOURCES.gpusPerTask,
    cpusPerTask: cliOptionalNumber("cpus-per-task", values["cpus-per-task"], POSITIVE) ??
      DEFAULT_TASK_RESOURCES.cpusPerTask,
    time: values.time,
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
    `experiment: wrote ${values.slurm} (job array 0-${options.shards - 1}: ${options.shards} ` +
      `shard(s) of ${plan}'s ${runs} run(s)) and ${summaryScriptPath(values.slurm!)} ` +
      `(the tables, once every shard succeeded); submit with:`,
  );
  for (const line of submitCommands(file)) console.log(`  ${line}`);
}
