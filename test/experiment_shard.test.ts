/**
 * `deno task experiment --shard` and `--slurm`: every run lands on exactly one shard for
 * any count, bad shards are one clear line, `auto` reads Slurm's and Kubernetes'
 * variables, and the generated sbatch scripts carry the right array range, shard count,
 * resume flag and dependency.
 */
import assert from "node:assert/strict";
import { EXPERIMENT_PLANS } from "../src/experiments/plans.ts";
import { checkPlanFlags, selectRuns, shardGroupCount } from "../src/experiments/runner.ts";
import { isDrawRun } from "../src/experiments/run_layout.ts";
import { parseShard, shardOf } from "../src/experiments/shard.ts";
import {
  arrayScript,
  type SlurmJobOptions,
  submitCommands,
  summaryScript,
  summaryScriptPath,
} from "../src/experiments/slurm.ts";
import { runScript, throwsLine } from "./_helpers.ts";

const noEnv = () => undefined;
const envOf = (vars: Record<string, string>) => (name: string) => vars[name];

Deno.test("shards: every run of every plan on exactly one shard, for any count", () => {
  for (const plan of Object.values(EXPERIMENT_PLANS)) {
    for (let count = 1; count <= plan.runs.length + 3; count++) {
      const seen = new Map<string, number>();
      for (let index = 0; index < count; index++) {
        for (const run of selectRuns(plan, [], { index, count })) {
          seen.set(run.id, (seen.get(run.id) ?? 0) + 1);
        }
      }
      assert.equal(seen.size, plan.runs.length, `${plan.name} over ${count} shards`);
      assert.ok([...seen.values()].every((n) => n === 1), `${plan.name}: a run twice`);
    }
  }
  // Round-robin: run k on shard k mod N, in plan order.
  assert.deepEqual(shardOf(["a", "b", "c", "d", "e"], { index: 1, count: 2 }), ["b", "d"]);
  assert.deepEqual(shardOf(["a", "b"], { index: 3, count: 4 }), []);
});

Deno.test("shards: a random draw lands on the shard of the search it matches, after it", () => {
  const plan = EXPERIMENT_PLANS["search-vs-random"];
  const draws = plan.runs.filter(isDrawRun);
  assert.equal(draws.length, 32);
  // 96 runs; a draw and the argmax training go with their search: 48 groups, the default
  // array size.
  assert.equal(shardGroupCount(plan), 48);
  for (const other of Object.values(EXPERIMENT_PLANS)) {
    if (other !== plan) assert.equal(shardGroupCount(other), other.runs.length, other.name);
  }
  for (let count = 1; count <= 50; count++) {
    for (let index = 0; index < count; index++) {
      const ids = selectRuns(plan, [], { index, count }).map((r) => r.id);
      for (const draw of draws.filter((d) => ids.includes(d.id))) {
        const at = ids.indexOf(draw.drawMatching);
        assert.ok(at >= 0 && at < ids.indexOf(draw.id), `${draw.id} over ${count} shards`);
      }
    }
  }
  // Groups are dealt round-robin in the order of their first run: with 48 shards each
  // holds one group, the first the first search and its draw.
  assert.deepEqual(selectRuns(plan, [], { index: 0, count: 48 }).map((r) => r.id), [
    "learned-found-rl-seed10",
    "learned-random-draw-rl-seed10",
  ]);
  assert.deepEqual(selectRuns(plan, [], { index: 1, count: 48 }).map((r) => r.id), [
    "learned-random-search-seed10",
  ]);
  assert.deepEqual(selectRuns(plan, [], { index: 2, count: 48 }).map((r) => r.id), [
    "manual-found-rl-seed10",
    "manual-random-draw-rl-seed10",
  ]);
  // The default search's groups and random search (32) come before G's.
  assert.deepEqual(selectRuns(plan, [], { index: 32, count: 48 }).map((r) => r.id), [
    "learned-found-seed10",
    "learned-found-argmax-seed10",
    "learned-random-draw-seed10",
  ]);
  // shardOf's groups: items named by a key share a shard; without keys, one item a group.
  const items = ["a1", "b1", "a2", "c1", "b2"];
  const byLetter = (item: string) => item[0];
  assert.deepEqual(shardOf(items, { index: 0, count: 2 }, byLetter), ["a1", "a2", "c1"]);
  assert.deepEqual(shardOf(items, { index: 1, count: 2 }, byLetter), ["b1", "b2"]);
  assert.deepEqual(shardOf(items, { index: 1, count: 2 }), ["b1", "c1"]);
});

