/**
 * End-to-end evolution runs through the CLI: `deno task evolve --quick` as the user
 * runs it, and a run stopped by SIGTERM at a random step then resumed giving the same
 * search space and history as an uninterrupted run (which writes a step checkpoint
 * after every step, to show that checkpoints change nothing).
 */
import assert from "node:assert/strict";
import { readSearchSpaceFile } from "../src/space/search_space_file.ts";
import { cellMAdds, REFERENCE_CELL } from "../src/space/mod.ts";
import { TEST_SIGNAL_ENV } from "../src/util/interrupt.ts";
import { runDeno, runScript } from "./_helpers.ts";

async function evolveCli(args: string[]): Promise<{ code: number; out: string }> {
  const run = await runScript("evolve.ts", ...args);
  return { code: run.code, out: `${run.stdout}\n${run.stderr}` };
}

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "evolve --quick writes a search space whose cells respect the MAdds cap",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "evolve_quick_" });
    const run = await evolveCli(["--quick", "--out", dir]);
    assert.equal(run.code, 0, run.out);
    const file = readSearchSpaceFile(await Deno.readTextFile(`${dir}/search_space.json`));
    assert.equal(file.layers.length, 7, "one entry per searchable layer of compact-28");
    const sizes = [14, 14, 14, 7, 7, 4, 4];
    file.layers.forEach((layer, i) => {
      assert.equal(layer.cells.length, 2, "K = 2 cells per layer in --quick");
      const cap = 2 *
        cellMAdds(REFERENCE_CELL, layer.cin, layer.cout, layer.stride, sizes[i], sizes[i]);
      for (const c of layer.cells) {
        assert.ok(c.madds <= cap, `layer ${layer.layer}: ${c.madds} > ${cap}`);
      }
    });
    const history = (await Deno.readTextFile(`${dir}/history.jsonl`)).trim().split("\n");
    assert.ok(history.length >= 3, `${history.length} regenerations`);
    for (const f of ["supernet_loss.png", "report.md", "cells/cell_01.png"]) {
      assert.ok((await Deno.stat(`${dir}/${f}`)).size > 0, f);
    }
    await Deno.remove(dir, { recursive: true });
  },
});

/** Runs `deno task evolve`'s script with extra environment variables. */
async function evolveCliEnv(
  args: string[],
  env: Record<string, string>,
): Promise<{ code: number; out: string }> {
  const run = await runDeno(["run", "-A", "scripts/evolve.ts", ...args], env);
  return { code: run.code, out: `${run.stdout}\n${run.stderr}` };
}

/** history.jsonl without its wall times. */
async function historyOf(dir: string): Promise<unknown[]> {
  const lines = (await Deno.readTextFile(`${dir}/history.jsonl`)).trim().split("\n");
  return lines.map((l) => {
    const { seconds: _s, ...rest } = JSON.parse(l);
    return rest;
  });
}

Deno.test({
  name:
    "evolve: SIGTERM at a random step mid fair group, then --resume: the same space and history",
  ...opts,
  // Fair sampling covers the default's resume (the data order, the sampler's random
  // state) and more: f = 5 with groups of K = 2 steps, so regenerations cut groups,
  // which apply at once, and a signal inside a group stops at its end.
  fn: async () => {
    const common = [
      "--quick",
      "--train-images",
      "256",
      "--val-images",
      "128",
      "-f",
      "5",
      "--path-sampling",
      "fair",
    ];
    const whole = await Deno.makeTempDir({ prefix: "evolve_whole_" });
    const cut = await Deno.makeTempDir({ prefix: "evolve_cut_" });
    // 24 steps (8 an epoch, 1 warm-up epoch and 2 of evolution); regenerations after 13,
    // 18 and 23. The signal lands in a random step after the warm-up, not the last.
    const at = 9 + Math.floor(Math.random() * 14);
    const a = await evolveCli([...common, "--checkpoint-every", "1", "--out", whole]);
    assert.equal(a.code, 0, a.out);
    const b1 = await evolveCliEnv([...common, "--out", cut], {
      [TEST_SIGNAL_ENV]: `SIGTERM@step:${at}`,
    });
    assert.equal(b1.code, 143, `SIGTERM at step ${at}: ${b1.out}`);
    const stop =
      /evolve: SIGTERM: stopped after step (\d+) of 24 .*continue with: deno task evolve .* --resume/
        .exec(b1.out);
    assert.ok(stop, b1.out);
    const stoppedAt = Number(stop[1]);
    assert.ok(stoppedAt === at || stoppedAt === at + 1, `at ${at}, stopped after ${stoppedAt}`);
    const b2 = await evolveCli([...common, "--out", cut, "--resume"]);
    assert.equal(b2.code, 0, b2.out);
    assert.match(b2.out, new RegExp(`resumed at step ${stoppedAt}/24`));
    const space = async (dir: string) =>
      JSON.parse(await Deno.readTextFile(`${dir}/search_space.json`)).layers;
    assert.deepEqual(await space(cut), await space(whole), `SIGTERM at step ${at}`);
    assert.deepEqual(await historyOf(cut), await historyOf(whole), `SIGTERM at step ${at}`);
    await Deno.remove(whole, { recursive: true });
    await Deno.remove(cut, { recursive: true });
  },
});
