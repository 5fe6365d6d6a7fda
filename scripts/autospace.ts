/**
 * `deno task autospace --data fashion-mnist --madds-max 10M` — evolve → search → train →
 * export in one results folder, each stage resumable and skipped when done, then
 * OUT/report.md. Stage flags pass through as --STAGE.FLAG. Flags and defaults:
 * `deno task autospace --help` (src/autospace/config.ts); the work: src/autospace/.
 */
import { AUTOSPACE_USAGE, parseAutospaceArgs } from "../src/autospace/config.ts";
import { runAutospace } from "../src/autospace/pipeline.ts";
import { shutdownEngine } from "../src/tensor/init.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(AUTOSPACE_USAGE);
  Deno.exit(0);
}

await runCli("autospace", async () => {
  const config = parseAutospaceArgs(Deno.args); // every stage's flags, before anything runs
  try {
    const { found } = await runAutospace(config);
    if (found) {
      console.log(
        `autospace: ${found.name}: ${(found.madds / 1e6).toFixed(2)}M MAdds, ` +
          `${found.params} params, test top-1 ${(100 * found.test.top1).toFixed(2)}%, ` +
          `${found.latency.ms.toFixed(2)} ms at batch 1 on this adapter — ${found.onnx}`,
      );
    }
  } finally {
    await shutdownEngine();
  }
});
