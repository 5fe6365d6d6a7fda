/**
 * A plan as Slurm jobs: an sbatch script for a job array (array task I runs
 * `--shard I/N`, shard.ts) and one for the summary job, which depends on the whole array
 * with `afterok` and gathers what the shards wrote into the plan's tables. Every array
 * task passes `--resume`, so a task resubmitted after a failure (`sbatch --array=I FILE`)
 * skips its finished stages and continues an interrupted one from its checkpoint. The
 * shard count is written into the script, not read from SLURM_ARRAY_TASK_COUNT, so that
 * resubmitting one task keeps its share.
 *
 * Time limits: `--signal=B:USR1@180` has Slurm signal the batch shell 3 minutes before a
 * task's limit. The shell passes SIGTERM to the run (src/util/interrupt.ts: the step in
 * progress finishes, a checkpoint is written, exit 143; not USR1, on which Deno also opens
 * its inspector), waits for it, and requeues the task (`--requeue`, `scontrol requeue`),
 * which starts again with `--resume` where the run stopped; its log goes on in the same
 * file (`--open-mode=append`). SIGTERM to the shell (scancel, preemption) is passed on
 * too, without a requeue.
 */

/** What the two scripts need to know. */
export interface SlurmJobOptions {
  readonly plan: string;
  /** Array tasks = shards. */
  readonly shards: number;
  /** How many runs the plan has (for the script's comment). */
  readonly runs: number;
  /** Absolute folder the jobs run in (the repository). */
  readonly workdir: string;
  /** The Deno executable the jobs call (overridable with DENO=... at submission). */
  readonly deno: string;
  /** Absolute --out and --results of the plan. */
  readonly out: string;
  readonly results: string;
  /** Absolute path of the array script; the summary's and the logs' names derive from it. */
  readonly file: string;
  readonly partition?: string;
  /** GPUs each array task asks for (`--gres=gpu:G`); 0 for none. */
  readonly gpusPerTask: number;
  readonly cpusPerTask: number;
  /** Slurm's time limit of an array task (e.g. "2:00:00", "1-00:00:00"). */
  readonly time?: string;
}

/** An array task's resources where `--gpus-per-task` / `--cpus-per-task` are not given. */
export const DEFAULT_TASK_RESOURCES = { gpusPerTask: 1, cpusPerTask: 2 } as const;

/**
 * Seconds before a task's time limit that Slurm signals it: the run needs a step and a
 * checkpoint (seconds, even on the CPU adapter) and Slurm may signal up to a minute late
 * or early ("the resolution of event handling").
 */
export const SIGNAL_LEAD_SECONDS = 180;

/** Characters a path in an `#SBATCH` line may hold (sbatch does not unquote them). */
const SAFE_PATH = /^[A-Za-z0-9_.,:+@%/=-]+$/;
/** Slurm's time formats: M, M:S, H:M:S, D-H, D-H:M, D-H:M:S. */
const SLURM_TIME = /^([0-9]+-[0-9]+(:[0-9]+){0,2}|[0-9]+(:[0-9]+){0,2})$/;
const PARTITION = /^[A-Za-z0-9_.-]+(,[A-Za-z0-9_.-]+)*$/;

/** Throws one line naming the first option a script cannot carry. */
export function checkSlurmOptions(o: SlurmJobOptions): void {
  if (!Number.isInteger(o.shards) || o.shards < 1) {
    throw new Error(`--shards must be a positive integer, got ${o.shards}`);
  }
  if (o.partition !== undefined && !PARTITION.test(o.partition)) {
    throw new Error(
      `--partition must be a partition name (letters, digits, _ . -), got "${o.partition}"`,
    );
  }
  if (o.time !== undefined && !SLURM_TIME.test(o.time)) {
    throw new Error(
      `--time must be a Slurm time (minutes, H:MM:SS or D-HH:MM:SS), got "${o.time}"`,
    );
  }
  for (const [what, path] of [["--slurm", o.file], ["the working folder", o.workdir]] as const) {
    if (!path.startsWith("/") || !SAFE_PATH.test(path)) {
      throw new Error(
        `${what} ${path}: an sbatch script needs an absolute path of letters, digits and _ . , : + @ % / = -`,
      );
    }
  }
}

/** The summary script's path: `.summary` before the array script's extension. */
export function summaryScriptPath(file: string): string {
  const slash = file.lastIndexOf("/");
  const dot = file.lastIndexOf(".");
  return dot > slash + 1 ? `${file.slice(0, dot)}.summary${file.slice(dot)}` : `${file}.summary`;
}

/** The array script's path without its extension (the logs are named after it). */
function stem(file: string): string {
  const slash = file.lastIndexOf("/");
  const dot = file.lastIndexOf(".");
  return dot > slash + 1 ? file.slice(0, dot) : file;
}

/** `'text'` for the shell. */
export function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

