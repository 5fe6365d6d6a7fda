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
import { atomicWrite } from "../src/util/atomic_write.ts";
import { parseCli, runCli } from "./_cli.ts";

const COMPARE = {
  usage: "deno task compare-spaces SPACE.json SPACE.json [...] [--pairs] [--figures] [--out BASE]",
  summary: "Compares learned search spaces (deno task evolve's search_space.json) layer by\n" +
    "layer: cells shared by all, mean pairwise Jaccard overlap of the cell sets, and the\n" +
    "total-variation distance between their mixes of edge ops, ratios and aggregations.\n" +
    "With --figures, also what each space's cells are like (one space is enough): op mix\n" +
    "of the live edges, ratios, product nodes, MAdds a cell, depth. A run's\n" +
    "initial_space.json holds its initial populations.",
  positionals: true,
  flags: {
    out: {
      type: "string",
      arg: "BASE",
      defaultText: "none: print the table only",
      help: "also write BASE.md and BASE.json",
    },
    pairs: {
      type: "boolean",
      default: false,
      help: "also each figure's mean and range over the pairs of spaces, as\n" +
        "deno task null-evolve reports its chance level",
    },
    null: {
      type: "string",
      arg: "DIR",
      defaultText: "none",
      help: "also test the spaces given against the null spaces in DIR/*/search_space.json\n" +
        "(deno task null-evolve's folders): each figure's mean over their pairs against\n" +
        "every group of as many null spaces, one-sided p, Holm over the figures",
    },
    figures: {
      type: "boolean",
      default: false,
      help: "also each space's op mix of the live edges, ratios, product nodes, MAdds\n" +
        "a cell and depth (the means of its layers)",
    },
  },
} as const;

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
  const { values, positionals } = parseCli(COMPARE, Deno.args);
  const least = values.figures ? 1 : 2;
  if (positionals.length < least) {
    throw new Error(
      values.figures
        ? "give at least one search_space.json file"
        : "give at least two search_space.json files to compare (or one with --figures)",
    );
  }
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
  const pairs = values.pairs && spaces.length >= 2 ? pairwiseOverlap(spaces) : undefined;
  const nullDir = values.null as string | undefined;
  const againstNull = nullDir === undefined
    ? undefined
    : stabilityAgainstNull(spaces, await readNullSpaces(nullDir));
  const figures = values.figures
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
  const out = values.out as string | undefined;
  if (out !== undefined) {
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
