/**
 * The differentiable evolutionary algorithm (paper §3.2, Figure 2), run end to end:
 *
 *   every f weight steps: Eq. 5 folds the supernet's α* into the population's
 *   fitness; tournament selection picks K cells per layer; the winners' mutated
 *   children join the population (under τ of the reference DAG during the first
 *   half, Eq. 2); the supernet's mixed layers are rebuilt from the weight bank, whose
 *   modules are shared by the cells of a layer (weights inherited, §3.3).
 *   weight steps (training split): one path per layer sampled ∝ p = softmax(α).
 *   fitness steps (held-out split): two paths per layer, binary gates, ∂L/∂g from
 *   the GPU, Eq. 4 on the host (with its compensation factor), Adam (β1 = 0).
 *
 * At the end the top-K cells of each layer form the learned search space.
 *
 * Host syncs: one per fitness step (the gate gradients of all layers in one read,
 * because the next step's path sampling needs the new p on the host) and one per
 * `logEvery` weight steps for metrics. Weight steps themselves never wait.
 */
import { DataLoader } from "../data/loader.ts";
import type { Batch } from "../data/dataset.ts";
import { openData } from "../data/data_spec.ts";
import { SubsetDataset } from "../data/split.ts";
import { paramGroups } from "../nn/module.ts";
import { Sgd } from "../nn/optimizers.ts";
import { accumulateMetrics, softmaxCrossEntropy } from "../ops/cross_entropy.ts";
import { backward } from "../tensor/autograd.ts";
import { fillInto, fromArray, zeros } from "../tensor/creation.ts";
import { tidy } from "../tensor/engine.ts";
import { readAll, type Tensor } from "../tensor/tensor.ts";
import { loadTensorFile, saveTensorFile } from "../tensor/tensor_file.ts";
import { upload } from "../tensor/creation.ts";
import { Rng } from "../util/rng.ts";
import { Progress } from "../util/progress.ts";
import { type Backbone, builtinBackbone } from "../space/backbone.ts";
import { type CellJson, cellToJson, formatCell, parseCell } from "../space/cell.ts";
import { makeSearchSpaceFile, writeSearchSpaceFile } from "../space/search_space_file.ts";
import { Supernet } from "../supernet/supernet.ts";
import { metricsFrom } from "../train/evaluate.ts";
import { cosineLr } from "../train/schedule.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import {
  binaryGate,
  compensationFactors,
  eq4Gradient,
  rescaleActiveAlphas,
  sampleActivePaths,
  softmax,
} from "./compensation.ts";
import {
  type EvolveConfig,
  evolveConfigToJson,
  maddsCapFor,
  referenceCellOf,
  useReferenceAt,
} from "./config.ts";
import { updateFitness } from "./fitness.ts";
import { addOffspring, makeOffspring } from "./offspring.ts";
import { LayerPopulation, type LayerPopulationJson, searchableLayerShapes } from "./population.ts";
import { tournamentSelect } from "./selection.ts";
import { WeightBank } from "./weight_bank.ts";
import { writeEvolveReport } from "./report.ts";

/** One mixed layer's evolving state between regenerations. */
interface LayerState {
  layer: number;
  shape: { cin: number; cout: number; stride: number; inputSize: number };
  population: LayerPopulation;
  /** Cell ids of the K sampled paths, in path order. */
  sampled: string[];
  /** α of the sampled paths (logits; p = softmax(α)). */
  alpha: number[];
  /** Adam's second moment for α (β1 = 0 keeps no first moment). */
  adamV: number[];
  adamStep: number;
}

/** One line of history.jsonl: the state after a regeneration. */
export interface RegenerationRecord {
  regeneration: number;
  step: number;
  epoch: number;
  trainLoss: number;
  trainTop1: number;
  valLoss: number;
  valTop1: number;
  lr: number;
  useReference: boolean;
  seconds: number;
  layers: {
    layer: number;
    sampled: { id: string; alpha: number }[];
    population: number;
    children: number;
    evicted: number;
    /** The whole population after the regeneration: [id, α, n′, times sampled]. */
    members: [string, number, number, number][];
  }[];
}

export interface EvolveResult {
  history: RegenerationRecord[];
  spacePath: string;
  seconds: number;
}

