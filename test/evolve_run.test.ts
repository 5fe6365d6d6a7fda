/**
 * End-to-end evolution runs through the CLI: `deno task evolve --quick` as the user
 * runs it, and resume after an interruption giving the same search space as an
 * uninterrupted run.
 */
import assert from "node:assert/strict";
import { readSearchSpaceFile } from "../src/space/search_space_file.ts";
import { cellMAdds, REFERENCE_CELL } from "../src/space/mod.ts";
import { runScript } from "./_helpers.ts";

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

/** An uninterrupted run and one stopped at `stopAt` then resumed end with the same space. */
async function resumeMatches(extra: string[], stopAt: number): Promise<void> {
  const common = ["--quick", "--train-images", "256", "--val-images", "128", ...extra];
  const whole = await Deno.makeTempDir({ prefix: "evolve_whole_" });
  const cut = await Deno.makeTempDir({ prefix: "evolve_cut_" });
  const a = await evolveCli([...common, "--out", whole]);
  assert.equal(a.code, 0, a.out);
  const b1 = await evolveCli([...common, "--out", cut, "--stop-after", String(stopAt)]);
  assert.equal(b1.code, 0, b1.out);
  assert.match(b1.out, new RegExp(`stopped at step ${stopAt}`));
  const b2 = await evolveCli([...common, "--out", cut, "--resume"]);
  assert.equal(b2.code, 0, b2.out);
  assert.match(b2.out, /resumed at step 1\d\//);
  const layers = (text: string) => JSON.parse(text).layers;
  assert.deepEqual(
    layers(await Deno.readTextFile(`${cut}/search_space.json`)),
    layers(await Deno.readTextFile(`${whole}/search_space.json`)),
  );
  await Deno.remove(whole, { recursive: true });
  await Deno.remove(cut, { recursive: true });
}

Deno.test({
  name: "evolve --resume after an interruption mid fair group ends with the same search space",
  ...opts,
  // Fair sampling covers the default's resume (the data order, the sampler's random
  // state) and more: f = 5 with groups of K = 2 steps, so regenerations cut groups,
  // which apply at once, and the stop at step 19 falls inside a group.
  fn: () => resumeMatches(["-f", "5", "--path-sampling", "fair"], 19),
});
