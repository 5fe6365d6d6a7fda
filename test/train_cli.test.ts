/**
 * `deno task train` (scripts/train.ts) as a subprocess with every augmentation and
 * dropout on, for 5 steps: it trains, evaluates, exports, and says what it applied;
 * bad augmentation flags are one line, exit 1, and nothing written.
 */
import assert from "node:assert/strict";
import { runScript } from "./_helpers.ts";
import { type NetworkSpec, networkToJson } from "../src/space/network_spec.ts";

const SPEC: NetworkSpec = {
  name: "cli-train",
  input: { channels: 1, size: 28 },
  stem: { cout: 8, kernel: 3, stride: 2 },
  blocks: [
    { type: "inverted_residual", cin: 8, cout: 16, stride: 2, kernel: 3, expansion: 2, se: false },
  ],
  head: { featureMix: { cout: 32 }, dropout: 0 },
  classes: 10,
};

const trainCli = (...args: string[]) => runScript("train.ts", ...args);

Deno.test("deno task train --augment crop,flip,erase --dropout 0.2 runs 5 steps end to end", async () => {
  const dir = await Deno.makeTempDir({ prefix: "train_cli_" });
  try {
    await Deno.writeTextFile(`${dir}/spec.json`, JSON.stringify(networkToJson(SPEC)));
    const run = await trainCli(
      ...["--arch", `${dir}/spec.json`, "--out", `${dir}/run`, "--quiet"],
      ...["--max-steps", "5", "--batch", "32", "--eval-batches", "1", "--log-every", "5"],
      ...["--augment", "crop,flip,erase", "--erase-prob", "0.4", "--dropout", "0.2"],
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /augmentation crop \(pad 2\), flip, erase \(p 0\.4\); dropout 0\.2/);
    const [record] = (await Deno.readTextFile(`${dir}/run/metrics.jsonl`)).trim().split("\n")
      .map((line) => JSON.parse(line));
    assert.equal(record.steps, 5);
    assert.ok(Number.isFinite(record.trainLoss) && record.trainLoss > 0, `${record.trainLoss}`);
    assert.ok((await Deno.stat(`${dir}/run/model.onnx`)).size > 0);

    const failures: [string[], RegExp][] = [
      [["--augment", "crop,blur"], /^train: --augment "crop,blur": unknown augmentation "blur"/],
      [["--crop-pad", "3"], /^train: --crop-pad needs crop among the augmentations \(now: none\)/],
      [["--augment", "erase", "--erase-prob", "2"], /^train: --erase-prob must be ≤ 1/],
      [["--augment", "crop", "--crop-pad", "28"], /crop padding 28 must be below the image side/],
      [["--dropout", "1"], /^train: --dropout must be below 1, got 1/],
    ];
    for (const [args, pattern] of failures) {
      const bad = await trainCli(...args, "--out", `${dir}/bad`, "--max-steps", "1");
      assert.equal(bad.code, 1, `${args.join(" ")}: exit code`);
      assert.match(bad.stderr, pattern);
      assert.equal(bad.stderr.split("\n").length, 1, `${args.join(" ")}: one line`);
      await assert.rejects(() => Deno.stat(`${dir}/bad`), Deno.errors.NotFound);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("train --train-images: a seeded subset, the same for a seed, another for the next", async () => {
  const { parseTrainArgs, prepareTraining } = await import("../src/train/train_command.ts");
  const { getExample } = await import("../src/data/dataset.ts");
  /** The first examples of the subset, each as its pixel sum and label. */
  const firstOf = async (seed: number) => {
    const prepared = await prepareTraining(
      parseTrainArgs(["--train-images", "300", "--seed", String(seed), "--out", "/tmp/unused"]),
    );
    assert.equal(prepared.data.train.length, 300);
    assert.match(prepared.summary[0], /300 train \(a seeded subset\)/);
    const examples = [];
    for (let i = 0; i < 8; i++) {
      const e = (await getExample(prepared.data.train, i))!;
      examples.push(`${e.label}:${e.x.reduce((a, b) => a + b, 0).toFixed(3)}`);
    }
    return examples;
  };
  assert.deepEqual(await firstOf(3), await firstOf(3));
  assert.notDeepEqual(await firstOf(3), await firstOf(4));
  assert.throws(() => parseTrainArgs(["--train-images", "-5"]), /--train-images/);
});
