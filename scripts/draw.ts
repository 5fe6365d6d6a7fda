/**
 * `deno task draw --space SPACE (--match NETWORK.json | --madds X)` — a uniform random
 * network of a search space at a target MAdds (±`--tolerance`): the control a found
 * network is measured against. Writes network.json (for deno task train --arch),
 * net.config, choices.json, cells/, draw.json, result.json and report.md.
 * Flags and defaults: `deno task draw --help` (src/search/draw_command.ts).
 */
import {
  describeDraw,
  DRAW_USAGE,
  parseDrawArgs,
  prepareDraw,
  runDraw,
} from "../src/search/draw_command.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(DRAW_USAGE);
  Deno.exit(0);
}

await runCli("draw", async () => {
  const prepared = await prepareDraw(parseDrawArgs(Deno.args)); // checked before anything is written
  console.log(`draw: ${describeDraw(prepared)}`);
  await runDraw(prepared);
});
