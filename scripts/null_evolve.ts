/**
 * `deno task null-evolve RUN --out DIR [--seeds LIST]` — the evolution's null model
 * (src/evolve/null_evolution.ts) for a finished `deno task evolve` run: the run's own
 * schedule, τ phases and α step sizes, but each step given to a random cell. Writes
 * DIR/seedS/search_space.json per seed (and DIR/seedS/initial_space.json, the null run's
 * initial populations), and DIR/chance.json: how alike the null spaces are, pair by pair
 * (the chance level of `deno task compare-spaces`).
 */
import { evolveConfigFromJson } from "../src/evolve/config.ts";
import type { RegenerationRecord } from "../src/evolve/history.ts";
import { nullEvolution } from "../src/evolve/null_evolution.ts";
import { NULL_EVOLVE_USAGE, parseNullEvolveArgs } from "../src/evolve/null_evolve_command.ts";
import {
  makeSearchSpaceFile,
  readSearchSpaceFile,
  writeSearchSpaceFile,
} from "../src/space/search_space_file.ts";
import { pairwiseOverlap, pairwiseOverlapMarkdown } from "../src/space/pairwise_overlap.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(NULL_EVOLVE_USAGE);
  Deno.exit(0);
}

async function readText(path: string, what: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

await runCli("null-evolve", async () => {
  const { run: runDir, out, seeds } = parseNullEvolveArgs(Deno.args);
  const spacePath = `${runDir}/search_space.json`;
  const space = readSearchSpaceFile(await readText(spacePath, "the run's space"), spacePath);
  const config = (space.meta as { config?: Record<string, unknown> } | undefined)?.config;
  if (config === undefined) {
    throw new Error(`${spacePath} has no meta.config: it was not written by deno task evolve`);
  }
  const cfg = evolveConfigFromJson(config);
  const historyPath = `${runDir}/history.jsonl`;
  const history = (await readText(historyPath, "the run's history")).split("\n")
    .filter((line) => line.trim() !== "")
    .map((line, i) => {
      try {
        return JSON.parse(line) as RegenerationRecord;
      } catch {
        throw new Error(`${historyPath} line ${i + 1} is not JSON`);
      }
    });

  const written: string[] = [];
  const spaces = [];
  for (const seed of seeds) {
    const result = nullEvolution({ cfg, backbone: space.backbone, history, seed });
    const file = makeSearchSpaceFile(space.backbone, result.layers, {
      config,
      null: { from: runDir, seed },
      regenerations: result.regenerations,
    });
    const path = `${out}/seed${seed}/search_space.json`;
    await Deno.mkdir(`${out}/seed${seed}`, { recursive: true });
    await atomicWrite(path, writeSearchSpaceFile(file));
    const initial = makeSearchSpaceFile(space.backbone, result.initial, {
      config,
      null: { from: runDir, seed },
      initial: true,
    });
    await atomicWrite(`${out}/seed${seed}/initial_space.json`, writeSearchSpaceFile(initial));
    written.push(path);
    spaces.push(file);
  }
  console.log(`null-evolve: ${written.length} null spaces of ${runDir} in ${out}`);
  if (spaces.length >= 2) {
    const chance = pairwiseOverlap(spaces);
    console.log(pairwiseOverlapMarkdown(chance, `How alike null spaces of ${runDir} are`));
    await atomicWrite(
      `${out}/chance.json`,
      JSON.stringify({ run: runDir, seeds, spaces: written, ...chance }, null, 1) + "\n",
    );
  }
});
