/**
 * `deno task autospace`: stage flags reach their stage through the stage's own parser
 * (and a bad one is one line before anything exists), and the whole chain — evolve,
 * search, train, export — runs on tiny image counts to an ONNX file that
 * onnxruntime-node loads, after an interruption in the search and `--resume`, which
 * skips the finished evolution instead of running it again.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { parseAutospaceArgs } from "../src/autospace/config.ts";
import { runScript, throwsLine } from "./_helpers.ts";

Deno.test("autospace: stage flags reach each stage's parser, after --quick's settings", () => {
  const config = parseAutospaceArgs([
    "--quick",
    "--madds-max",
    "10M",
    "--out",
    "runs/x/",
    "--evolve.epochs",
    "3",
    "--evolve.zero-cells",
    "--search.algo=spos",
    "--search.lr",
    "0.001",
    "--train.batch",
    "16",
    "--export.batch",
    "1",
  ]);
  assert.equal(config.out, "runs/x");
  assert.equal(config.evolve.epochs, 3);
  assert.equal(config.evolve.allowZeroCells, true);
  assert.equal(config.evolve.quick, true);
  assert.equal(config.evolve.out, "runs/x/evolve");
  assert.equal(config.search.algo, "spos");
  assert.equal(config.search.weightLr, 1e-3);
  assert.equal(config.search.maddsMax, 10e6);
  assert.equal(config.search.space, "runs/x/evolve/search_space.json");
  assert.equal(config.search.out, "runs/x/search");
  assert.equal(config.train.arch, "runs/x/search/network.json");
  assert.equal(config.train.config.batchSize, 16, "a given flag beats --quick's batch 32");
  assert.equal(config.train.config.maxSteps, 30, "--quick's own step limit");
  assert.equal(config.train.config.outDir, "runs/x/train");
  assert.equal(config.export.batch, 1);
  assert.equal(config.export.checkpoint, "runs/x/train/checkpoint.onnx");
  assert.equal(config.export.out, "runs/x/model.onnx");
  const plain = parseAutospaceArgs([]);
  assert.equal(plain.evolve.quick, false);
  assert.equal(plain.search.maddsMax, null);
  assert.equal(plain.train.config.epochs, 5);
  assert.equal(plain.out, "runs/autospace");
});

Deno.test("autospace: a bad stage flag is one line naming it as written", () => {
  const cases: [string[], RegExp][] = [
    [["--evolve.epoch", "3"], /^--evolve\.epoch: deno task evolve has no flag --epoch/],
    [["--evolve.epochs", "-1"], /^--evolve\.epochs must be > 0, got -1$/],
    [["--train.epochs", "0"], /^--train\.epochs must be a positive integer, got 0$/],
    [["--train.epochs"], /^--train\.epochs needs a value/],
    [["--fit.epochs", "3"], /^--fit\.epochs: there is no stage "fit"/],
    [["--search.space", "x"], /^--search\.space is set by autospace/],
    [["--train.out", "x"], /^--train\.out is set by autospace: .*use --out/],
    [["--evolve.zero-cells=yes"], /'--evolve\.zero-cells' does not take an argument/],
    [["--madds-max", "ten"], /^--madds-max must be a count of MAdds/],
    [
      ["--evolve.k", "5", "--evolve.population", "3"],
      /^--evolve\.population 3 must be >= K \(--evolve\.k 5\)$/,
    ],
  ];
  for (const [args, pattern] of cases) throwsLine(() => parseAutospaceArgs(args), pattern);
});

Deno.test("autospace: a bad pass-through flag is one line and leaves no folder", async () => {
  const dir = await Deno.makeTempDir({ prefix: "autospace_refusal_" });
  try {
    const run = await runScript("autospace.ts", "--train.epochs", "-1", "--out", `${dir}/run`);
    assert.equal(run.code, 1);
    assert.equal(run.stderr, "autospace: --train.epochs must be a positive integer, got -1");
    assert.deepEqual([...Deno.readDirSync(dir)], []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

/** A quick run on 64 training and 64 held-out images, 4 training steps. */
const TINY = [
  "--quick",
  "--madds-max",
  "10M",
  "--evolve.train-images",
  "64",
  "--evolve.val-images",
  "64",
  "--evolve.regenerate-every",
  "2",
  "--search.train-images",
  "64",
  "--search.val-images",
  "64",
  "--train.max-steps",
  "4",
  "--train.eval-batches",
  "2",
];