Deno.test("shards: I/N, auto and auto/N, and one line for a bad one", () => {
  assert.deepEqual(parseShard("2/3", noEnv), { index: 2, count: 3 });
  assert.deepEqual(parseShard(" 0/1 ", noEnv), { index: 0, count: 1 });
  throwsLine(() => parseShard("3/2", noEnv), /^--shard 3\/2: shard index 3 is not below/);
  throwsLine(() => parseShard("2/2", noEnv), /shard index 2 is not below the count 2/);
  throwsLine(() => parseShard("0/0", noEnv), /^--shard 0\/0: the shard count must be at least 1/);
  throwsLine(() => parseShard("x/4", noEnv), /^--shard x\/4: expected I\/N/);
  for (const bad of ["-1/4", "1.5/4", "1/", "/4", "4", "1/2/3", ""]) {
    throwsLine(() => parseShard(bad, noEnv), /expected I\/N/);
  }
  const slurm = envOf({
    SLURM_ARRAY_TASK_ID: "5",
    SLURM_ARRAY_TASK_MIN: "4",
    SLURM_ARRAY_TASK_COUNT: "3",
  });
  assert.deepEqual(parseShard("auto", slurm), { index: 1, count: 3 });
  assert.deepEqual(
    parseShard("auto", envOf({ SLURM_ARRAY_TASK_ID: "2", SLURM_ARRAY_TASK_COUNT: "3" })),
    {
      index: 2,
      count: 3,
    },
  );
  throwsLine(() => parseShard("auto", noEnv), /SLURM_ARRAY_TASK_ID is not set/);
  throwsLine(
    () => parseShard("auto", envOf({ SLURM_ARRAY_TASK_ID: "3", SLURM_ARRAY_TASK_COUNT: "3" })),
    /SLURM_ARRAY_TASK_ID=3.*shard index 3 is not below the count 3/,
  );
  assert.deepEqual(parseShard("auto/4", envOf({ JOB_COMPLETION_INDEX: "3" })), {
    index: 3,
    count: 4,
  });
  assert.deepEqual(parseShard("auto/4", envOf({ SLURM_ARRAY_TASK_ID: "1" })), {
    index: 1,
    count: 4,
  });
  throwsLine(() => parseShard("auto/4", noEnv), /neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION/);
  throwsLine(
    () => parseShard("auto/4", envOf({ JOB_COMPLETION_INDEX: "4" })),
    /JOB_COMPLETION_INDEX=4.*not below the count 4/,
  );
});

Deno.test("the space-learning plan is evolutions whose flags deno task evolve accepts", () => {
  const plan = EXPERIMENT_PLANS["space-learning"];
  assert.ok(plan.runs.length >= 4 && plan.runs.every((r) => r.kind === "evolve"));
  assert.deepEqual(new Set(plan.runs.map((r) => r.arm)), new Set(["reference", "no-reference"]));
  checkPlanFlags(plan, "runs/experiments/space-learning");
  const broken = { ...plan, runs: [{ ...plan.runs[0], evolveArgs: ["--reference", "x"] }] };
  throwsLine(() => checkPlanFlags(broken, "o"), /run reference-seed0: .*reference/);
});

const OPTIONS: SlurmJobOptions = {
  plan: "space-comparison",
  shards: 5,
  runs: 10,
  workdir: "/home/me/autospace",
  deno: "/home/me/.deno/bin/deno",
  out: "/shared/runs",
  results: "/home/me/autospace/docs/results",
  file: "/shared/jobs/cmp.sbatch",
  partition: "gpu",
  gpusPerTask: 1,
  cpusPerTask: 8,
  time: "1-00:00:00",
};

