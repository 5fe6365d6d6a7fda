/** Comparing learned spaces (src/space/space_overlap.ts) on spaces with known overlap. */
import assert from "node:assert/strict";
import { parseCompactCell } from "../src/space/cell.ts";
import { compareSpaces } from "../src/space/space_overlap.ts";
import {
  evolvedCell,
  readSearchSpaceFile,
  type SearchSpaceFile,
} from "../src/space/search_space_file.ts";
import { REPO_ROOT, runScript } from "./_helpers.ts";

const LEARNED = "docs/runs/evolve-default/search_space.json";

async function learned(): Promise<SearchSpaceFile> {
  return readSearchSpaceFile(await Deno.readTextFile(`${REPO_ROOT}/${LEARNED}`), LEARNED);
}

/** `space` with layer index `li`'s cells replaced. */
function withCells(space: SearchSpaceFile, li: number, cells: string[]): SearchSpaceFile {
  const layers = space.layers.map((l, i) =>
    i !== li ? l : {
      ...l,
      cells: cells.map((c) => evolvedCell(space.backbone, l.layer, parseCompactCell(c), 0)),
    }
  );
  return { ...space, layers };
}

Deno.test("a space against itself: every cell shared, Jaccard 1, distances 0", async () => {
  const space = await learned();
  const o = compareSpaces([space, space, space]);
  assert.equal(o.layers.length, space.layers.length);
  for (const l of o.layers) {
    assert.equal(l.sharedByAll, l.cells[0]);
    assert.equal(l.jaccard, 1);
    assert.equal(l.opDistance, 0);
    assert.equal(l.ratioDistance, 0);
  }
  assert.equal(o.mean.sharedFraction, 1);
});

Deno.test("disjoint cells with other ops: Jaccard 0 and distances that say how far", async () => {
  const base = await learned();
  // Edges in order 0→1, 0→2, 1→2, 0→3, 1→3, 2→3; node 3 is the cell's last inner node.
  const a = withCells(base, 0, ["r6:-,-,-,id,-,-:++", "r6:dw3,-,-,-,id,-:++"]);
  const b = withCells(base, 0, ["r1:-,-,-,c3,-,-:++", "r1:c3,-,-,-,c3,-:++"]);
  const half = withCells(base, 0, ["r6:-,-,-,id,-,-:++", "r1:c3,-,-,-,c3,-:++"]);
  const [far] = compareSpaces([a, b]).layers;
  assert.equal(far.sharedByAll, 0);
  assert.equal(far.jaccard, 0);
  assert.equal(far.ratioDistance, 1, "all ratio 6 against all ratio 1");
  assert.ok(far.opDistance > 0.2 && far.opDistance < 1, `op distance ${far.opDistance}`);
  const [near] = compareSpaces([a, half]).layers;
  assert.equal(near.sharedByAll, 1);
  assert.ok(Math.abs(near.jaccard - 1 / 3) < 1e-12, `Jaccard ${near.jaccard}`);
  assert.equal(near.ratioDistance, 0.5);
  // The other layers are untouched.
  assert.equal(compareSpaces([a, b]).layers[1].jaccard, 1);
});

Deno.test("compare-spaces prints the table, and needs two spaces", async () => {
  const run = await runScript("compare_spaces.ts", LEARNED, LEARNED);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /\| mean \| 1\.00 \| 1\.00 \| 0\.00 \|/);
  assert.doesNotMatch(run.stdout, /Pair by pair/);
  const pairs = await runScript("compare_spaces.ts", LEARNED, LEARNED, LEARNED, "--pairs");
  assert.match(pairs.stdout, /Pair by pair \(3 pairs\)/);
  assert.match(pairs.stdout, /\| TV edge ops \| 0\.00 \| 0\.00 – 0\.00 \|/);
  const one = await runScript("compare_spaces.ts", LEARNED);
  assert.equal(one.code, 1);
  assert.match(one.stderr, /^compare-spaces: give at least two search_space\.json files/);
});

Deno.test("compare-spaces --null: the spaces against every group of as many null spaces", async () => {
  const dir = await Deno.makeTempDir({ prefix: "compare-null-" });
  try {
    const text = await Deno.readTextFile(`${REPO_ROOT}/${LEARNED}`);
    for (let s = 0; s < 10; s++) {
      await Deno.mkdir(`${dir}/seed${s}`);
      await Deno.writeTextFile(`${dir}/seed${s}/search_space.json`, text);
    }
    await Deno.writeTextFile(`${dir}/chance.json`, "{}"); // beside the runs, as null-evolve writes
    const run = await runScript("compare_spaces.ts", LEARNED, LEARNED, "--null", dir);
    assert.equal(run.code, 0, run.stderr);
    // Every null group is the same space twice: all 45 groups as alike, p = 1, nothing beyond.
    assert.match(run.stdout, /every group of 2 of the null spaces \(45 groups\)/);
    assert.match(
      run.stdout,
      /\| TV edge ops \| 0\.00 \| 0\.00 \| 0\.00 – 0\.00 \| 45 of 45 \| 1\.000 \| 1\.000 \| no \|/,
    );
    const empty = await Deno.makeTempDir({ prefix: "compare-null-empty-" });
    const none = await runScript("compare_spaces.ts", LEARNED, LEARNED, "--null", empty);
    await Deno.remove(empty);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /^compare-spaces: --null .*: no \*\/search_space\.json/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
