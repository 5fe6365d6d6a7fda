/**
 * One fitness run of the robustness experiment: the three whole networks are the K = 3
 * paths of a supernet (image → network k → logits; output Σ_k g_k·logits_k through a
 * `MixedLayer` and `weightedSum`), trained from one initial α:
 *
 *   weight step (training images): one path drawn ∝ p = softmax(α), SGD on its weights;
 *   fitness step (held-out images, every `archEvery` weight steps after the warmup
 *   epochs): two paths with binary gates, ∂L/∂g from the GPU, Eq. 4 and Adam on α
 *   (`FitnessScores`).
 *
 * During a fitness step the weights do not require gradients, so the backward pass
 * stops at the weighted sum: it costs the two forwards and one dot product a path.
 * α is recorded after every fitness step and at every epoch's end; at the end each
 * network is scored alone on held-out images, to show what the supernet taught it.
 *
 * Every run starts from the same weights (each network built from `seed`, the same
 * initial weights as its standalone training of that seed) and sees the same batches,
 * so runs differ only by their initial α and what it leads to.
 */
import { DataLoader } from "../data/loader.ts";
import type { Batch } from "../data/dataset.ts";
import { buildNetwork, type Network } from "../networks/network.ts";
import { paramGroups } from "../nn/module.ts";
import { Sgd } from "../nn/optimizers.ts";
import { accumulateMetrics, softmaxCrossEntropy } from "../ops/cross_entropy.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import { MixedLayer } from "../supernet/mixed_layer.ts";
import { backward } from "../tensor/autograd.ts";
import { fillInto, fromArray, zeros } from "../tensor/creation.ts";
import { tidy } from "../tensor/engine.ts";
import { readAll, type Tensor } from "../tensor/tensor.ts";
import { evaluate, metricsFrom } from "../train/evaluate.ts";
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
  const rng = new Rng(cfg.seed + 1000);
  const networks: Network[] = specs.map((spec) => buildNetwork(spec, new Rng(cfg.seed)));
  const supernet = new MixedLayer(networks);
  supernet.train(true);
  const weights = networks.flatMap((n) => n.parameters());
  const opt = new Sgd(paramGroups(weights, cfg.weightDecay), {
    lr: cfg.lr,
    momentum: cfg.momentum,
    nesterov: cfg.momentum > 0,
  });
  const scores = new FitnessScores(initialAlpha, {
    lr: cfg.archLr,
    beta2: cfg.archBeta2,
    eps: cfg.archEps,
  });
  const trainLoader = new DataLoader(data.train, {
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    dropLast: true,
    prefetch: 3,
  });
  const heldOutLoader = new DataLoader(data.heldOut, {
    batchSize: cfg.batchSize,
    seed: cfg.seed + 7,
    dropLast: true,
    prefetch: 2,
  });
  const stepsPerEpoch = trainLoader.stepsPerEpoch;
  if (stepsPerEpoch < 1 || heldOutLoader.stepsPerEpoch < 1) {
    throw new Error(
      `rank: ${data.train.length} training and ${data.heldOut.length} held-out images make ` +
        `no batch of ${cfg.batchSize}; lower --batch or raise --train-images / --val-images`,
    );
  }
  const totalSteps = cfg.epochs * stepsPerEpoch;
  const [c, h, w] = data.shape;
  const metrics = networks.map((_, k) =>
    zeros([4], { name: `rank.metrics${k}`, persistent: true })
  );
  const epochs: FitnessEpoch[] = [{
    epoch: 0,
    alpha: [...scores.alpha],
    p: scores.probabilities(),
    weightSteps: networks.map(() => 0),
    trainLoss: networks.map(() => null),
  }];
  const trajectory: AlphaPoint[] = [{ epoch: 0, alpha: [...scores.alpha] }];
  const allWeights = (): Tensor[] => weights.map((p) => p.tensor);

  const weightStep = (batch: Batch, path: number) => {
    supernet.gateGradients = false;
    supernet.choose({ active: [path], gates: [1] });
    tidy(() => {
      const x = fromArray([batch.n, c, h, w], batch.x, { name: "images" });
      const y = fromArray([batch.n], batch.labels, { name: "labels" });
      opt.zeroGrad();
      const logits = supernet.forward(x);
      const loss = softmaxCrossEntropy(logits, y, { labelSmoothing: cfg.labelSmoothing });
      accumulateMetrics(metrics[path], loss, logits, y, Math.min(5, logits.shape[1]));
      backward(loss);
      opt.step();
    });
  };

  const fitnessStep = async (batch: Batch) => {
    const { active, choice } = scores.fitnessChoice(rng);
    supernet.gateGradients = true;
    supernet.choose(choice);
    const frozen = allWeights();
    for (const t of frozen) t.requiresGrad = false; // only ∂L/∂g is wanted
    try {
      tidy(() => {
        const x = fromArray([batch.n, c, h, w], batch.x, { name: "images" });
        const y = fromArray([batch.n], batch.labels, { name: "labels" });
        backward(softmaxCrossEntropy(supernet.forward(x), y, { labelSmoothing: 0 }));
      });
    } finally {
      for (const t of frozen) t.requiresGrad = true;
    }
    scores.update(active, await supernet.gateTensor()!.grad!.read());
  };

  const progress = new Progress({
    label,
    total: totalSteps,
    unitsPerStep: cfg.batchSize,
    unitName: "img",
  });
  let step = 0;
  let heldOutIter: AsyncGenerator<Batch> | null = null;
  let heldOutEpoch = 0;
  const nextHeldOut = async (): Promise<Batch> => {
    for (;;) {
      heldOutIter ??= heldOutLoader.epoch(heldOutEpoch++);
      const next = await heldOutIter.next();
      if (!next.done) return next.value;
      heldOutIter = null;
    }
  };
  try {
    for (let epoch = 0; epoch < cfg.epochs; epoch++) {
      const weightSteps = networks.map(() => 0);
      for await (const batch of trainLoader.epoch(epoch)) {
        opt.lr = cosineLr({
          baseLr: cfg.lr,
          totalSteps,
          warmupSteps: Math.round(cfg.lrWarmupEpochs * stepsPerEpoch),
        }, step);
        const path = scores.weightPath(rng, cfg.pathSampling === "uniform");
        weightStep(batch, path);
        weightSteps[path]++;
        step++;
        if (epoch >= cfg.warmupEpochs && step % cfg.archEvery === 0) {
          await fitnessStep(await nextHeldOut());
          trajectory.push({ epoch: step / stepsPerEpoch, alpha: [...scores.alpha] });
        }
        if (step % cfg.logEvery === 0) {
          progress.update(step, {
            alpha: scores.alpha.map((a) => a.toFixed(2)).join("/"),
          });
        }
      }
      const sums = await readAll(metrics);
      metrics.forEach((m) => fillInto(m, 0));
      const losses = sums.map((m) => metricsFrom(m).loss);
      const loss = losses.map((l) => (Number.isFinite(l) ? l : null));
      if (losses.some((l, k) => weightSteps[k] > 0 && !Number.isFinite(l))) {
        throw new Error(`rank: a network's loss became ${losses.join(", ")} in epoch ${epoch + 1}`);
      }
      epochs.push({
        epoch: epoch + 1,
        alpha: [...scores.alpha],
        p: scores.probabilities(),
        weightSteps,
        trainLoss: loss,
      });
    }
    progress.update(step, { alpha: scores.alpha.map((a) => a.toFixed(2)).join("/") }, true);
    const heldOutTop1: number[] = [];
    for (const net of networks) {
      heldOutTop1.push((await evaluate(net, data.pathEval, cfg.batchSize)).top1);
    }
    return {
      initialAlpha: [...initialAlpha],
      epochs,
      trajectory,
      heldOutTop1,
      fitnessSteps: scores.updates,
      seconds: (performance.now() - t0) / 1000,
    };
  } finally {
    for (const m of metrics) m.dispose();
    opt.dispose();
    supernet.dispose();
    for (const n of networks) n.dispose();
  }
}
