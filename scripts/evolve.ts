/**
 * `deno task evolve` — the differentiable evolutionary algorithm (paper §3.2): evolves
 * a population of cells per layer inside a supernet and writes the best K cells per
 * layer as a search space. Flags: see `deno task evolve --help` (src/evolve/config.ts).
 */
import { describeEvolveRun, EVOLVE_USAGE, parseEvolveArgs } from "../src/evolve/config.ts";
import { evolve } from "../src/evolve/evolve.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { removeEmptyFoldersOnFailure } from "../src/util/output_folder.ts";
import { joinNegativeValues, runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(EVOLVE_USAGE);
  Deno.exit(0);
}

await runCli("evolve", async () => {
  // "--epochs -1" reaches the range check ("must be > 0") instead of node:util's
  // "ambiguous" message; a boolean flag given a value is still refused by the parser.
  const cfg = parseEvolveArgs(joinNegativeValues(Deno.args, () => true));
  const gpu = await initEngine();
  console.log(`evolve: ${describeEvolveRun(cfg)} — adapter: ${gpu.info.description}`);
  try {
    // A refusal (missing or bad data, no checkpoint to resume) leaves no empty folder.
    await removeEmptyFoldersOnFailure(cfg.out, () => evolve(cfg));
  } finally {
    await shutdownEngine();
  }
});
