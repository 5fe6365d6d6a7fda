/**
 * One fitness run of the robustness experiment: the three whole networks are the K = 3
 * paths of a supernet (image → network k → logits; output Σ_k g_k·logits_k through a
 * `MixedLayer` and `weightedSum`), trained from one initial α by the shared supernet
 * loop (`runStepLoop`):
 *
 *   weight step (training images): one path drawn ∝ p = softmax(α), SGD on its weights;
 *   fitness step (held-out images, every `archUpdateEvery` weight steps after the warmup
 *   epochs): two paths with binary gates, ∂L/∂g from the GPU, Eq. 4 and Adam on α
 *   (`FitnessScores`).
 *
 * During a fitness step the weights do not require gradients, so the backward pass
 * stops at the weighted sum: it costs the two forwards and one dot product a path.
 * α is recorded after every fitness step and at every epoch's end; at the end each
 * network is scored alone on held-out images, to show what the supernet taught it.
 *
 * Every run starts from the same weights (each network built from `seed`: the initial
 * weights of its standalone training with that seed) and the same batch order, so runs
 * differ only by their initial α and what it leads to.
 */
import type { DataLoader } from "../data/loader.ts";
import { buildNetwork, type Network } from "../networks/network.ts";
import { type Parameter, paramGroups } from "../nn/module.ts";
import { Sgd } from "../nn/optimizers.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import { HeldOutStream } from "../supernet/held_out_stream.ts";
import { MetricsAccumulator } from "../supernet/metrics_accumulator.ts";
import { MixedLayer } from "../supernet/mixed_layer.ts";
import { supernetLoaders } from "../supernet/search_data.ts";
import { runStepLoop, type StepHooks } from "../supernet/step_loop.ts";
import { InterruptedError } from "../util/interrupt.ts";
import { applyPendingUpdate, gateGradientStep, weightStep } from "../supernet/supernet_steps.ts";
import { pathOrderOf, WeightPathSampler } from "../supernet/path_sampling.ts";
import { evaluate } from "../train/evaluate.ts";
import { cosineLr } from "../train/schedule.ts";
import { Progress } from "../util/progress.ts";
import { Rng } from "../util/rng.ts";
import type { RankConfig } from "./config.ts";
import { FitnessScores } from "./fitness_scores.ts";
import type { RankData } from "./rank_data.ts";

/** α and what the weight steps did in one epoch. */
export interface FitnessEpoch {
  /** Epochs done (0: the initial state). */
  epoch: number;
  alpha: number[];
  p: number[];
  /** Weight steps each network got in this epoch. */
  weightSteps: number[];
  /** Mean training loss of each network's weight steps in this epoch (null: none). */
  trainLoss: (number | null)[];
}

/** α after a fitness step, at a fractional epoch. */
export interface AlphaPoint {
  epoch: number;
  alpha: number[];
}

/** What one fitness run measured. */
export interface FitnessRunResult {
  initialAlpha: number[];
  epochs: FitnessEpoch[];
  trajectory: AlphaPoint[];
  /** Each network alone on `pathEval` held-out images after the run (eval-mode BN). */
  heldOutTop1: number[];
  fitnessSteps: number;
  seconds: number;
}

