/**
 * The differentiable evolutionary algorithm (paper §3.2, Figure 2), run end to end:
 *
 *   every f weight steps: Eq. 5 folds the supernet's α* into the population's
 *   fitness; tournament selection picks K cells per layer; the winners' mutated
 *   children join the population (under τ of the reference DAG during the first
 *   half, Eq. 2); the supernet's mixed layers are rebuilt from the weight bank, whose
 *   modules are shared by the cells of a layer (weights inherited, §3.3).
 *   weight steps (training split): one path per layer, sampled ∝ p = softmax(α), uniformly,
 *   or fairly (`--path-sampling`, src/supernet/path_sampling.ts).
 *   fitness steps (held-out split): two paths per layer, binary gates, ∂L/∂g from
 *   the GPU, Eq. 4 on the host (with its compensation factor), Adam (β1 = 0).
 *
 * At the end the top-K cells of each layer form the learned search space.
 *
 * Host syncs: one per fitness step (the gate gradients of all layers in one read,
 * because the next step's path sampling needs the new p on the host) and one per
 * `logEvery` weight steps for metrics. Weight steps themselves never wait.
 */
import { Progress } from "../util/progress.ts";
import { formatCell } from "../space/cell.ts";
import { makeSearchSpaceFile, writeSearchSpaceFile } from "../space/search_space_file.ts";
import { runStepLoop } from "../supernet/step_loop.ts";
import { applyPendingUpdate } from "../supernet/supernet_steps.ts";
import { cosineLr } from "../train/schedule.ts";
import { atomicWrite, writeJsonLines } from "../util/atomic_write.ts";
import { type EvolveConfig, evolveConfigToJson } from "./config.ts";
import type { RegenerationRecord } from "./history.ts";
import { disposeEvolution, openEvolution } from "./run_state.ts";
import { foldFinalFitness, regenerate } from "./regenerate.ts";
import { evolvePathSampler, evolveWeightStep } from "./weight_step.ts";
import { fitnessStep } from "./fitness_step.ts";
import {
  evolveCheckpointPath,
  restoreEvolveCheckpoint,
  saveEvolveCheckpoint,
} from "./checkpoint.ts";
import { writeEvolveReport } from "./report.ts";

export { evolveCheckpointPath } from "./checkpoint.ts";
export type { RegenerationRecord } from "./history.ts";

export interface EvolveResult {
  history: RegenerationRecord[];
  spacePath: string;
  seconds: number;
}

/** Runs the evolution; writes everything under cfg.out. */
export async function evolve(
  cfg: EvolveConfig,
  log: (s: string) => void = console.log,
): Promise<EvolveResult> {
  const t0 = performance.now();
  await Deno.mkdir(cfg.out, { recursive: true });
  const run = await openEvolution(cfg);
  const {
    backbone,
    opt,
    layers,
    trainLoader,
    heldOut,
    trainMetrics,
    valMetrics,
    history,
    position,
  } = run;
  const { stepsPerEpoch, totalSteps, warmupSteps } = run.schedule;
  const ckptPath = evolveCheckpointPath(cfg.out);

  const pathSampler = evolvePathSampler(run);

  // --- the run -------------------------------------------------------------------------
  if (cfg.resume) {
    await restoreEvolveCheckpoint(run);
    log(`evolve: resumed at step ${position.step}/${totalSteps}, regeneration ${run.regeneration}`);
  } else {
    regenerate(run, true);
  }
  const progress = new Progress({
    label: "evolve",
    total: totalSteps,
    unitsPerStep: cfg.batchSize,
    unitName: "img",
  });
  const startStep = position.step;
  // Checkpoints are written right after a regeneration.
  let sinceRegen = cfg.resume ? 0 : position.step;
  let regenStart = performance.now();
  let lastTrain = { loss: NaN, top1: NaN };
  const drainTrain = async () => {
    let window;
    try {
      window = await trainMetrics.drain();
    } catch (err) {
      throw new Error(
        `evolve: ${(err as Error).message} by step ${position.step}; last checkpoint: ${ckptPath}`,
      );
    }
    if (window.examples > 0) lastTrain = { loss: window.loss, top1: window.top1 };
  };
  let lr = cfg.weightLr;
  try {
    const { stopped } = await runStepLoop(position, {
      trainLoader,
      totalSteps,
      warmupSteps,
      archEvery: cfg.archUpdateEvery,
      heldOut,
      stopAfter: cfg.stopAfter,
    }, {
      weightStep: (batch, step) => {
        lr = cosineLr({ baseLr: cfg.weightLr, totalSteps, warmupSteps: 0 }, step);
        evolveWeightStep(run, pathSampler, batch, lr);
      },
      archStep: (batch, step) => fitnessStep(run, batch, step - warmupSteps),
      afterStep: async (step) => {
        sinceRegen++;
        if (step % cfg.logEvery === 0) {
          await drainTrain();
          progress.update(step - startStep, {
            loss: lastTrain.loss,
            acc: lastTrain.top1,
            regen: run.regeneration,
          });
        }
        if (step > warmupSteps && sinceRegen >= cfg.regenerateEvery) {
          // A regeneration swaps the candidates: a fair group's gradients apply first.
          if (pathSampler.flush()) applyPendingUpdate(opt, lr);
          await drainTrain();
          await valMetrics.drain(false);
          const val = valMetrics.takeTotal();
          const train = trainMetrics.takeTotal();
          const { stats, useRef } = regenerate(run, false);
          history.push({
            regeneration: run.regeneration,
            step,
            epoch: step / stepsPerEpoch,
            trainLoss: train.loss,
            trainTop1: train.top1,
            valLoss: val.loss,
            valTop1: val.top1,
            lr,
            useReference: useRef,
            seconds: (performance.now() - regenStart) / 1000,
            layers: stats,
          });
          regenStart = performance.now();
          sinceRegen = 0;
          await writeJsonLines(`${cfg.out}/history.jsonl`, history);
          await saveEvolveCheckpoint(run);
        }
      },
    });
    if (stopped) {
      log(`evolve: stopped at step ${position.step} (--stop-after); continue with --resume`);
      return { history, spacePath: "", seconds: (performance.now() - t0) / 1000 };
    }
    if (pathSampler.flush()) applyPendingUpdate(opt, lr);
    await drainTrain();
    progress.update(
      position.step - startStep,
      { loss: lastTrain.loss, acc: lastTrain.top1 },
      true,
    );
    // Final Eq. 5 fold of the last supernet, then the top-K cells per layer.
    foldFinalFitness(run);
    const file = makeSearchSpaceFile(
      backbone,
      layers.map((s) => s.population.toSearchSpaceLayer(cfg.k)),
      { config: evolveConfigToJson(cfg), steps: position.step, regenerations: run.regeneration },
    );
    const spacePath = `${cfg.out}/search_space.json`;
    await atomicWrite(spacePath, writeSearchSpaceFile(file));
    const seconds = (performance.now() - t0) / 1000;
    await writeEvolveReport(
      cfg.out,
      history,
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
    return { history, spacePath, seconds };
  } finally {
    disposeEvolution(run);
  }
}
