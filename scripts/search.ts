/**
 * `deno task search --space SPACE` — searches a network inside a learned or manual
 * search space (paper §3.3) with ProxylessNAS's gradient or REINFORCE search, Single
 * Path One-Shot or random search, under Eq. 6's MAdds term and a hard MAdds cap; writes
 * network.json, net.config, choices, cell drawings, history.jsonl, curves and report.md.
 * Flags and defaults: `deno task search --help` (src/search/config.ts).
 */
import { parseSearchArgs, SEARCH_USAGE } from "../src/search/config.ts";
import { describeSearch, prepareSearch, runSearch } from "../src/search/search.ts";
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
  const [first, ...rest] = describeSearch(prepared);
  console.log(`search: ${first} — adapter: ${gpu.info.description}`);
  for (const line of rest) console.log(`search: ${line}`);
  try {
    // A refusal after this point leaves no empty results folder behind.
    await removeEmptyFoldersOnFailure(cfg.out, () => runSearch(prepared));
  } finally {
    await shutdownEngine();
  }
});