/** The backbone of the run, fitted to the data's channels and classes. */
function backboneFor(cfg: EvolveConfig, channels: number, size: number, classes: number) {
  const b = builtinBackbone(cfg.backbone);
  if (!b) throw new Error(`unknown backbone ${cfg.backbone}`);
  if (b.input.size !== size) {
    throw new Error(
      `backbone ${cfg.backbone} takes ${b.input.size}×${b.input.size} images, the data is ` +
        `${size}×${size}; pick the matching --backbone`,
    );
  }
  return { ...b, input: { channels, size }, classes } as Backbone;
}

/** Runs the evolution; writes everything under cfg.out. */
export async function evolve(
  cfg: EvolveConfig,
  log: (s: string) => void = console.log,
): Promise<EvolveResult> {
  const t0 = performance.now();
  await Deno.mkdir(cfg.out, { recursive: true });
  const rng = new Rng(cfg.seed);
  const data = await openData(cfg.data, { valSplit: cfg.valSplit, seed: cfg.seed });
  if (!data.val) {
    throw new Error("evolve needs a held-out split for the fitness steps: --val-split > 0");
  }
  const trainSet = cfg.trainImages > 0 && cfg.trainImages < data.train.length
    ? new SubsetDataset(
      data.train,
      new Rng(cfg.seed + 1).permutation(data.train.length).slice(0, cfg.trainImages),
      "evolve-train",
    )
    : data.train;
  const valSet = cfg.valImages > 0 && cfg.valImages < data.val.length
    ? new SubsetDataset(
      data.val,
      new Rng(cfg.seed + 2).permutation(data.val.length).slice(0, cfg.valImages),
      "evolve-val",
    )
    : data.val;
  const [channels, size] = data.shape;
  const backbone = backboneFor(cfg, channels, size, data.numClasses);
  const supernet = new Supernet(backbone, rng);
  const opt = new Sgd(paramGroups(supernet.parameters(), cfg.weightDecay), {
    lr: cfg.weightLr,
    momentum: cfg.momentum,
    nesterov: cfg.momentum > 0,
  });
  const bank = new WeightBank(opt, cfg.weightDecay, rng);
  const reference = referenceCellOf(cfg);
  const layers: LayerState[] = searchableLayerShapes(backbone).map(({ layer, shape }) => ({
    layer,
    shape,
    population: LayerPopulation.initial(rng, cfg.populationSize, layer, shape, {
      maddsCap: maddsCapFor(cfg.maddsMax, shape),
      maxSize: cfg.maxPopulation,
      reference,
      tau: cfg.tau,
      initFitness: cfg.initFitness,
      allowZeroCell: cfg.allowZeroCells,
    }),
    sampled: [],
    alpha: [],
    adamV: [],
    adamStep: 0,
  }));

  const trainLoader = new DataLoader(trainSet, {
    batchSize: cfg.batchSize,
    seed: cfg.seed,
    dropLast: true,
    prefetch: 3,
  });
  const valLoader = new DataLoader(valSet, {
    batchSize: cfg.batchSize,
    seed: cfg.seed + 7,
    dropLast: true,
    prefetch: 2,
  });
  const stepsPerEpoch = trainLoader.stepsPerEpoch;
  const totalEpochs = cfg.warmupEpochs + cfg.epochs;
  const totalSteps = totalEpochs * stepsPerEpoch;
  const warmupSteps = cfg.warmupEpochs * stepsPerEpoch;
  const evolutionSteps = totalSteps - warmupSteps;
  if (stepsPerEpoch < 1) {
    throw new Error(`evolve: fewer training images than one batch of ${cfg.batchSize}`);
  }

  const trainMetrics = zeros([4], { name: "evolve.train_metrics", persistent: true });
  const valMetrics = zeros([4], { name: "evolve.val_metrics", persistent: true });
  const history: RegenerationRecord[] = [];
  let step = 0;
  let regeneration = 0;
  let valIter: AsyncGenerator<Batch> | null = null;
  /** Held-out batches consumed so far (restores the val loader's position on resume). */
  let valConsumed = 0;
  const ckptPath = `${cfg.out}/checkpoint.astf`;

  // --- regeneration (Figure 2): Eq. 5, tournament, offspring, rebuild -----------------
  const regenerate = (first: boolean) => {
    const useRef = reference !== undefined &&
      useReferenceAt(cfg, Math.max(0, step - warmupSteps), evolutionSteps);
    const stats: RegenerationRecord["layers"] = [];
    for (const s of layers) {
      const pop = s.population;
      if (!first) {
        updateFitness(pop, s.sampled, s.alpha, cfg.epsilon); // Eq. 5
        pop.recordTraining(s.sampled, cfg.regenerateEvery);
        pop.advanceRegeneration();
      }
      const winners = tournamentSelect(pop.entries(), cfg.k, cfg.tournamentSize, rng);
      pop.markSampled(winners);
      const children = makeOffspring(pop, winners, rng, {
        count: cfg.childrenPerRegeneration,
        useReference: useRef,
        reference,
        tau: cfg.tau,
      });
      const { evicted } = addOffspring(pop, children, cfg.childFitness, cfg.initFitness);
      bank.retain(s.layer, new Set(pop.entries().map((e) => e.id)));
      const blocks = winners.map((id) => {
        const e = pop.require(id);
        return bank.blockFor(s.layer, s.shape, id, e.cell);
      });
      const mixed = supernet.mixed.get(s.layer)!;
      mixed.setCandidates(blocks);
      mixed.train(true);
      s.sampled = winners;
      s.alpha = winners.map((id) => pop.require(id).fitness);
      s.adamV = winners.map(() => 0);
      s.adamStep = 0;
      stats.push({
        layer: s.layer,
        sampled: winners.map((id, i) => ({ id, alpha: s.alpha[i] })),
        population: pop.size,
        children: children.length,
        evicted: evicted.length,
        members: pop.entries().map((e) => [e.id, e.fitness, e.trainedIterations, e.timesSampled]),
      });
    }
    regeneration++;
    return { stats, useRef };
  };

  // --- checkpoints: populations, α, counters, and every weight ------------------------
  /** Every tensor a checkpoint holds, by a name that survives a rebuild. */
  const checkpointTensors = () => {
    const tensors = new Map<string, Tensor>();
    for (const p of [...supernet.parameters(), ...supernet.buffers()]) {
      tensors.set(`net.${p.name}`, p.tensor);
    }
    for (const [k, t] of bank.namedTensors()) tensors.set(k, t);
    const params = opt.groups.flatMap((g) => g.params);
    const names = new Map<Tensor, string>();
    for (const [k, t] of tensors) names.set(t, k);
    for (const [k, t] of opt.state()) {
      const i = Number(k.slice(k.indexOf(".") + 1));
      const owner = names.get(params[i]);
      if (owner) tensors.set(`opt.${owner}`, t);
    }
    return tensors;
  };

  const saveCheckpoint = async () => {
    const tensors = checkpointTensors();
    await saveTensorFile(ckptPath, tensors, {
      step,
      regeneration,
      valConsumed,
      optimizerSteps: opt.stepCount,
      rng: rng.getState(),
      history,
      layers: layers.map((s) => ({
        layer: s.layer,
        population: s.population.toJSON(),
        sampled: s.sampled,
        alpha: s.alpha,
        adamV: s.adamV,
        adamStep: s.adamStep,
      })),
      bank: bank.builtBlocks().map(({ layer, id, cell }) => ({
        layer,
        id,
        cell: cellToJson(cell),
      })),
      config: evolveConfigToJson(cfg),
    });
  };

  const restoreCheckpoint = async () => {
    const file = await loadTensorFile(ckptPath);
    const meta = file.meta as {
      step: number;
      regeneration: number;
      valConsumed: number;
      optimizerSteps: number;
      rng: number[];
      history: RegenerationRecord[];
      layers: {
        layer: number;
        population: LayerPopulationJson;
        sampled: string[];
        alpha: number[];
        adamV: number[];
        adamStep: number;
      }[];
      bank: { layer: number; id: string; cell: CellJson }[];
      config: Record<string, unknown>;
    };
    if (meta.config.seed !== cfg.seed || meta.config.backbone !== cfg.backbone) {
      throw new Error(`--resume: ${ckptPath} was made with another seed or backbone`);
    }
    for (const saved of meta.layers) {
      const s = layers.find((l) => l.layer === saved.layer);
      if (!s) {
        throw new Error(`--resume: ${ckptPath} has layer ${saved.layer}, not in this backbone`);
      }
      s.population = LayerPopulation.fromJSON(saved.population, `${ckptPath} layer ${saved.layer}`);
      s.sampled = saved.sampled;
      s.alpha = saved.alpha;
      s.adamV = saved.adamV;
      s.adamStep = saved.adamStep;
    }
    // Rebuild every block ever built, in order: that recreates the same shared modules,
    // whose saved weights then overwrite the fresh ones.
    for (const { layer, id, cell } of meta.bank) {
      const s = layers.find((l) => l.layer === layer)!;
      bank.blockFor(layer, s.shape, id, parseCell(cell, `${ckptPath} bank`));
    }
    for (const s of layers) {
      supernet.mixed.get(s.layer)!.setCandidates(
        s.sampled.map((id) => bank.blockFor(s.layer, s.shape, id, s.population.require(id).cell)),
      );
    }
    const tensors = checkpointTensors();
    for (const [name, t] of tensors) {
      const saved = file.tensors.get(name);
      if (!saved) throw new Error(`--resume: ${ckptPath} lacks tensor ${name}`);
      if (saved.data.length !== t.size) {
        throw new Error(
          `--resume: ${name} has ${saved.data.length} values in ${ckptPath}, ${t.size} here`,
        );
      }
      upload(t, saved.data);
    }
    step = meta.step;
    regeneration = meta.regeneration;
    valConsumed = meta.valConsumed;
    opt.stepCount = meta.optimizerSteps;
    rng.setState(meta.rng);
    history.push(...meta.history);
  };

  // --- one weight step (training split) and one fitness step (held-out split) ---------
  const weightStep = (batch: Batch, lr: number) => {
    opt.lr = lr;
    for (const s of layers) {
      const mixed = supernet.mixed.get(s.layer)!;
      mixed.gateGradients = false;
      const [path] = sampleActivePaths(softmax(s.alpha), 1, rng);
      mixed.choose({ active: [path], gates: [1] });
    }
    tidy(() => {
      const [c, h, w] = trainSet.shape;
      const x = fromArray([batch.n, c, h, w], batch.x, { name: "images" });
      const y = fromArray([batch.n], batch.labels, { name: "labels" });
      opt.zeroGrad();
      const logits = supernet.forward(x);
      const loss = softmaxCrossEntropy(logits, y, { labelSmoothing: cfg.labelSmoothing });
      accumulateMetrics(trainMetrics, loss, logits, y, Math.min(5, logits.shape[1]));
      backward(loss);
      opt.step();
    });
  };

  const allWeights = () => [
    ...supernet.parameters().map((p) => p.tensor),
    ...opt.groups.flatMap((g) => g.params),
  ];

  const fitnessStep = async (batch: Batch, globalIterations: number) => {
    const choices = layers.map((s) => {
      const p = softmax(s.alpha);
      const active = sampleActivePaths(p, Math.min(cfg.activePaths, s.alpha.length), rng);
      const { gates } = binaryGate(p, active, rng);
      const mixed = supernet.mixed.get(s.layer)!;
      mixed.gateGradients = true;
      mixed.choose({ active, gates: active.map((i) => gates[i]) });
      return active;
    });
    // Weights are fixed during a fitness step: skip their gradients entirely.
    const weights = allWeights();
    for (const t of weights) t.requiresGrad = false;
    try {
      tidy(() => {
        const [c, h, w] = valSet.shape;
        const x = fromArray([batch.n, c, h, w], batch.x, { name: "images" });
        const y = fromArray([batch.n], batch.labels, { name: "labels" });
        const logits = supernet.forward(x);
        const loss = softmaxCrossEntropy(logits, y, { labelSmoothing: 0 });
        accumulateMetrics(valMetrics, loss, logits, y, Math.min(5, logits.shape[1]));
        backward(loss);
      });
    } finally {
      for (const t of weights) t.requiresGrad = true;
    }
    const gateTensors = layers.map((s) => supernet.mixed.get(s.layer)!.gateTensor()!.grad!);
    const grads = await readAll(gateTensors);
    layers.forEach((s, li) => {
      const active = choices[li];
      const sub = active.map((i) => s.alpha[i]);
      const pSub = softmax(sub); // two-path: p renormalised over the active paths
      const factors = compensationFactors(
        s.population,
        active.map((i) => s.sampled[i]),
        globalIterations,
        cfg.compensationCap,
      );
      // Eq. 4 without the factor; Adam would cancel a constant factor, so it scales the
      // step instead (same direction, n/n′ times longer for rarely trained cells).
      const g = eq4Gradient([...grads[li]], pSub, active.map(() => 1));
      s.adamStep++;
      const after = [...s.alpha];
      active.forEach((i, j) => {
        s.adamV[i] = cfg.archBeta2 * s.adamV[i] + (1 - cfg.archBeta2) * g[j] * g[j];
        const vHat = s.adamV[i] / (1 - cfg.archBeta2 ** s.adamStep);
        const mHat = cfg.archBeta1 === 0 ? g[j] : g[j]; // β1 = 0: the first moment is g
        after[i] = s.alpha[i] - cfg.archLr * factors[j] * mHat / (Math.sqrt(vHat) + cfg.archEps);
      });
      s.alpha = rescaleActiveAlphas(s.alpha, after, active);
    });
  };

  // --- the run -------------------------------------------------------------------------
  if (cfg.resume) {
    try {
      await Deno.stat(ckptPath);
    } catch {
      throw new Error(`--resume: no checkpoint at ${ckptPath}; start without --resume`);
    }
    await restoreCheckpoint();
    log(`evolve: resumed at step ${step}/${totalSteps}, regeneration ${regeneration}`);
  } else {
    regenerate(true);
  }
  const progress = new Progress({
    label: "evolve",
    total: totalSteps,
    unitsPerStep: cfg.batchSize,
    unitName: "img",
  });
  const startStep = step;
  let sinceRegen = cfg.resume ? 0 : step; // checkpoints are written right after a regeneration
  let regenStart = performance.now();
  let lastTrain = { loss: NaN, top1: NaN };
  const trainSums = [0, 0, 0, 0];
  const drainTrain = async () => {
    const m = await trainMetrics.read();
    fillInto(trainMetrics, 0);
    for (let i = 0; i < 4; i++) trainSums[i] += m[i];
    const r = metricsFrom(m);
    if (m[1] > 0 && !Number.isFinite(r.loss)) {
      throw new Error(
        `evolve: loss became ${r.loss} by step ${step}; last checkpoint: ${ckptPath}`,
      );
    }
    if (m[1] > 0) lastTrain = { loss: r.loss, top1: r.top1 };
  };
  try {
    while (step < totalSteps) {
      const epoch = Math.floor(step / stepsPerEpoch);
      for await (const batch of trainLoader.epoch(epoch, step % stepsPerEpoch)) {
        const lr = cosineLr({ baseLr: cfg.weightLr, totalSteps, warmupSteps: 0 }, step);
        weightStep(batch, lr);
        step++;
        sinceRegen++;
        const evolving = step > warmupSteps;
        if (evolving && step % cfg.archUpdateEvery === 0) {
          const perEpoch = valLoader.stepsPerEpoch;
          if (!valIter || valConsumed % perEpoch === 0) {
            valIter = valLoader.epoch(Math.floor(valConsumed / perEpoch), valConsumed % perEpoch);
          }
          const next = await valIter.next();
          if (next.done) throw new Error("evolve: the held-out loader ran dry mid-epoch");
          valConsumed++;
          await fitnessStep(next.value, step - warmupSteps);
        }
        if (step % cfg.logEvery === 0) {
          await drainTrain();
          progress.update(step - startStep, {
            loss: lastTrain.loss,
            acc: lastTrain.top1,
            regen: regeneration,
          });
        }
        if (evolving && sinceRegen >= cfg.regenerateEvery) {
          await drainTrain();
          const val = metricsFrom(await valMetrics.read());
          fillInto(valMetrics, 0);
          const train = metricsFrom(trainSums);
          trainSums.fill(0);
          const { stats, useRef } = regenerate(false);
          history.push({
            regeneration,
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
          await writeHistory(cfg.out, history);
          await saveCheckpoint();
        }
        if (step >= totalSteps || (cfg.stopAfter > 0 && step >= cfg.stopAfter)) break;
      }
      if (cfg.stopAfter > 0 && step >= cfg.stopAfter && step < totalSteps) {
        log(`evolve: stopped at step ${step} (--stop-after); continue with --resume`);
        return { history, spacePath: "", seconds: (performance.now() - t0) / 1000 };
      }
    }
    await drainTrain();
    progress.update(step - startStep, { loss: lastTrain.loss, acc: lastTrain.top1 }, true);
    // Final Eq. 5 fold of the last supernet, then the top-K cells per layer.
    for (const s of layers) updateFitness(s.population, s.sampled, s.alpha, cfg.epsilon);
    const file = makeSearchSpaceFile(
      backbone,
      layers.map((s) => s.population.toSearchSpaceLayer(cfg.k)),
      { config: evolveConfigToJson(cfg), steps: step, regenerations: regeneration },
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
    trainMetrics.dispose();
    valMetrics.dispose();
    opt.dispose();
    bank.dispose();
    for (const m of supernet.mixed.values()) m.dispose();
    supernet.dispose();
  }
}

/** Rewrites history.jsonl (atomically) so a resumed run never duplicates lines. */
async function writeHistory(out: string, history: readonly RegenerationRecord[]): Promise<void> {
  await atomicWrite(
    `${out}/history.jsonl`,
    history.map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
}
