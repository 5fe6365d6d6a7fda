/**
 * The `deno task experiment` command line: its flags, each declared once with the field
 * it sets (the `--help` text and its defaults come from them), and
 * `parseExperimentArgs`, which checks which flags go together and reads no file.
 */
import {
  type ConfigCommand,
  configHelp,
  COUNT,
  numberFlag,
  optionalFlag,
  parseConfigLine,
  POSITIVE,
  readList,
  switchFlag,
  textFlag,
} from "../util/cli_command.ts";
import { EXPERIMENT_PLANS } from "./plans.ts";
import { DEFAULT_TASK_RESOURCES } from "./slurm.ts";

/** What `deno task experiment` was asked. */
export interface ExperimentRequest {
  /** The plan's name (undefined with `--list`). */
  readonly plan: string | undefined;
  readonly out: string;
  readonly results: string;
  readonly resume: boolean;
  /** Run ids to run (empty: every run of the plan). */
  readonly only: readonly string[];
  /** `--shard I/N` as given (`auto` reads the environment, see shard.ts). */
  readonly shard: string | undefined;
  readonly summaryOnly: boolean;
  /** `--slurm FILE`: write the job array's scripts instead of running. */
  readonly slurm: string | undefined;
  /** Array tasks; undefined: one per shard group of the plan. */
  readonly shards: number | undefined;
  readonly partition: string | undefined;
  readonly gpusPerTask: number;
  readonly cpusPerTask: number;
  readonly time: string | undefined;
  readonly list: boolean;
}

/** The request without flags. */
export const DEFAULT_EXPERIMENT: ExperimentRequest = {
  plan: undefined,
  out: "runs/experiments",
  results: "docs/results",
  resume: false,
  only: [],
  shard: undefined,
  summaryOnly: false,
  slurm: undefined,
  shards: undefined,
  partition: undefined,
  gpusPerTask: DEFAULT_TASK_RESOURCES.gpusPerTask,
  cpusPerTask: DEFAULT_TASK_RESOURCES.cpusPerTask,
  time: undefined,
  list: false,
};

const text = textFlag<ExperimentRequest>;
const num = numberFlag<ExperimentRequest>;

const optional = optionalFlag<ExperimentRequest>;

/** The flags of `deno task experiment`. */
export const EXPERIMENT_COMMAND: ConfigCommand<ExperimentRequest> = {
  usage: "deno task experiment PLAN [flags]",
  summary: "Runs an experiment plan: for each of its runs, deno task search in a space, then\n" +
    "deno task train of the found network (or deno task evolve), in one process; after every\n" +
    "finished run it writes RESULTS/PLAN.json and RESULTS/PLAN.md (per algorithm and space:\n" +
    "test top-1 mean and each seed, MAdds, params, search and training time) and copies each\n" +
    "run's small files to RESULTS/PLAN/RUN/. On a cluster: --shard or --slurm (docs/cluster.md).\n" +
    "Plans: " + Object.keys(EXPERIMENT_PLANS).join(", ") + ".",
  positionals: true,
  flags: {
    out: text("out", "DIR", "runs go to DIR/PLAN/RUN"),
    results: text("results", "DIR", "where the tables and kept files go"),
    resume: switchFlag(
      "resume",
      "continue: finished stages are skipped, an interrupted one resumes from its checkpoint;\n" +
        "runs that --results kept as finished (a new machine) are restored from there, not rerun",
    ),
    only: optional({
      key: "only",
      arg: "ID,...",
      help: "run only these runs of the plan",
      read: readList,
    }, "every run"),
    shard: optional(
      text(
        "shard",
        "I/N",
        "run only shard I of N: the runs k with k mod N = I, a draw with the search it\n" +
          "matches (the tables are left to --summary-only); auto: I and N of a Slurm array\n" +
          "task; auto/N: I from SLURM_ARRAY_TASK_ID or Kubernetes' JOB_COMPLETION_INDEX",
      ),
      "all",
    ),
    "summary-only": switchFlag(
      "summaryOnly",
      "run nothing; rewrite the tables from the finished runs (gathers the shards; runs\n" +
        "kept in --results count as finished)",
    ),
    slurm: optional(
      text(
        "slurm",
        "FILE",
        "run nothing; write FILE, an sbatch job array (one task a shard), and\n" +
          "FILE's .summary twin (the tables, after the array: afterok); print how to submit",
      ),
      "none",
    ),
    shards: optional(
      num("shards", "N", POSITIVE, "with --slurm: array tasks"),
      "one per run, a draw counted with its search",
    ),
    partition: optional(text("partition", "P", "with --slurm: the Slurm partition"), "Slurm's"),
    "gpus-per-task": num(
      "gpusPerTask",
      "G",
      COUNT,
      "with --slurm: GPUs per array task (--gres=gpu:G; 0: none)",
    ),
    "cpus-per-task": num("cpusPerTask", "C", POSITIVE, "with --slurm: CPUs per array task"),
    time: optional(
      text("time", "T", "with --slurm: time limit of an array task (e.g. 2:00:00)"),
      "Slurm's",
    ),
    list: switchFlag("list", "print the plans, their runs and commands"),
  },
};

/** `deno task experiment --help`. */
export const EXPERIMENT_USAGE: string = configHelp(EXPERIMENT_COMMAND, DEFAULT_EXPERIMENT);

/** Flags that only --slurm reads. */
const SLURM_ONLY = ["shards", "partition", "gpus-per-task", "cpus-per-task", "time"] as const;

/**
 * Reads `deno task experiment` arguments; throws one line for a bad flag, more than one
 * plan, modes that do not go together or a --slurm flag without --slurm. The plan's name
 * is checked by `experimentPlan`.
 */
export function parseExperimentArgs(args: readonly string[]): ExperimentRequest {
  const line = parseConfigLine(EXPERIMENT_COMMAND, args, DEFAULT_EXPERIMENT);
  const { config: request, given: values, positionals } = line;
  if (request.list) return request;
  if (positionals.length > 1) {
    throw new Error(`one plan at a time, got ${positionals.join(" ")}`);
  }
  const modes = (["shard", "slurm", "summary-only"] as const).filter((m) => values[m]);
  if (modes.length > 1) {
    throw new Error(`--${modes[0]} and --${modes[1]} do not go together`);
  }
  if (request.slurm === undefined) {
    const stray = SLURM_ONLY.find((flag) => values[flag] !== undefined);
    if (stray) throw new Error(`--${stray} goes with --slurm FILE`);
  }
  return { ...request, plan: positionals[0] };
}