/** Runs the supernet from `initialAlpha`; `label` names it in the progress line. */
export async function runFitness(
  specs: readonly NetworkSpec[],
  initialAlpha: readonly number[],
  data: RankData,
  cfg: RankConfig,
  label: string,
): Promise<FitnessRunResult> {
  const t0 = performance.now();
  const run = openFitnessRun(specs, initialAlpha, data, cfg, label);
  try {
    const position = { step: 0 };
    const end = await runStepLoop(position, {
      trainLoader: run.trainLoader,
      totalSteps: run.totalSteps,
      warmupSteps: cfg.warmupEpochs * run.perEpoch,
      archEvery: cfg.archUpdateEvery,
      heldOut: new HeldOutStream(run.heldOutLoader),
      stopAfter: 0,
    }, fitnessHooks(run, label));
    if (end.stopped && end.signal) {
      // A fitness run is minutes long and keeps no checkpoint: --resume runs it again.
      throw new InterruptedError(
        end.signal,
        `${end.signal}: stopped in ${label} after step ${position.step} of ${run.totalSteps}; ` +
          `the finished trainings and fitness runs are kept, this fitness run starts over`,
      );
    }
    run.progress.update(run.totalSteps, { alpha: alphaText(run.scores) }, true);
    const heldOutTop1: number[] = [];
    for (const net of run.networks) {
      heldOutTop1.push((await evaluate(net, data.pathEval, cfg.batchSize)).top1);
    }
    return {
      initialAlpha: [...initialAlpha],
      epochs: run.epochs,
      trajectory: run.trajectory,
      heldOutTop1,
      fitnessSteps: run.scores.updates,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    disposeFitnessRun(run);
  }
}

/** A fitness run's supernet, optimisers, data and records, as the step hooks share them. */
interface FitnessRun {
  readonly specs: readonly NetworkSpec[];
  readonly data: RankData;
  readonly cfg: RankConfig;
  readonly rng: Rng;
  readonly networks: Network[];
  readonly supernet: MixedLayer;
  /** The three networks' weights (frozen during fitness steps). */
  readonly weights: Parameter[];
  readonly opt: Sgd;
  readonly scores: FitnessScores;
  readonly trainLoader: DataLoader;
  readonly heldOutLoader: DataLoader;
  /** Weight steps an epoch. */
  readonly perEpoch: number;
  readonly totalSteps: number;
  readonly lrWarmupSteps: number;
  /** Training metrics of each network's weight steps. */
  readonly metrics: MetricsAccumulator[];
  readonly heldOutMetrics: MetricsAccumulator;
  readonly pathSampler: WeightPathSampler;
  readonly progress: Progress;
  readonly epochs: FitnessEpoch[];
  readonly trajectory: AlphaPoint[];
  /** Weight steps each network got in the epoch so far. */
  weightSteps: number[];
  /** The learning rate of the last weight step. */
  lr: number;
}

/** Builds the supernet of the three networks and everything a run of it needs. */
function openFitnessRun(
  specs: readonly NetworkSpec[],
  initialAlpha: readonly number[],
  data: RankData,
  cfg: RankConfig,
  label: string,
): FitnessRun {
  const rng = new Rng(cfg.seed + 1000);
  const networks: Network[] = specs.map((spec) => buildNetwork(spec, new Rng(cfg.seed)));
  const supernet = new MixedLayer(networks);
  supernet.train(true);
  const weights = networks.flatMap((n) => n.parameters());
  const opt = new Sgd(paramGroups(weights, cfg.weightDecay), {
    lr: cfg.weightLr,
    momentum: cfg.momentum,
    nesterov: cfg.momentum > 0,
  });
  const scores = new FitnessScores(initialAlpha, {
    lr: cfg.archLr,
    beta1: cfg.archBeta1,
    beta2: cfg.archBeta2,
    eps: cfg.archEps,
  });
  const loaders = supernetLoaders(data.fitnessTrain, data.heldOut, cfg);
  const { trainLoader, valLoader: heldOutLoader } = loaders;
  const perEpoch = trainLoader.stepsPerEpoch;
  if (perEpoch < 1 || heldOutLoader.stepsPerEpoch < 1) {
    throw new Error(
      `rank: ${data.fitnessTrain.length} training and ${data.heldOut.length} held-out images ` +
        `make no batch of ${cfg.batchSize}; lower --batch or raise --fitness-images / --val-images`,
    );
  }
  const totalSteps = cfg.epochs * perEpoch;
  const run: FitnessRun = {
    specs,
    data,
    cfg,
    rng,
    networks,
    supernet,
    weights,
    opt,
    scores,
    trainLoader,
    heldOutLoader,
    perEpoch,
    totalSteps,
    lrWarmupSteps: Math.round(cfg.lrWarmupEpochs * perEpoch),
    metrics: networks.map((_, k) => new MetricsAccumulator(`rank.train_metrics${k}`)),
    heldOutMetrics: new MetricsAccumulator("rank.held_out_metrics"),
    pathSampler: new WeightPathSampler(
      pathOrderOf(cfg.pathSampling),
      [networks.length],
      (r) => [scores.weightPath(r)],
    ),
    progress: new Progress({
      label,
      total: totalSteps,
      unitsPerStep: cfg.batchSize,
      unitName: "img",
    }),
    epochs: [],
    trajectory: [{ epoch: 0, alpha: [...scores.alpha] }],
    weightSteps: networks.map(() => 0),
    lr: cfg.weightLr,
  };
  run.epochs.push(snapshot(run, 0, networks.map(() => 0), networks.map(() => null)));
  return run;
}

/** α, p and what the weight steps did in the epoch that ends at `epoch`. */
function snapshot(
  run: FitnessRun,
  epoch: number,
  weightSteps: number[],
  trainLoss: (number | null)[],
): FitnessEpoch {
  return {
    epoch,
    alpha: [...run.scores.alpha],
    p: run.scores.probabilities(),
    weightSteps,
    trainLoss,
  };
}

function alphaText(scores: FitnessScores): string {
  return scores.alpha.map((a) => a.toFixed(2)).join("/");
}

/**
 * The supernet loop's hooks: a weight step on one network drawn by the path sampling,
 * a fitness step (two networks, binary gates, Eq. 4 on α), and each epoch's record.
 */
function fitnessHooks(run: FitnessRun, label: string): StepHooks {
  const { cfg, supernet, scores, data } = run;
  return {
    weightStep: (batch, step) => {
      const plan = run.pathSampler.next(run.rng);
      const [path] = plan.path;
      supernet.gateGradients = false;
      supernet.choose({ active: [path], gates: [1] });
      run.lr = cosineLr(
        { baseLr: cfg.weightLr, totalSteps: run.totalSteps, warmupSteps: run.lrWarmupSteps },
        step,
      );
      weightStep(supernet, run.opt, batch, data.shape, {
        lr: run.lr,
        labelSmoothing: cfg.labelSmoothing,
        metrics: run.metrics[path],
        zeroGrad: plan.zeroGrad,
        apply: plan.apply,
      });
      run.weightSteps[path]++;
    },
    archStep: async (batch, step) => {
      const { active, choice } = scores.fitnessChoice(run.rng);
      supernet.gateGradients = true;
      supernet.choose(choice);
      const frozen = run.weights.map((p) => p.tensor);
      const [grads] = await gateGradientStep(
        supernet,
        [supernet],
        frozen,
        batch,
        data.shape,
        run.heldOutMetrics,
      );
      scores.update(active, grads);
      run.trajectory.push({ epoch: step / run.perEpoch, alpha: [...scores.alpha] });
    },
    afterStep: async (step) => {
      if (step % cfg.logEvery === 0) run.progress.update(step, { alpha: alphaText(scores) });
      if (step % run.perEpoch !== 0) return;
      if (run.pathSampler.flush()) applyPendingUpdate(run.opt, run.lr);
      const losses = (await MetricsAccumulator.drainAll(run.metrics)).map((m) => m.loss);
      const bad = losses.findIndex((l, k) => run.weightSteps[k] > 0 && !Number.isFinite(l));
      if (bad >= 0) {
        throw new Error(`rank: ${run.specs[bad].name}'s loss became ${losses[bad]} in ${label}`);
      }
      const trainLoss = losses.map((l) => Number.isFinite(l) ? l : null);
      run.epochs.push(snapshot(run, step / run.perEpoch, run.weightSteps, trainLoss));
      run.weightSteps = run.networks.map(() => 0);
    },
  };
}

function disposeFitnessRun(run: FitnessRun): void {
  for (const m of [...run.metrics, run.heldOutMetrics]) m.dispose();
  run.opt.dispose();
  run.supernet.dispose();
  for (const n of run.networks) n.dispose();
}
