/**
 * `deno task evolve`: the differentiable evolutionary algorithm (paper §3.2, Figure 2),
 * run end to end in named parts:
 *
 *   open (src/evolve/run_state.ts): the data, the supernet, its optimiser, the weight
 *   bank and each searchable layer's initial population; or, with `--resume`, all of
 *   that restored from the checkpoint (src/evolve/checkpoint.ts).
 *   regenerate (src/evolve/regenerate.ts), first at the start and then every f weight
 *   steps after the warm-up: Eq. 5 folds the supernet's α* into the population's
 *   fitness; tournament selection picks K cells per layer; the winners' mutated
 *   children join the population (under τ of the reference DAG during the first half,
 *   Eq. 2); the mixed layers are rebuilt from the weight bank, whose modules are shared
 *   by the cells of a layer (weights inherited, §3.3). Each regeneration adds a line to
 *   history.jsonl and writes the checkpoint; step checkpoints between them every
 *   `--checkpoint-every`, and one when a signal stops the run after the step in progress.
 *   weight steps (training split, src/evolve/weight_step.ts): one path per layer,
 *   uniformly (the default), ∝ p = softmax(α), or fairly (`--path-sampling`).
 *   fitness steps (held-out split, src/evolve/fitness_step.ts), by `--fitness`: binary
 *   gates, ∂L/∂g from the GPU, Eq. 4 on the host with its compensation factor, Adam on
 *   α (`alpha`, the paper); or single paths' held-out losses credited to their cells
 *   (`accuracy`, src/evolve/path_credit.ts); or both (`mixed`); or every sampled cell
 *   of every layer against its layer's others in one context (`paired`).
 *   write (src/evolve/learned_space.ts): the initial populations at the start
 *   (initial_space.json); at the end a last Eq. 5 fold, then the top-K cells of each
 *   layer as the learned search space, and the report.
 *
 * Host syncs: one per Eq. 4 fitness step (the gate gradients of all layers in one read,
 * because the next step's path sampling needs the new p on the host), one per
 * `logEvery` weight steps for metrics, and one per regeneration for the held-out
 * metrics and, under `--fitness accuracy|mixed|paired`, one more for the paths' losses.
 * Weight steps and the fitness steps of `accuracy` and `paired` never wait.
 */
import { checkpointEveryOf } from "../supernet/run_settings.ts";
import { runStepLoop, type StepLoopEnd } from "../supernet/step_loop.ts";
import { applyPendingUpdate } from "../supernet/supernet_steps.ts";
import type { WeightPathSampler } from "../supernet/path_sampling.ts";
import type { SupernetData } from "../supernet/search_data.ts";
import { cosineLr } from "../train/schedule.ts";
import { writeJsonLines } from "../util/atomic_write.ts";
import { InterruptedError, watchInterrupts } from "../util/interrupt.ts";
import {
  evolveCheckpointPath,
  restoreEvolveCheckpoint,
  saveEvolveCheckpoint,
  type StepPosition,
} from "./checkpoint.ts";
import type { EvolveConfig } from "./config.ts";
import { fitnessStep } from "./fitness_step.ts";
import type { RegenerationRecord } from "./history.ts";
import { writeInitialSpace, writeLearnedSpace } from "./learned_space.ts";
import { regenerate } from "./regenerate.ts";
import { disposeEvolution, type EvolutionRun, openEvolution } from "./run_state.ts";
import { TrainingProgress } from "./training_progress.ts";
import { evolvePathSampler, evolveWeightStep } from "./weight_step.ts";

export { evolveCheckpointPath } from "./checkpoint.ts";
export type { RegenerationRecord } from "./history.ts";

export interface EvolveResult {
  history: RegenerationRecord[];
  /** search_space.json; "" when `--stop-after` interrupted the run. */
  spacePath: string;
  seconds: number;
}

/** What a caller may change about a run beyond its config (tests, benchmarks). */
export interface EvolveOptions {
  /** The splits to run on instead of opening `cfg.data` (synthetic data). */
  readonly data?: SupernetData;
  /**
   * Called with the freshly opened run before anything else: before the first
   * regeneration, or before the checkpoint is restored under `--resume`.
   */
  readonly prepare?: (run: EvolutionRun) => void;
}

/** Runs the evolution; writes everything under cfg.out. */
export function evolve(
  cfg: EvolveConfig,
  log: (s: string) => void = console.log,
): Promise<EvolveResult> {
  return evolveWith(cfg, {}, log);
}

