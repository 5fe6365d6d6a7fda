/**
 * `deno task compare-spaces A.json B.json [...]` — how alike learned search spaces are
 * (src/space/space_overlap.ts): per layer the cells every space shares, the mean
 * pairwise Jaccard overlap of the cell sets, and the distance between their mixes of
 * edge ops, ratios and aggregations. Prints a markdown table (`--pairs`: and each
 * figure's spread over the pairs; `--figures`: what each space's cells are like, from
 * one space up, src/space/space_figures.ts); `--out BASE` also writes BASE.md and
 * BASE.json.
 */
import { compareSpaces, spaceOverlapMarkdown } from "../src/space/space_overlap.ts";
import { pairwiseOverlap, pairwiseOverlapMarkdown } from "../src/space/pairwise_overlap.ts";
import { readSearchSpaceFile } from "../src/space/search_space_file.ts";
import { spaceFigures, spaceFiguresMarkdown } from "../src/space/space_figures.ts";
import {
  stabilityAgainstNull,
  stabilityAgainstNullMarkdown,
} from "../src/space/stability_vs_null.ts";
import { COMPARE_USAGE, parseCompareArgs } from "../src/space/compare_command.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(COMPARE_USAGE);
  Deno.exit(0);
}

/** The null spaces of a `deno task null-evolve` folder: DIR/<run>/search_space.json, by name. */
async function readNullSpaces(dir: string) {
  const runs: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) if (entry.isDirectory) runs.push(entry.name);
  } catch (err) {
    throw new Error(`--null ${dir}: ${(err as Error).message}`);
  }
  const spaces = [];
  for (const run of runs.sort()) {
    const file = `${dir}/${run}/search_space.json`;
    try {
      spaces.push(readSearchSpaceFile(await Deno.readTextFile(file), file));
    } catch (err) {
      if (err instanceof Deno.errors.NotFound) continue; // not a null run's folder
      throw err;
    }
  }
  if (spaces.length === 0) {
    throw new Error(`--null ${dir}: no */search_space.json; give deno task null-evolve's --out`);
  }
  return spaces;
}

await runCli("compare-spaces", async () => {
  const request = parseCompareArgs(Deno.args);
  const positionals = request.spaces;
  const spaces = [];
  for (const file of positionals) {
    let text: string;
    try {
      text = await Deno.readTextFile(file);
    } catch (err) {
      throw new Error(`cannot read ${file}: ${(err as Error).message}`);
    }
    spaces.push(readSearchSpaceFile(text, file));
  }
  const overlap = spaces.length >= 2 ? compareSpaces(spaces) : undefined;
  const pairs = request.pairs && spaces.length >= 2 ? pairwiseOverlap(spaces) : undefined;
  const nullDir = request.null;
  const againstNull = nullDir === null
    ? undefined
    : stabilityAgainstNull(spaces, await readNullSpaces(nullDir));
  const figures = request.figures
    ? spaces.map((space, i) => ({ name: positionals[i], figures: spaceFigures(space) }))
    : undefined;
  const markdown = [
    ...(overlap ? [spaceOverlapMarkdown(overlap, positionals)] : []),
    ...(pairs ? [pairwiseOverlapMarkdown(pairs, "Pair by pair")] : []),
    ...(againstNull ? [stabilityAgainstNullMarkdown(againstNull)] : []),
    ...(figures
      ? [
        "What the cells are like (means of the layers)\n\n" +
        spaceFiguresMarkdown(figures),
      ]
      : []),
  ].join("\n\n");
  console.log(markdown);
  const out = request.out;
  if (out !== null) {
    await atomicWrite(`${out}.md`, markdown + "\n");
    const json = {
      spaces: positionals,
      ...overlap,
      ...(pairs ? { pairs } : {}),
      ...(againstNull ? { againstNull: { null: nullDir, ...againstNull } } : {}),
      ...(figures ? { figures: figures.map((f) => f.figures) } : {}),
    };
    await atomicWrite(`${out}.json`, JSON.stringify(json, null, 1) + "\n");
  }
});
