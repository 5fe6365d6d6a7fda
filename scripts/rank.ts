/**
 * `deno task rank` — the paper's fitness-robustness experiment (Table 6): the true
 * ranking of three networks of one block type and different depths, then the
 * differentiable fitness of §3.2 learned over the three as the paths of a supernet from
 * every initial α of Table 6; writes rank.json, report.md and α charts.
 * Flags: `deno task rank --help`; defaults and their reasons: src/rank/config.ts.
 */
import { parseRankArgs, RANK_USAGE } from "../src/rank/config.ts";
import { checkOutFolder, runRank } from "../src/rank/rank.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { removeEmptyFoldersOnFailure } from "../src/util/output_folder.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(RANK_USAGE);
  Deno.exit(0);
}

await runCli("rank", async () => {
  const config = parseRankArgs(Deno.args);
  await checkOutFolder(config); // before the slow device start: a wrong --out fails at once

  const gpu = await initEngine();
  const images = config.trainImages || "all";
  console.log(
    `rank: ${config.quick ? "quick smoke run, " : ""}depths ${config.depths.join(", ")}; ` +
      `${config.trueSeeds} seed(s) × ${config.trueEpochs} epochs standalone; Table 6 rows ` +
      `${config.rows.join(", ")} × α scales ${config.alphaScales.join(", ")}, ` +
      `${config.epochs} epochs each; ${images} training images — adapter: ${gpu.info.description}`,
  );
  try {
    await removeEmptyFoldersOnFailure(config.out, () => runRank(config));
  } finally {
    await shutdownEngine();
  }
});
