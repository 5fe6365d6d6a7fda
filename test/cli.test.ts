/**
 * The tasks as a user meets them: every `deno task` answers --help (flags and
 * defaults, exit 0), a negative number says what range the flag needs, and a
 * refused run leaves no empty output folder behind.
 */
import assert from "node:assert/strict";
import { helpText, joinNegativeValues } from "../scripts/_cli.ts";
import { REPO_ROOT, runDeno as deno } from "./_helpers.ts";

/** Each task's script: the last `deno run ... scripts/X.ts` of its command line. */
function taskScripts(): [string, string][] {
  const config = JSON.parse(Deno.readTextFileSync(`${REPO_ROOT}deno.json`));
  return Object.entries(config.tasks as Record<string, string>).flatMap(([task, command]) => {
    if (/\bdeno test\b/.test(command)) return []; // `deno task test` is deno's own test runner
    const script = [...command.matchAll(/scripts\/[\w-]+\.ts/g)].at(-1)?.[0];
    return script ? [[task, script] as [string, string]] : [];
  });
}

Deno.test("every deno task answers --help with its flags and defaults", async () => {
  const tasks = taskScripts();
  for (const expected of ["train", "export", "setup", "inspect", "bench", "evolve", "pack-gpu"]) {
    assert.ok(tasks.some(([task]) => task === expected), `task ${expected} missing`);
  }
  for (const [task, script] of tasks) {
    const out = await deno(["run", "-A", script, "--help"]);
    assert.equal(out.code, 0, `${task} --help: exit ${out.code}: ${out.stderr}`);
    assert.match(out.stdout, /^usage: /, `${task} --help starts with its usage`);
    assert.match(out.stdout, /--help/, `${task} --help lists --help`);
    if (task !== "setup") assert.match(out.stdout, /default/, `${task} --help shows defaults`);
  }
});

Deno.test("help text: one entry per flag with its default; negative values join their flag", () => {
  const text = helpText({
    usage: "deno task x [flags]",
    summary: "Does x.",
    flags: {
      epochs: { type: "string", default: "5", arg: "N", help: "epochs" },
      size: { type: "string", arg: "N", defaultText: "the spec's", help: "side" },
      quiet: { type: "boolean", default: false, help: "less output" },
    },
  });
  assert.match(text, /--epochs N +epochs \(default: 5\)/);
  assert.match(text, /--size N +side \(default: the spec's\)/);
  assert.match(text, /--quiet +less output\n/);
  const takesValue = (flag: string) => flag !== "quiet";
  assert.deepEqual(
    joinNegativeValues(
      ["--epochs", "-1", "--quiet", "-2", "--lr", "-1e-3", "--", "--x", "-1"],
      takesValue,
    ),
    ["--epochs=-1", "--quiet", "-2", "--lr=-1e-3", "--", "--x", "-1"],
  );
  assert.deepEqual(joinNegativeValues(["--out", "-dir"], takesValue), ["--out", "-dir"]);
  assert.throws(
    () => joinNegativeValues(["--madds-max", "-5M"], takesValue),
    /^Error: --madds-max must be positive, got -5M$/,
  );
  assert.throws(() => joinNegativeValues(["--budget", "-2x"], takesValue), /must be positive/);
});

Deno.test("train --epochs -1 and search --madds-max -5M say the value must be positive", async () => {
  const out = await deno(["run", "-A", "scripts/train.ts", "--epochs", "-1"]);
  assert.equal(out.code, 1);
  assert.equal(out.stderr, "train: --epochs must be a positive integer, got -1");
  const evolve = await deno(["run", "-A", "scripts/evolve.ts", "--epochs", "-1"]);
  assert.equal(evolve.code, 1);
  assert.equal(evolve.stderr, "evolve: --epochs must be > 0, got -1");
  const search = await deno(["run", "-A", "scripts/search.ts", "--madds-max", "-5M"]);
  assert.equal(search.code, 1);
  assert.equal(search.stderr, "search: --madds-max must be positive, got -5M");
});

Deno.test("refusals leave no output folder: train --resume, evolve with missing or bad data", async () => {
  const dir = await Deno.makeTempDir({ prefix: "cli-refusals-" });
  try {
    const cases: [string, string[], RegExp][] = [
      [
        "train --resume without a run",
        ["scripts/train.ts", "--resume", "--out", `${dir}/runs/train`],
        /--resume: no checkpoint at .*runs\/train\/checkpoint\.onnx/,
      ],
      [
        "evolve with missing data",
        ["scripts/evolve.ts", "--data", `cifar10:${dir}/nowhere`, "--out", `${dir}/runs/evolve`],
        /nowhere/,
      ],
      [
        "evolve with bad data",
        ["scripts/evolve.ts", "--data", `imagenet:${dir}/bad`, "--out", `${dir}/runs/evolve`],
        /has no class subfolders/,
      ],
    ];
    await Deno.mkdir(`${dir}/bad/train`, { recursive: true });
    for (const [what, args, message] of cases) {
      const out = await deno(["run", "-A", ...args]);
      assert.equal(out.code, 1, `${what}: exit ${out.code}`);
      assert.match(out.stderr, message, what);
      assert.equal(out.stderr.split("\n").length, 1, `${what}: one line: ${out.stderr}`);
      const left = [...Deno.readDirSync(dir)].map((e) => e.name).sort();
      assert.deepEqual(left, ["bad"], `${what} left ${left.join(", ")} behind`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