/** `evolve` with what `options` changes (other data, a hook on the opened run). */
export async function evolveWith(
  cfg: EvolveConfig,
  options: EvolveOptions,
  log: (s: string) => void = console.log,
): Promise<EvolveResult> {
  const t0 = performance.now();
  await Deno.mkdir(cfg.out, { recursive: true });
  const run = await openEvolution(cfg, options.data);
  const pathSampler = evolvePathSampler(run);
  options.prepare?.(run);
  let since: StepPosition = { sinceRegeneration: 0 };
  if (cfg.resume) {
    since = await restoreEvolveCheckpoint(run);
    if (since.weightPaths) pathSampler.restore(since.weightPaths);
    log(
      `evolve: resumed at step ${run.position.step}/${run.schedule.totalSteps}, ` +
        `regeneration ${run.regeneration}`,
    );
  } else {
    await writeInitialSpace(run);
    regenerate(run, true);
  }
  const progress = new TrainingProgress(run);
  using _watch = watchInterrupts("evolve");
  try {
    const { end, lr } = await trainWithRegenerations(
      run,
      pathSampler,
      progress,
      since.sinceRegeneration,
    );
    if (end.stopped) {
      const where = `step ${run.position.step} of ${run.schedule.totalSteps} (regeneration ` +
        `${run.regeneration}); checkpoint ${evolveCheckpointPath(cfg.out)}`;
      if (end.signal) {
        throw new InterruptedError(end.signal, `${end.signal}: stopped after ${where}`);
      }
      log(`evolve: stopped after ${where} (--stop-after); continue with --resume`);
      return { history: run.history, spacePath: "", seconds: (performance.now() - t0) / 1000 };
    }
    // A fair group cut short by the end of the run applies its gradients too.
    if (pathSampler.flush()) applyPendingUpdate(run.opt, lr);
    await progress.drainTrain();
    progress.finish();
    const { spacePath, seconds } = await writeLearnedSpace(run, t0, log);
    return { history: run.history, spacePath, seconds };
  } finally {
    disposeEvolution(run);
  }
}

/**
 * Weight steps from the run's position to the end (or a stop), a fitness step every
 * `--arch-every` of them after the warm-up, and a regeneration with its history line and
 * checkpoint every `f`; step checkpoints between them. `sinceRegeneration`: weight steps
 * since the last regeneration at the start. Returns how the loop ended and the last
 * weight step's learning rate.
 */
async function trainWithRegenerations(
  run: EvolutionRun,
  pathSampler: WeightPathSampler,
  progress: TrainingProgress,
  sinceRegeneration: number,
): Promise<{ end: StepLoopEnd; lr: number }> {
  const { cfg, schedule } = run;
  const { totalSteps, warmupSteps } = schedule;
  let regenerationStart = performance.now();
  let lr = cfg.weightLr;
  const end = await runStepLoop(run.position, {
    trainLoader: run.trainLoader,
    totalSteps,
    warmupSteps,
    archEvery: cfg.archUpdateEvery,
    heldOut: run.heldOut,
    stopAfter: cfg.stopAfter,
    checkpointEvery: checkpointEveryOf(cfg),
  }, {
    weightStep: (batch, step) => {
      lr = cosineLr({ baseLr: cfg.weightLr, totalSteps, warmupSteps: 0 }, step);
      evolveWeightStep(run, pathSampler, batch, lr);
    },
    archStep: (batch, step) => fitnessStep(run, batch, step - warmupSteps),
    afterStep: async (step) => {
      sinceRegeneration++;
      if (step % cfg.logEvery === 0) {
        await progress.drainTrain();
        progress.update(step);
      }
      if (step > warmupSteps && sinceRegeneration >= cfg.regenerateEvery) {
        // A regeneration swaps the candidates: a fair group's gradients apply first.
        if (pathSampler.flush()) applyPendingUpdate(run.opt, lr);
        await regenerateAndRecord(run, progress, step, lr, regenerationStart);
        regenerationStart = performance.now();
        sinceRegeneration = 0;
        await writeJsonLines(`${cfg.out}/history.jsonl`, run.history);
        await saveEvolveCheckpoint(run);
        return true;
      }
      return false;
    },
    // A fair group's gradients apply at its end: a step checkpoint or a stop waits for it.
    settled: () => !pathSampler.pending,
    checkpoint: () =>
      saveEvolveCheckpoint(run, { sinceRegeneration, weightPaths: pathSampler.state() }),
  });
  return { end, lr };
}

/**
 * Regenerates after weight step `step` and adds its history line: the loss and top-1
 * of the weight and fitness steps since the previous regeneration (`since`, a
 * `performance.now()` time), and each layer's new population.
 */
async function regenerateAndRecord(
  run: EvolutionRun,
  progress: TrainingProgress,
  step: number,
  lr: number,
  since: number,
): Promise<void> {
  await progress.drainTrain();
  await run.valMetrics.drain(false);
  const val = run.valMetrics.takeTotal();
  const train = run.trainMetrics.takeTotal();
  const { stats, useRef } = regenerate(run, false, await run.credits.settle());
  run.history.push({
    regeneration: run.regeneration,
    step,
    epoch: step / run.schedule.stepsPerEpoch,
    trainLoss: train.loss,
    trainTop1: train.top1,
    valLoss: val.loss,
    valTop1: val.top1,
    lr,
    useReference: useRef,
    seconds: (performance.now() - since) / 1000,
    layers: stats,
  });
}
