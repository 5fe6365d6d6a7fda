/**
 * `deno task evolve` — the differentiable evolutionary algorithm (paper §3.2): evolves
 * a population of cells per layer inside a supernet and writes the best K cells per
 * layer as a search space. Flags: see `deno task evolve --help` (src/evolve/config.ts).
 */
import { EVOLVE_USAGE, parseEvolveArgs } from "../src/evolve/config.ts";
import { evolve } from "../src/evolve/evolve.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { runCli } from "./_cli.ts";

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(EVOLVE_USAGE);
  Deno.exit(0);
}

await runCli("evolve", async () => {
  const cfg = parseEvolveArgs(Deno.args);
  const gpu = await initEngine();
  console.log(
    `evolve: ${cfg.quick ? "quick smoke run, " : ""}backbone ${cfg.backbone} (${cfg.layers} ` +
      `searchable layers), K ${cfg.k}, population ${cfg.populationSize}, f ${cfg.regenerateEvery}, ` +
      `reference ${cfg.reference}, data ${cfg.data} — adapter: ${gpu.info.description}`,
  );
  try {
    await evolve(cfg);
  } finally {
    await shutdownEngine();
  }
});
