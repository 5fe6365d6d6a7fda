/**
 * The end of an evolution: the last supernet's α* folded into the fitness (Eq. 5), the
 * top-K cells of each layer written as the learned search space (search_space.json),
 * the report beside it, and a log line per layer naming its best cell. And its start:
 * every initial cell, as the space the learned one is compared with
 * (initial_space.json, `deno task compare-spaces --figures`).
 */
import { formatCell } from "../space/cell.ts";
import { makeSearchSpaceFile, writeSearchSpaceFile } from "../space/search_space_file.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { evolveConfigToJson } from "./config.ts";
import { foldFinalFitness } from "./regenerate.ts";
import { writeEvolveReport } from "./report.ts";
import type { EvolutionRun } from "./run_state.ts";

/** Where an evolution writes its initial populations. */
export function initialSpacePath(out: string): string {
  return `${out}/initial_space.json`;
}

/**
 * Writes each layer's whole initial population (before the first regeneration's
 * children) as a search-space file: what the evolution started from.
 */
export async function writeInitialSpace(run: EvolutionRun): Promise<void> {
  const file = makeSearchSpaceFile(
    run.backbone,
    run.layers.map((s) => s.population.toSearchSpaceLayer(s.population.size)),
    { config: evolveConfigToJson(run.cfg), initial: true },
  );
  await atomicWrite(initialSpacePath(run.cfg.out), writeSearchSpaceFile(file));
}

/**
 * Folds the last supernet and writes search_space.json and the report under cfg.out.
 * `startedAt` (a `performance.now()` time) dates the run for its duration.
 */
export async function writeLearnedSpace(
  run: EvolutionRun,
  startedAt: number,
  log: (s: string) => void,
): Promise<{ spacePath: string; seconds: number }> {
  const { cfg, layers } = run;
  await foldFinalFitness(run);
  const file = makeSearchSpaceFile(
    run.backbone,
    layers.map((s) => s.population.toSearchSpaceLayer(cfg.k)),
    { config: evolveConfigToJson(cfg), steps: run.position.step, regenerations: run.regeneration },
  );
  const spacePath = `${cfg.out}/search_space.json`;
  await atomicWrite(spacePath, writeSearchSpaceFile(file));
  const seconds = (performance.now() - startedAt) / 1000;
  await writeEvolveReport(
    cfg.out,
    run.history,
    layers.map((s) => ({
      layer: s.layer,
      top: s.population.top(cfg.k).map((e) => ({
        id: e.id,
        cell: e.cell,
        fitness: e.fitness,
        madds: e.madds,
      })),
    })),
  );
  log(
    `evolve: wrote ${spacePath} (${layers.length} layers × ${cfg.k} cells) in ${
      seconds.toFixed(0)
    } s`,
  );
  for (const s of layers) {
    const best = s.population.top(1)[0];
    log(`  layer ${s.layer}: best ${formatCell(best.cell)} (α ${best.fitness.toFixed(3)})`);
  }
  return { spacePath, seconds };
}