Deno.test("--slurm scripts: array range, shard count, resume, GPU, and the summary's dependency", () => {
  const array = arrayScript(OPTIONS);
  assert.match(array, /^#!\/bin\/bash\n/);
  assert.match(array, /^#SBATCH --array=0-4$/m);
  assert.match(array, /^#SBATCH --gres=gpu:1$/m);
  assert.match(array, /^#SBATCH --cpus-per-task=8$/m);
  assert.match(array, /^#SBATCH --partition=gpu$/m);
  assert.match(array, /^#SBATCH --time=1-00:00:00$/m);
  assert.match(array, /^#SBATCH --chdir=\/home\/me\/autospace$/m);
  assert.match(array, /^#SBATCH --output=\/shared\/jobs\/cmp-%A_%a.out$/m);
  assert.match(
    array,
    /^"\$DENO" task experiment space-comparison --shard "\$\{SLURM_ARRAY_TASK_ID\}\/5" --resume --out '\/shared\/runs' --results '\/home\/me\/autospace\/docs\/results' &$/m,
  );
  // Ahead of the time limit: USR1 to the batch shell, which checkpoints the run and requeues.
  assert.match(array, /^#SBATCH --signal=B:USR1@180$/m);
  assert.match(array, /^#SBATCH --requeue$/m);
  assert.match(array, /^#SBATCH --open-mode=append$/m);
  // Every #SBATCH line comes before the first command (sbatch stops reading there).
  const lines = array.split("\n");
  const firstCommand = lines.findIndex((l) => l !== "" && !l.startsWith("#"));
  assert.ok(lines.slice(firstCommand).every((l) => !l.startsWith("#SBATCH")));
  const noGpu = arrayScript({ ...OPTIONS, gpusPerTask: 0, partition: undefined, time: undefined });
  assert.doesNotMatch(noGpu, /--gres|--partition|--time/);

  assert.equal(summaryScriptPath("/shared/jobs/cmp.sbatch"), "/shared/jobs/cmp.summary.sbatch");
  assert.equal(summaryScriptPath("/shared/jobs/cmp"), "/shared/jobs/cmp.summary");
  assert.equal(summaryScriptPath("/shared/v1.2/cmp"), "/shared/v1.2/cmp.summary");
  const summary = summaryScript(OPTIONS);
  assert.doesNotMatch(summary, /--array|--gres/);
  assert.match(summary, /^#SBATCH --output=\/shared\/jobs\/cmp.summary-%j.out$/m);
  assert.match(summary, /experiment.ts space-comparison --summary-only --out '\/shared\/runs'/);
  assert.deepEqual(submitCommands("/shared/jobs/cmp.sbatch"), [
    "array=$(sbatch --parsable '/shared/jobs/cmp.sbatch')",
    "sbatch --dependency=afterok:${array%%;*} '/shared/jobs/cmp.summary.sbatch'",
  ]);

  throwsLine(() => arrayScript({ ...OPTIONS, time: "tomorrow" }), /--time must be a Slurm time/);
  throwsLine(() => arrayScript({ ...OPTIONS, partition: "gpu; rm" }), /--partition must be/);
  throwsLine(
    () => arrayScript({ ...OPTIONS, file: "/my jobs/x" }),
    /--slurm \/my jobs\/x: an sbatch/,
  );
  throwsLine(() => arrayScript({ ...OPTIONS, shards: 0 }), /--shards must be a positive integer/);
});

Deno.test({
  name: "deno task experiment: bad shards and --slurm flags are one line, nothing written",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "experiment-shard-test-" });
    try {
      const out = ["--out", `${dir}/runs`, "--results", `${dir}/results`];
      for (
        const [args, pattern] of [
          [
            ["--shard", "3/2"],
            /^experiment: --shard 3\/2: shard index 3 is not below the count 2$/,
          ],
          [["--shard", "0/0"], /^experiment: --shard 0\/0: the shard count must be at least 1$/],
          [["--shard", "x/4"], /^experiment: --shard x\/4: expected I\/N/],
          [["--shard", "0/2", "--summary-only"], /--shard and --summary-only do not go together/],
          [["--partition", "gpu"], /--partition goes with --slurm FILE/],
          [["--gpus-per-task", "2"], /--gpus-per-task goes with --slurm FILE/],
          [["--slurm", `${dir}/jobs/a.sbatch`, "--time", "soon"], /--time must be a Slurm time/],
          [["--slurm", `${dir}/jobs/a.sbatch`, "--gpus-per-task", "-1"], /--gpus-per-task must/],
        ] as const
      ) {
        const r = await runScript("experiment.ts", "tiny", ...args, ...out);
        assert.equal(r.code, 1, `${args.join(" ")}: exit ${r.code}`);
        assert.match(r.stderr, pattern);
        assert.equal(r.stderr.split("\n").length, 1, r.stderr);
      }
      const entries = [];
      for await (const e of Deno.readDir(dir)) entries.push(e.name);
      assert.deepEqual(entries, [], "a refused command wrote something");

      // A shard past the plan's runs has nothing to do: it says so and starts no GPU.
      const idle = await runScript("experiment.ts", "tiny", "--shard", "3/4", ...out);
      assert.equal(idle.code, 0, idle.stderr);
      assert.match(idle.stdout, /no runs \(shard 3\/4 of 3\); nothing to do/);

      const file = `${dir}/jobs/tiny.sbatch`;
      const written = await runScript(
        "experiment.ts",
        "tiny",
        "--slurm",
        file,
        "--gpus-per-task",
        "0",
        ...out,
      );
      assert.equal(written.code, 0, written.stderr);
      assert.match(written.stdout, /job array 0-2: 3 shard\(s\) of tiny's 3 run\(s\)/);
      assert.ok(written.stdout.includes(`array=$(sbatch --parsable '${file}')`));
      assert.ok(
        written.stdout.includes(
          `sbatch --dependency=afterok:\${array%%;*} '${dir}/jobs/tiny.summary.sbatch'`,
        ),
      );
      assert.match(await Deno.readTextFile(file), /--shard "\$\{SLURM_ARRAY_TASK_ID\}\/3"/);
      assert.match(await Deno.readTextFile(`${dir}/jobs/tiny.summary.sbatch`), /--summary-only/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/**
 * Runs the array script with bash (no Slurm): `DENO` is a stand-in that stops on SIGTERM
 * with 143 as a checkpointing run does (or finishes after `steps` tenths of a second), and
 * `scontrol` one that records its arguments. `signal` goes to the batch shell once the
 * run has started, as Slurm's `--signal=B:USR1@…` and scancel send it.
 */
async function runArrayScript(signal: Deno.Signal | null, steps: number) {
  const dir = await Deno.makeTempDir({ prefix: "slurm_script_" });
  try {
    const log = `${dir}/log`;
    await Deno.writeTextFile(
      `${dir}/deno`,
      [
        "#!/bin/bash",
        // The traps before the line the test waits for: a signal sent on seeing it finds them.
        `trap 'echo "run got TERM" >> ${log}; exit 143' TERM`,
        `trap 'echo "run got USR1" >> ${log}' USR1`,
        `echo "run: $*" >> ${log}`,
        `for i in $(seq 1 ${steps}); do sleep 0.1; done`,
        `echo "run finished" >> ${log}`,
      ].join("\n") + "\n",
      { mode: 0o755 },
    );
    await Deno.writeTextFile(`${dir}/scontrol`, `#!/bin/bash\necho "scontrol $*" >> ${log}\n`, {
      mode: 0o755,
    });
    const script = `${dir}/job.sbatch`;
    await Deno.writeTextFile(script, arrayScript({ ...OPTIONS, file: script, shards: 2 }));
    const child = new Deno.Command("bash", {
      args: [script],
      env: {
        DENO: `${dir}/deno`,
        PATH: `${dir}:${Deno.env.get("PATH")}`,
        SLURM_ARRAY_TASK_ID: "1",
        SLURM_JOB_ID: "4242",
      },
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const end = Date.now() + 10_000;
    while (!(await Deno.readTextFile(log).catch(() => "")).includes("run: ")) {
      assert.ok(Date.now() < end, "the run never started");
      await new Promise((r) => setTimeout(r, 20));
    }
    if (signal) child.kill(signal);
    const { code, stdout } = await child.output();
    return { code, stdout: new TextDecoder().decode(stdout), log: await Deno.readTextFile(log) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("--slurm array script: USR1 ahead of the time limit checkpoints the run and requeues", async () => {
  // USR1 (Slurm's warning): the run gets SIGTERM, not USR1, stops with 143; the task requeues.
  const warned = await runArrayScript("SIGUSR1", 100);
  assert.match(warned.log, /^run: task experiment space-comparison --shard 1\/2 --resume /m);
  assert.match(warned.log, /^run got TERM$/m);
  assert.doesNotMatch(warned.log, /run got USR1|run finished/);
  assert.match(warned.log, /^scontrol requeue 4242$/m);
  assert.match(warned.stdout, /checkpointed ahead of the time limit; requeueing job 4242/);
  assert.equal(warned.code, 143);
  // SIGTERM (scancel, preemption): passed on, no requeue.
  const cancelled = await runArrayScript("SIGTERM", 100);
  assert.match(cancelled.log, /^run got TERM$/m);
  assert.doesNotMatch(cancelled.log, /scontrol/);
  assert.equal(cancelled.code, 143);
  // No signal: the run's own exit code, nothing requeued.
  const finished = await runArrayScript(null, 2);
  assert.match(finished.log, /^run finished$/m);
  assert.doesNotMatch(finished.log, /scontrol|got/);
  assert.equal(finished.code, 0);
});

Deno.test({
  name: "deno task experiment --slurm: one array task per shard group by default",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "experiment-shard-groups-test-" });
    try {
      const file = `${dir}/jobs/svr.sbatch`;
      const written = await runScript(
        "experiment.ts",
        ...["search-vs-random", "--slurm", file, "--gpus-per-task", "0"],
        ...["--out", `${dir}/runs`, "--results", `${dir}/results`],
      );
      assert.equal(written.code, 0, written.stderr);
      assert.match(
        written.stdout,
        /job array 0-47: 48 shard\(s\) of search-vs-random's 96 run\(s\)/,
      );
      assert.match(await Deno.readTextFile(file), /--shard "\$\{SLURM_ARRAY_TASK_ID\}\/48"/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