Deno.test({
  name: "autospace --quick: interrupted in the search, --resume skips the evolution and ends " +
    "in an ONNX file that onnxruntime-node runs",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "autospace_chain_" });
    const out = `${dir}/run`;
    try {
      // 2 search steps an epoch: --stop-after 3 checkpoints mid-epoch.
      const cut = await runScript(
        "autospace.ts",
        ...TINY,
        "--out",
        out,
        "--search.stop-after",
        "3",
      );
      assert.equal(cut.code, 0, cut.stderr);
      assert.match(cut.stdout, /\[1\/4\] evolve\n/);
      assert.match(cut.stdout, /stopped in the search stage; continue with .*--resume/);
      await Deno.stat(`${out}/evolve/search_space.json`);
      const evolved = (await Deno.stat(`${out}/evolve/search_space.json`)).mtime;

      const changed = await runScript(
        "autospace.ts",
        ...TINY,
        "--out",
        out,
        "--resume",
        "--evolve.epochs",
        "3",
      );
      assert.equal(changed.code, 1);
      assert.match(changed.stderr, /^autospace: --resume: the evolve stage .* epochs 2, .* 3;/);

      const resumed = await runScript("autospace.ts", ...TINY, "--out", out, "--resume");
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.match(resumed.stdout, /\[1\/4\] evolve: done earlier .*, skipped/);
      assert.doesNotMatch(resumed.stdout, /evolve: wrote/, "the evolution does not run again");
      assert.match(resumed.stdout, /\[2\/4\] search: resuming from .*checkpoint/);
      assert.match(resumed.stdout, /search: resumed at step 3\//);
      assert.deepEqual((await Deno.stat(`${out}/evolve/search_space.json`)).mtime, evolved);

      const report = await Deno.readTextFile(`${out}/report.md`);
      for (const linked of ["evolve/report.md", "search/report.md", "train/metrics.jsonl"]) {
        assert.ok(report.includes(`(${linked})`), `report.md links ${linked}`);
        await Deno.stat(`${out}/${linked}`);
      }
      assert.match(report, /\| skipped \(done earlier\) \|/);
      assert.match(report, /MAdds: \*\*[\d.]+M\*\* \(cap 10\.0M\)/);
      assert.match(report, /test top-1: \*\*[\d.]+%\*\*/);
      assert.match(
        report,
        /latency on this adapter: \*\*[\d.]+ ms\*\* per forward pass at batch 1/,
      );
      assert.match(report.trimEnd().split("\n").at(-1)!, /^- ONNX: .*model\.onnx/);
      const result = JSON.parse(await Deno.readTextFile(`${out}/search/result.json`));
      assert.ok(result.madds <= 10e6, `found ${result.madds} MAdds, over the cap`);

      const session = await ort.InferenceSession.create(`${out}/model.onnx`);
      try {
        const input = new ort.Tensor("float32", new Float32Array(28 * 28).fill(0.5), [
          1,
          1,
          28,
          28,
        ]);
        const { logits } = await session.run({ input });
        assert.deepEqual([...logits.dims], [1, 10]);
        assert.ok([...(logits.data as Float32Array)].every(Number.isFinite));
      } finally {
        await session.release();
      }

      const again = await runScript("autospace.ts", ...TINY, "--out", out, "--resume");
      assert.equal(again.code, 0, again.stderr);
      assert.equal((again.stdout.match(/done earlier .*, skipped/g) ?? []).length, 4);
      const fresh = await runScript("autospace.ts", ...TINY, "--out", out);
      assert.equal(fresh.code, 1);
      assert.match(fresh.stderr, /already holds an autospace run; continue it with --resume/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
