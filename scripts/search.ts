/**
 * `deno task search --space SPACE` — searches a network inside a learned or manual
 * search space (paper §3.3) with ProxylessNAS's gradient or REINFORCE search, Single
 * Path One-Shot or random search, under Eq. 6's MAdds term and a hard MAdds cap; writes
 * network.json, net.config, choices, cell drawings, history.jsonl, curves and report.md.
 * Flags and defaults: `deno task search --help` (src/search/config.ts).
 */
import { parseSearchArgs, SEARCH_USAGE } from "../src/search/config.ts";
import { prepareSearch, runSearch } from "../src/search/search.ts";
import { formatMAdds } from "../src/space/counting.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { removeEmptyFoldersOnFailure } from "../src/util/output_folder.ts";
import { joinNegativeValues, runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(SEARCH_USAGE);
  Deno.exit(0);
}

await runCli("search", async () => {
  // "--lambda -1" reaches the range check instead of node:util's "ambiguous" message.
  const cfg = parseSearchArgs(joinNegativeValues(Deno.args, () => true));
  const prepared = await prepareSearch(cfg); // the budget is checked before the GPU starts
  const gpu = await initEngine();
  const { costs } = prepared;
  const paths = costs.choices.reduce((n, k) => n * k, 1);
  console.log(
    `search: ${cfg.quick ? "quick smoke run, " : ""}${cfg.algo} in ${cfg.space} ` +
      `(${costs.searchable.length} searchable layers, ${paths.toExponential(2)} networks, ` +
      `cheapest ${formatMAdds(prepared.cheapestMAdds)} MAdds` +
      (cfg.maddsMax === null ? "" : `, cap ${formatMAdds(cfg.maddsMax)}`) +
      `), data ${cfg.data} — adapter: ${gpu.info.description}`,
  );
  const { input: given } = prepared.input.space;
  const { input: used } = prepared.space;
  if (given.size !== used.size || given.channels !== used.channels) {
    console.log(
      `search: the space was written for ${given.size}×${given.size}×${given.channels} images; ` +
        `it runs on the data's ${used.size}×${used.size}×${used.channels}, and MAdds are counted there`,
    );
  }
  try {
    // A refusal after this point leaves no empty results folder behind.
    await removeEmptyFoldersOnFailure(cfg.out, () => runSearch(prepared));
  } finally {
    await shutdownEngine();
  }
});
