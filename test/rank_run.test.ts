/**
 * `deno task rank --quick` end to end as the user runs it: rank.json with the true
 * ranking and per-setting α trajectories (the reverse setting among them), report.md
 * and the charts; `--resume` then skips every finished stage (and adds a run with other
 * path sampling without training the networks again), a second run into the same folder
 * without it is refused, and a bad flag stops before anything is written.
 */
import assert from "node:assert/strict";
import type { RankResult } from "../src/rank/rank_result.ts";
import { alphaAgrees, epochsToCorrectOrder } from "../src/rank/ranking.ts";
import { runScript } from "./_helpers.ts";

/** Runs `deno task rank` (without its set-up step); `out` is stdout and stderr together. */
async function rankCli(args: string[]): Promise<{ code: number; out: string; stderr: string }> {
  const run = await runScript("rank.ts", ...args);
  return { code: run.code, out: `${run.stdout}\n${run.stderr}`, stderr: run.stderr };
}

Deno.test({
  name: "rank --quick: true ranking, Table 6 settings with the reverse one, report; resume skips",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "rank_quick_" });
    const out = `${dir}/run`;
    const run = await rankCli(["--quick", "--out", out]);
    assert.equal(run.code, 0, run.out);
    const result = JSON.parse(await Deno.readTextFile(`${out}/rank.json`)) as RankResult;
    const { truth, settings } = result;
    assert.equal(truth.networks.length, 3);
    assert.deepEqual([...truth.order].sort(), [0, 1, 2]);
    assert.deepEqual(truth.networks.map((n) => n.spec.blocks.length), [3, 6, 12]);
    for (const n of truth.networks) {
      assert.equal(n.runs.length, 1);
      assert.ok(n.meanTestTop1 >= 0 && n.meanTestTop1 <= 1);
    }
    assert.deepEqual(settings.map((s) => s.id), ["row2-x1", "row3-x1"]);
    assert.deepEqual(settings.map((s) => s.reverse), [false, true]);
    for (const s of settings) {
      assert.deepEqual(s.order, truth.order);
      assert.equal(s.epochs.length, 3, "epoch 0 (initial) + 2 epochs");
      assert.deepEqual(s.epochs[0].alpha, s.initialAlpha);
      // The warmup epoch leaves α where it started; the fitness epoch moves it.
      assert.deepEqual(s.epochs[1].alpha, s.initialAlpha);
      assert.ok(s.fitnessSteps > 0 && s.trajectory.length === s.fitnessSteps + 1);
      assert.notDeepEqual(s.epochs[2].alpha, s.initialAlpha);
      assert.equal(s.epochsToCorrectOrder, epochsToCorrectOrder(s.epochs, s.order));
      assert.equal(s.heldOutTop1.length, 3);
      const steps = s.epochs.slice(1).reduce(
        (n, e) => n + e.weightSteps.reduce((a, b) => a + b),
        0,
      );
      assert.equal(steps, 2 * 8, "256 images / batch 32, 2 epochs");
    }
    const reverse = settings.find((s) => s.reverse)!;
    assert.ok(alphaAgrees(reverse.initialAlpha, [...truth.order].reverse()));
    const report = await Deno.readTextFile(`${out}/report.md`);
    assert.match(report, /\| 3 \(reverse\) \| 1 \|/);
    assert.match(report, /True order \(mean over seeds\): \*\*Net1 \(depth \d\) < Net2/);
    const files = ["order_margin_x1.png", "alpha_row2-x1.png", "alpha_row3-x1.png"];
    for (const f of [...files, "fitness/row3-x1.json"]) {
      assert.ok((await Deno.stat(`${out}/${f}`)).size > 0, f);
    }

    const again = await rankCli(["--quick", "--out", out]);
    assert.equal(again.code, 1);
    assert.match(again.out, /already holds a rank run; pass --resume/);
    const resumed = await rankCli(["--quick", "--out", out, "--resume"]);
    assert.equal(resumed.code, 0, resumed.out);
    assert.equal(resumed.out.match(/done before, skipped/g)?.length, 5, resumed.out);
    // Another path sampling adds its own run to the folder; the networks are not retrained.
    const more = await rankCli([
      "--quick",
      "--out",
      out,
      "--resume",
      "--rows",
      "3",
      "--path-sampling",
      "uniform",
    ]);
    assert.equal(more.code, 0, more.out);
    assert.equal(more.out.match(/done before, skipped/g)?.length, 3, more.out);
    const both = JSON.parse(await Deno.readTextFile(`${out}/rank.json`)) as RankResult;
    assert.deepEqual(both.settings.map((s) => s.id), ["row2-x1", "row3-x1", "row3-x1-uniform"]);
    assert.deepEqual(both.truth, truth);
    assert.match(
      await Deno.readTextFile(`${out}/report.md`),
      /\| 3 \(reverse\) \| 1 \| uniform \|/,
    );
    assert.ok((await Deno.stat(`${out}/order_margin_x1-uniform.png`)).size > 0);
    const other = await rankCli(["--quick", "--out", out, "--resume", "--epochs", "3"]);
    assert.equal(other.code, 1);
    assert.match(other.out, /was run with epochs = 2, this run has 3/);
    await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "rank: a bad flag is one line, exit 1, and nothing is written",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "rank_bad_" });
    for (
      const [args, message] of [
        [["--depths", "1,2"], /--depths needs three depths/],
        [["--rows", "3,7"], /--rows must be ≤ 5, got 7/],
        [["--epochs", "1", "--warmup", "1"], /--warmup 1 must be < --epochs 1/],
        [["--path-sampling", "greedy"], /--path-sampling must be one of/],
        [["--resume"], /no rank run in/],
        [["--bogus"], /bogus/],
      ] as const
    ) {
      const run = await rankCli([...args, "--out", `${dir}/run`]);
      assert.equal(run.code, 1, run.out);
      assert.match(run.out, message);
      assert.equal(run.stderr.split("\n").length, 1, run.out);
      await assert.rejects(Deno.stat(`${dir}/run`), Deno.errors.NotFound, args.join(" "));
    }
    const help = await rankCli(["--help"]);
    assert.equal(help.code, 0);
    assert.match(help.out, /--alpha-scales LIST .*\n.*\(default: 1\)/);
    await Deno.remove(dir, { recursive: true });
  },
});
