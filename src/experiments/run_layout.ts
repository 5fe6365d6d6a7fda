/**
 * Where an experiment run's stages write inside the plan's folder, which files say each
 * stage finished, and the commands a run amounts to: paths only, nothing runs here.
 */
import type { EvolveRun, ExperimentRun, SearchTrainRun } from "./plans.ts";

/** Whether a run trains a network another run's search wrote (`trainFrom`): no first stage. */
export function isTrainFromRun(
  run: ExperimentRun,
): run is SearchTrainRun & { trainFrom: { run: string; network: string } } {
  return run.kind === "search-train" && run.trainFrom !== undefined;
}

/** Whether a run's first stage is a draw at another run's MAdds (`drawMatching`). */
export function isDrawRun(run: ExperimentRun): run is SearchTrainRun & { drawMatching: string } {
  return run.kind === "search-train" && run.drawMatching !== undefined;
}

/** Whether a run's first stage is a draw, matched or at its own target (`draw`). */
export function drawsFirst(run: ExperimentRun): boolean {
  return run.kind === "search-train" && (run.drawMatching !== undefined || run.draw === true);
}

/**
 * Where a run's stages write, inside the plan's folder; `network` is what the training
 * trains: the search's found network, or a draw run's drawn one.
 */
export function runLayout(planOut: string, run: ExperimentRun) {
  const root = `${planOut}/${run.id}`;
  const draw = `${root}/draw`;
  return {
    root,
    evolve: `${root}/evolve`,
    search: `${root}/search`,
    draw,
    network: drawsFirst(run)
      ? `${draw}/network.json`
      : isTrainFromRun(run)
      ? `${planOut}/${run.trainFrom.run}/search/${run.trainFrom.network}`
      : `${root}/search/network.json`,
    train: `${root}/train`,
  };
}

/** The found network a draw run draws at the MAdds of: its matched run's search output. */
export function matchedNetwork(planOut: string, run: SearchTrainRun & { drawMatching: string }) {
  return `${planOut}/${run.drawMatching}/search/network.json`;
}

/**
 * The files each stage writes last: all present means the stage finished. `search` is
 * the first stage's: the search's, or a draw run's draw.
 */
export function stageDone(planOut: string, run: SearchTrainRun) {
  const p = runLayout(planOut, run);
  const first = drawsFirst(run) ? p.draw : p.search;
  if (isTrainFromRun(run)) {
    return {
      search: [p.network],
      train: [`${p.train}/metrics.jsonl`, `${p.train}/model.onnx`],
    };
  }
  return {
    search: [
      p.network,
      `${first}/result.json`,
      `${first}/report.md`,
      ...(drawsFirst(run) ? [`${p.draw}/draw.json`] : []),
    ],
    train: run.searchOnly ? [] : [`${p.train}/metrics.jsonl`, `${p.train}/model.onnx`],
  };
}

/** The files an evolution writes last. */
export function evolveDone(planOut: string, run: EvolveRun): string[] {
  const p = runLayout(planOut, run);
  return [`${p.evolve}/search_space.json`, `${p.evolve}/report.md`];
}

/** Every file that says `run` is finished. */
export function runDone(planOut: string, run: ExperimentRun): string[] {
  if (run.kind === "evolve") return evolveDone(planOut, run);
  const done = stageDone(planOut, run);
  return [...done.search, ...done.train];
}

/** The commands a run amounts to, as a user would type them. */
export function runCommands(planOut: string, run: ExperimentRun): Record<string, string> {
  const p = runLayout(planOut, run);
  if (run.kind === "evolve") {
    return { evolve: ["deno task evolve", ...run.evolveArgs, "--out", p.evolve].join(" ") };
  }
  if (drawsFirst(run)) {
    return {
      draw: ["deno task draw", ...drawArgs(planOut, run)].join(" "),
      train: ["deno task train --arch", p.network, ...run.trainArgs, "--out", p.train].join(" "),
    };
  }
  const train = ["deno task train --arch", p.network, ...run.trainArgs, "--out", p.train].join(" ");
  if (isTrainFromRun(run)) return { train };
  const search = ["deno task search", ...run.searchArgs, "--out", p.search].join(" ");
  if (run.searchOnly) return { search };
  return { search, train };
}

/** A draw run's `deno task draw` flags: the plan's, the matched network if any, and --out. */
export function drawArgs(planOut: string, run: SearchTrainRun): string[] {
  return [
    ...run.searchArgs,
    ...(isDrawRun(run) ? ["--match", matchedNetwork(planOut, run)] : []),
    "--out",
    runLayout(planOut, run).draw,
  ];
}
