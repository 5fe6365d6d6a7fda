/**
 * `deno task compare-spaces A.json B.json [...]` — how alike learned search spaces are
 * (src/space/space_overlap.ts): per layer the cells every space shares, the mean
 * pairwise Jaccard overlap of the cell sets, and the distance between their mixes of
 * edge ops, ratios and aggregations. Prints a markdown table (`--pairs`: and each
 * figure's spread over the pairs); `--out BASE` also writes BASE.md and BASE.json.
 */
import { compareSpaces, spaceOverlapMarkdown } from "../src/space/space_overlap.ts";
import { pairwiseOverlap, pairwiseOverlapMarkdown } from "../src/space/pairwise_overlap.ts";
import { readSearchSpaceFile } from "../src/space/search_space_file.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { parseCli, runCli } from "./_cli.ts";

const COMPARE = {
  usage: "deno task compare-spaces SPACE.json SPACE.json [...] [--out BASE]",
  summary: "Compares learned search spaces (deno task evolve's search_space.json) layer by\n" +
    "layer: cells shared by all, mean pairwise Jaccard overlap of the cell sets, and the\n" +
    "total-variation distance between their mixes of edge ops, ratios and aggregations.",
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
  },
} as const;

await runCli("compare-spaces", async () => {
  const { values, positionals } = parseCli(COMPARE, Deno.args);
  if (positionals.length < 2) {
    throw new Error("give at least two search_space.json files to compare");
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
  const overlap = compareSpaces(spaces);
  const pairs = values.pairs ? pairwiseOverlap(spaces) : undefined;
  const markdown = spaceOverlapMarkdown(overlap, positionals) +
    (pairs ? "\n\n" + pairwiseOverlapMarkdown(pairs, "Pair by pair") : "");
  console.log(markdown);
  const out = values.out as string | undefined;
  if (out !== undefined) {
    await atomicWrite(`${out}.md`, markdown + "\n");
    await atomicWrite(
      `${out}.json`,
      JSON.stringify({ spaces: positionals, ...overlap, ...(pairs ? { pairs } : {}) }, null, 1) +
        "\n",
    );
  }
});
