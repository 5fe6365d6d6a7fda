/**
 * `deno task experiment PLAN` — runs one of issue 13's experiments (src/experiments/
 * plans.ts): each run a search and the training of the network it found, then the
 * plan's tables in RESULTS/PLAN.{json,md}. `--resume` skips finished stages and
 * continues an interrupted one; `--list` prints the plans and their runs' commands.
 */
import { EXPERIMENT_PLANS, experimentPlan } from "../src/experiments/plans.ts";
import { checkPlanFlags, runCommands, runPlan } from "../src/experiments/runner.ts";
import { writeResults } from "../src/experiments/summary.ts";
import { shutdownEngine } from "../src/tensor/init.ts";
import { parseCli, runCli } from "./_cli.ts";

const EXPERIMENT = {
  usage: "deno task experiment PLAN [flags]",
  summary: "Runs an experiment plan: for each of its runs, deno task search in a space, then\n" +
    "deno task train of the found network, in one process; after every finished run it writes\n" +
    "RESULTS/PLAN.json and RESULTS/PLAN.md (per algorithm and space: test top-1 mean and each\n" +
    "seed, MAdds, params, search and training time) and copies each run's small files to\n" +
    "RESULTS/PLAN/RUN/. Plans: " + Object.keys(EXPERIMENT_PLANS).join(", ") + ".",
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
    "summary-only": {
      type: "boolean",
      default: false,
      help: "run nothing; rewrite the tables from the finished runs",
    },
    list: { type: "boolean", default: false, help: "print the plans, their runs and commands" },
  },
} as const;

await runCli("experiment", async () => {
  const { values, positionals } = parseCli(EXPERIMENT, Deno.args);
  if (values.list) {
    for (const plan of Object.values(EXPERIMENT_PLANS)) {
      console.log(`${plan.name}: ${plan.question}`);
      for (const run of plan.runs) {
        const cmds = runCommands(`${values.out}/${plan.name}`, run);
        console.log(`  ${run.id}\n    ${cmds.search}\n    ${cmds.train}`);
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
  if (!values.resume && await hasRuns(planOut)) {
    throw new Error(
      `${planOut} holds runs already; add --resume to continue them, or choose another --out`,
    );
  }
  const only = values.only ? values.only.split(",").map((s) => s.trim()).filter(Boolean) : [];
  try {
    await runPlan(plan, {
      out: planOut,
      resume: values.resume,
      only,
      afterRun: writeTables,
      log: (line) => console.log(line),
    });
  } finally {
    await shutdownEngine();
  }
});

async function hasRuns(dir: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(dir)) return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
  return false;
}
