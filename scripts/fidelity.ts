/**
 * `deno task fidelity` — how much does the supernet know? Samples networks of a space,
 * trains each alone (the ground truth, cached), trains supernets over the space with
 * each setting (search loop × weight-step path sampling), scores the networks in them
 * and reports Kendall τ / Spearman ρ with bootstrap intervals, the top-k overlap and the
 * noise ceiling of the seeds' mean; `--report-only` recomputes the statistics of a finished
 * run from its fidelity.json. Flags: src/fidelity/command.ts; defaults and their reasons:
 * src/fidelity/config.ts.
 */
import { FIDELITY_USAGE, parseFidelityArgs } from "../src/fidelity/command.ts";
import { checkFidelityOut, rewriteFidelityReport, runFidelity } from "../src/fidelity/fidelity.ts";
import type { FidelityResult } from "../src/fidelity/result.ts";
import { withInterval } from "../src/fidelity/report.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(FIDELITY_USAGE);
  Deno.exit(0);
}

/** The figures a run ends with, one line each. */
function printSummary(result: FidelityResult, out: string): void {
  const c = result.noiseCeiling;
  if (c) {
    console.log(
      `fidelity: seed vs seed τ ${withInterval(c.seedVsSeed.tau)}; noise ceiling of the ` +
        `${c.seeds}-seed mean τ ${withInterval(c.tau)}`,
    );
  }
  for (const s of result.settings) {
    const last = s.epochs.at(-1);
    if (last) {
      console.log(
        `fidelity: ${s.setting.name} epoch ${last.epoch}: τ ${withInterval(last.heldOut.tau)}` +
          (last.logP ? `, Σ log p τ ${withInterval(last.logP.tau)}` : ""),
      );
    }
  }
  console.log(`fidelity: wrote ${out}/report.md`);
}

await runCli("fidelity", async () => {
  const request = parseFidelityArgs(Deno.args);
  if (request.reportOnly) {
    printSummary(await rewriteFidelityReport(request.out), request.out);
    return;
  }
  const cfg = request.config;
  await checkFidelityOut(cfg); // before the slow device start
  const gpu = await initEngine();
  console.log(
    `fidelity: ${cfg.quick ? "quick smoke run, " : ""}${cfg.networks} networks of ${cfg.space}; ` +
      `settings ${cfg.settings.map((s) => s.name).join(", ")} — adapter: ${gpu.info.description}`,
  );
  try {
    printSummary(await runFidelity(cfg), cfg.out);
  } finally {
    await shutdownEngine();
  }
});
