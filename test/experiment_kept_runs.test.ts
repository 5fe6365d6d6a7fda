/**
 * Runs kept in the results folder, without a GPU: a finished search, a draw at its MAdds
 * and a training of its argmax network are restored into an empty runs folder with the
 * marker and count as finished; an unfinished kept run (no metrics) and runs the runs
 * folder already finished are left alone.
 */
import assert from "node:assert/strict";
import { mkdir } from "node:fs/promises";
import {
  keepRunFiles,
  keptOnly,
  RESTORED_MARKER,
  restoreKeptRuns,
  runFinished,
} from "../src/experiments/kept_runs.ts";
import type { SearchTrainRun } from "../src/experiments/plans.ts";
import { runDone } from "../src/experiments/run_layout.ts";

const base = { kind: "search-train", arm: "a", algo: "x", seed: 0, trainArgs: [] } as const;
const search: SearchTrainRun = { ...base, id: "found", searchArgs: ["--seed", "0"] };
const draw: SearchTrainRun = { ...base, id: "draw", searchArgs: [], drawMatching: "found" };
const argmax: SearchTrainRun = {
  ...base,
  id: "argmax",
  searchArgs: [],
  trainFrom: { run: "found", network: "argmax/network.json" },
};
const unfinished: SearchTrainRun = { ...base, id: "cut", searchArgs: [] };

async function write(path: string, text = "{}\n") {
  await mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(path, text);
}

Deno.test("kept runs: restored into an empty runs folder in plan order, marked, finished", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kept-runs-" });
  try {
    const kept = `${dir}/results/plan`;
    const out = `${dir}/runs/plan`;
    for (const f of ["result.json", "network.json", "report.md", "history.jsonl"]) {
      await write(`${kept}/found/search/${f}`);
    }
    await write(`${kept}/found/search/argmax/network.json`, '{"argmax": true}\n');
    await write(`${kept}/found/train/metrics.jsonl`);
    for (const f of ["result.json", "network.json", "report.md", "draw.json"]) {
      await write(`${kept}/draw/draw/${f}`);
    }
    await write(`${kept}/draw/train/metrics.jsonl`);
    await write(`${kept}/argmax/train/metrics.jsonl`);
    await write(`${kept}/cut/search/result.json`); // a search cut short: never kept whole
    const runs = [search, draw, argmax, unfinished];

    assert.deepEqual((await keptOnly(runs, out, kept)).map((r) => r.id), [
      "found",
      "draw",
      "argmax",
    ]);
    assert.deepEqual(await restoreKeptRuns(runs, out, kept), ["found", "draw", "argmax"]);
    for (const run of [search, draw, argmax]) {
      assert.ok(await runFinished(out, run), run.id);
      const marker = JSON.parse(await Deno.readTextFile(`${out}/${run.id}/${RESTORED_MARKER}`));
      assert.equal(marker.restoredFrom, `${kept}/${run.id}`);
    }
    assert.equal(
      await Deno.readTextFile(`${out}/found/search/argmax/network.json`),
      '{"argmax": true}\n',
      "the argmax training's network comes with its search",
    );
    assert.ok(!(await runFinished(out, unfinished)));
    // Once restored, nothing more to restore; a run without the marker needs its model.onnx.
    assert.deepEqual(await restoreKeptRuns(runs, out, kept), []);
    await Deno.remove(`${out}/found/${RESTORED_MARKER}`);
    assert.ok(!(await runFinished(out, search)), "kept files alone are not a finished run");
    for (const f of runDone(out, search)) await write(f);
    assert.ok(await runFinished(out, search), "its own last files are");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("kept runs: an argmax training kept before its search's own training finished", async () => {
  const dir = await Deno.makeTempDir({ prefix: "kept-runs-" });
  try {
    const out = `${dir}/runs/plan`;
    const kept = `${dir}/results/plan`;
    for (const f of ["result.json", "network.json", "report.md", "argmax/network.json"]) {
      await write(`${out}/found/search/${f}`);
    }
    await write(`${out}/found/train/metrics.jsonl`); // its training still running
    for (const f of runDone(out, argmax)) await write(f);
    assert.ok(await runFinished(out, argmax));
    assert.ok(!(await runFinished(out, search)));

    await keepRunFiles(argmax, out, kept);
    await Deno.stat(`${kept}/found/search/argmax/network.json`); // its network came along
    await assert.rejects(
      Deno.stat(`${kept}/found/train/metrics.jsonl`),
      "not the search's training",
    );

    const fresh = `${dir}/fresh/plan`;
    assert.deepEqual(await restoreKeptRuns([search, argmax], fresh, kept), ["argmax"]);
    assert.ok(await runFinished(fresh, argmax));
    assert.ok(!(await runFinished(fresh, search)), "the search is still to finish");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