function header(o: SlurmJobOptions, name: string, output: string): string[] {
  return [
    "#!/bin/bash",
    `#SBATCH --job-name=${name}`,
    ...(o.partition ? [`#SBATCH --partition=${o.partition}`] : []),
    `#SBATCH --chdir=${o.workdir}`,
    `#SBATCH --output=${output}`,
  ];
}

function preamble(o: SlurmJobOptions): string[] {
  return [
    "set -euo pipefail",
    // Deno's WebGPU needs a runtime folder; batch jobs often have none.
    'export XDG_RUNTIME_DIR="${XDG_RUNTIME_DIR:-/tmp}"',
    `DENO="\${DENO:-${o.deno}}"`,
  ];
}

/**
 * The job-array script: array task I runs shard I/N of the plan, resuming; ahead of its
 * time limit it checkpoints and requeues itself (see the module comment).
 */
export function arrayScript(o: SlurmJobOptions): string {
  checkSlurmOptions(o);
  const lines = [
    ...header(o, `autospace-${o.plan}`, `${stem(o.file)}-%A_%a.out`),
    `#SBATCH --array=0-${o.shards - 1}`,
    "#SBATCH --ntasks=1",
    `#SBATCH --cpus-per-task=${o.cpusPerTask}`,
    ...(o.gpusPerTask > 0 ? [`#SBATCH --gres=gpu:${o.gpusPerTask}`] : []),
    ...(o.time ? [`#SBATCH --time=${o.time}`] : []),
    `#SBATCH --signal=B:USR1@${SIGNAL_LEAD_SECONDS}`,
    "#SBATCH --requeue",
    "#SBATCH --open-mode=append",
    `# deno task experiment ${o.plan} as ${o.shards} shard(s) of its ${o.runs} run(s): array`,
    `# task I runs the runs k with k mod ${o.shards} = I (a random draw with the search it`,
    `# matches). Resubmit failed tasks with`,
    `# sbatch --array=I,J ${o.file}: finished stages are skipped, an interrupted one resumes.`,
    `# ${SIGNAL_LEAD_SECONDS} s before the time limit Slurm sends USR1 to this shell: the run`,
    "# gets SIGTERM, checkpoints and exits, and the task requeues itself to continue.",
    ...preamble(o),
    'child=""',
    'requeue=""',
    'pending=""',
    // A signal between the launch and `child=$!` finds no child yet: kept, passed on below.
    'pass_term() { if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null || true; else pending=1; fi; }',
    "trap 'requeue=1; pass_term' USR1",
    "trap 'pass_term' TERM INT",
    `"$DENO" task experiment ${o.plan} --shard "\${SLURM_ARRAY_TASK_ID}/${o.shards}" ` +
    `--resume --out ${shellQuote(o.out)} --results ${shellQuote(o.results)} &`,
    "child=$!",
    'if [ -n "$pending" ]; then pass_term; fi',
    // A trapped signal ends `wait` early: wait on while the run is alive, then once more
    // for its own status in case it ended while the trap ran (127: already collected).
    "status=0",
    'wait "$child" || status=$?',
    'while kill -0 "$child" 2>/dev/null; do status=0; wait "$child" || status=$?; done',
    'if wait "$child" 2>/dev/null; then status=0; else s=$?; [ "$s" -eq 127 ] || status=$s; fi',
    // 130, 138, 143: the run stopped on the signal after its checkpoint.
    'if [ -n "$requeue" ] && { [ "$status" -eq 130 ] || [ "$status" -eq 138 ] || [ "$status" -eq 143 ]; }; then',
    '  echo "experiment: checkpointed ahead of the time limit; requeueing job ${SLURM_JOB_ID}"',
    '  scontrol requeue "${SLURM_JOB_ID}"',
    "fi",
    'exit "$status"',
  ];
  return lines.join("\n") + "\n";
}

/** The summary script: gathers the shards' runs into RESULTS/PLAN.{json,md}. */
export function summaryScript(o: SlurmJobOptions): string {
  checkSlurmOptions(o);
  const summary = summaryScriptPath(o.file);
  const lines = [
    ...header(o, `autospace-${o.plan}-summary`, `${stem(summary)}-%j.out`),
    "#SBATCH --ntasks=1",
    "#SBATCH --cpus-per-task=1",
    `# The tables of plan ${o.plan} from what its shards wrote (no GPU: files only). Submit`,
    `# with --dependency=afterok:ARRAY_JOB_ID so that it runs once every shard succeeded.`,
    ...preamble(o),
    `exec "$DENO" run -A scripts/experiment.ts ${o.plan} --summary-only ` +
    `--out ${shellQuote(o.out)} --results ${shellQuote(o.results)}`,
  ];
  return lines.join("\n") + "\n";
}

/** The two commands that submit the array, then the summary once it succeeded. */
export function submitCommands(file: string): string[] {
  return [
    `array=$(sbatch --parsable ${shellQuote(file)})`,
    `sbatch --dependency=afterok:\${array%%;*} ${shellQuote(summaryScriptPath(file))}`,
  ];
}
