/**
 * `deno task search`: a network from a search space (paper §3.3), by one of four
 * algorithms (src/search/proxyless_g.ts, proxyless_rl.ts, spos.ts, random.ts) that all
 * run on the same supernet loop:
 *
 *   prepare (nothing written but the latency cache): load the space, open the data, fit
 *   the space to it, count every candidate, with `--cost latency` measure (or read from
 *   the cache) its latency table on this adapter, and refuse a cap below the cheapest
 *   network.
 *   train: weight steps on the training split, one path a step as the algorithm draws
 *   it; the ProxylessNAS searches add an architecture step on a held-out batch every
 *   `--arch-every` steps after the warm-up. One history line and one checkpoint per
 *   epoch, step checkpoints every `--checkpoint-every`, and one when a signal stops the
 *   run (the step in progress finishes; a resumed run ends bit-identical).
 *   derive: the argmax network under the cap (ProxylessNAS) or the best path of SPOS's
 *   evolution or random search, scored on held-out data after BN recalibration.
 *   evaluate and write: the found network's held-out accuracy with the supernet's
 *   weights, network.json, net.config, choices, drawings, curves and report.md.
 */
import { adaptSpecToData } from "../networks/adapt.ts";
import { paramGroups } from "../nn/module.ts";
import { Sgd } from "../nn/optimizers.ts";
import { formatMAdds } from "../space/counting.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import {
  loadSupernetCheckpoint,
  saveSupernetCheckpoint,
  withOptimizerState,
} from "../supernet/checkpoint.ts";
import { MetricsAccumulator, type MetricsSnapshot } from "../supernet/metrics_accumulator.ts";
import { checkpointEveryOf } from "../supernet/run_settings.ts";
import { openSupernetData, type SupernetData, supernetSchedule } from "../supernet/search_data.ts";
import { runStepLoop } from "../supernet/step_loop.ts";
import { supernetFromSpace } from "../supernet/supernet.ts";
import { applyPendingUpdate, weightStep } from "../supernet/supernet_steps.ts";
import { type PathOrderState, WeightPathSampler } from "../supernet/path_sampling.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { cosineLr } from "../train/schedule.ts";
import { writeJsonLines } from "../util/atomic_write.ts";
import { Progress } from "../util/progress.ts";
import { InterruptedError, interruptRequested, watchInterrupts } from "../util/interrupt.ts";
import { Rng } from "../util/rng.ts";
import { entropy } from "./architecture_logits.ts";
import { gpuLatencyTable } from "../latency/gpu_table.ts";
import type { LatencyTable } from "../latency/table.ts";
import {
  costBudget,
  DEFAULT_SEARCH_CONFIG,
  type SearchAlgorithm,
  type SearchConfig,
  searchConfigToJson,
} from "./config.ts";
import { requireReachableCap } from "./cost_cap.ts";
import type { SearchContext, SearchDriver } from "./driver.ts";
import { type CostModel, derivedPath, pathCost } from "./expected_cost.ts";
import type { HistoryRecord } from "./history.ts";
import { type SearchResult, searchResult, writeSearchOutputs } from "./outputs.ts";
import { PathScorer } from "./path_scorer.ts";
import { proxylessGradientSearch } from "./proxyless_g.ts";
import { proxylessReinforceSearch } from "./proxyless_rl.ts";
import { randomPathSearch } from "./random.ts";
import { decisionLine, writeSearchReport } from "./report.ts";
import { loadSearchSpace, type SearchInput } from "./space_input.ts";
import {
  formatMs,
  fullChoices,
  latencyCost,
  maddsCost,
  type SearchCost,
  type SpaceCosts,
  spaceCosts,
} from "./space_costs.ts";
import { sposSearch } from "./spos.ts";

/** The drivers by `--algo`. */
const DRIVERS: Readonly<Record<SearchAlgorithm, (ctx: SearchContext) => SearchDriver>> = {
  "proxyless-g": proxylessGradientSearch,
  "proxyless-rl": proxylessReinforceSearch,
  spos: sposSearch,
  random: randomPathSearch,
};

/** Everything checked before the GPU starts or a file is written. */
export interface PreparedSearch {
  readonly cfg: SearchConfig;
  readonly input: SearchInput;
  /** The space fitted to the data. */
  readonly space: SearchSpaceSpec;
  readonly costs: SpaceCosts;
  readonly data: SupernetData;
  /** The cheapest network's MAdds. */
  readonly cheapestMAdds: number;
  /** What Eq. 6's term and the cap act on (`--cost`). */
  readonly cost: SearchCost;
  /** The cheapest network's cost in `cost`'s units. */
  readonly cheapestCost: number;
  /** `--cost latency`: the space's table on this adapter at `--latency-batch`; else null. */
  readonly latency: LatencyTable | null;
}

/** Builds a space's latency table (injectable: tests pass a table without timing). */
export type LatencyTableSource = (space: SearchSpaceSpec, batch: number) => Promise<LatencyTable>;

/** The table on the engine's GPU through the default cache, with a progress bar. */
const measuredLatencyTable: LatencyTableSource = (space, batch) => {
  let bar: Progress | null = null;
  return gpuLatencyTable(space, {
    batch,
    onProgress(done, total) {
      if (total === 0) return;
      bar ??= new Progress({ label: `latency table b${batch}`, total, logEverySeconds: 5 });
      bar.update(done, {}, done >= total);
    },
  });
};

/**
 * Loads the space and the data and checks the budget flags against the space: a cap
 * (or target) below the cheapest network is one line, before any training. With
 * `--cost latency` the table is measured here (the GPU starts; only parts the cache
 * lacks are timed), so that the latency cap is checked before training too.
 */
export async function prepareSearch(
  cfg: SearchConfig,
  options: { latencyTable?: LatencyTableSource } = {},
): Promise<PreparedSearch> {
  const input = await loadSearchSpace(cfg.space, { backbone: cfg.backbone });
  const data = await openSupernetData({ ...cfg, label: "search" });
  const space = adaptSpecToData(input.space, data.shape, data.numClasses);
  const costs = spaceCosts(space);
  const cheapest = requireReachableCap(costs.madds, Infinity).cost;
  if (cfg.maddsMax !== null && cfg.maddsMax < cheapest) {
    throw new Error(
      `--madds-max ${formatMAdds(cfg.maddsMax)} is below the cheapest network of ${cfg.space} ` +
        `(${formatMAdds(cheapest)} MAdds at ${space.input.size}×${space.input.size}); ` +
        `raise it to at least ${formatMAdds(cheapest)}`,
    );
  }
  if (cfg.maddsTarget !== null && cfg.maddsTarget < cheapest) {
    throw new Error(
      `--madds-target ${formatMAdds(cfg.maddsTarget)} is below the cheapest network of ` +
        `${cfg.space} (${formatMAdds(cheapest)} MAdds); aim at least that high`,
    );
  }
  let cost = maddsCost(costs, cfg.maddsMax);
  let latency: LatencyTable | null = null;
  await requireResumable(cfg); // before the (possibly long) measurement
  if (cfg.cost === "latency") {
    latency = await (options.latencyTable ?? measuredLatencyTable)(space, cfg.latencyBatch);
    cost = latencyCost(costs, latency, cfg.latencyMax);
  }
  const cheapestCost = cfg.cost === "latency"
    ? requireReachableCap(cost.model, Infinity).cost
    : cheapest;
  if (cfg.cost === "latency") {
    const { target, max } = costBudget(cfg);
    const where = `${cfg.space} on this adapter (table at batch ${cfg.latencyBatch})`;
    if (max !== null && max < cheapestCost) {
      throw new Error(
        `--latency-max ${formatMs(max)} is below the fastest network of ${where}, ` +
          `${formatMs(cheapestCost)}; raise it to at least ${formatMs(cheapestCost)}`,
      );
    }
    if (target !== null && target < cheapestCost) {
      throw new Error(
        `--latency-target ${formatMs(target)} is below the fastest network of ${where}, ` +
          `${formatMs(cheapestCost)}; aim at least that high`,
      );
    }
  }
  return {
    cfg,
    input,
    space,
    costs,
    data,
    cheapestMAdds: cheapest,
    cost,
    cheapestCost,
    latency,
  };
}

/** E_p[cost] of a cost model under p (Eq. 6's Cost(N)). */
function expectedUnder(model: CostModel, p: readonly (readonly number[])[]): number {
  return model.fixed +
    p.reduce((s, row, l) => s + row.reduce((t, pi, i) => t + pi * model.perLayer[l][i], 0), 0);
}

/** `--resume` needs a checkpoint in `--out`. */
async function requireResumable(cfg: SearchConfig): Promise<void> {
  if (cfg.resume) {
    try {
      await Deno.stat(searchCheckpointPath(cfg.out));
    } catch {
      throw new Error(
        `--resume: no checkpoint at ${searchCheckpointPath(cfg.out)}; start without --resume`,
      );
    }
  }
}

/**
 * What a prepared search is, for the log: the algorithm, the space and its size, the
 * budget and the data; and a second line when the space is laid on images of another
 * size than it was written for (its MAdds are counted on the data's).
 */
export function describeSearch(prepared: PreparedSearch): string[] {
  const { cfg, costs, cost, latency } = prepared;
  const paths = costs.choices.reduce((n, k) => n * k, 1);
  const lines = [
    `${cfg.quick ? "quick smoke run, " : ""}${cfg.algo} in ${cfg.space} ` +
    `(${costs.searchable.length} searchable layers, ${paths.toExponential(2)} networks, ` +
    `cheapest ${cost.format(prepared.cheapestCost)}` +
    (Number.isFinite(cost.max) ? `, cap ${cost.format(cost.max)}` : "") +
    `), data ${cfg.data}` + (cfg.randomLabels ? " with random labels (the null model)" : ""),
  ];
  if (cfg.algo === "proxyless-rl") {
    lines.push(
      `REINFORCE: ${
        cfg.rlEstimator === "paired"
          ? "one context path and a one-layer variation of it per layer"
          : `${cfg.rlSamples} paths and a moving-average baseline`
      } a step, reward held-out ${cfg.rlReward === "loss" ? "−cross-entropy" : "top-1"}`,
    );
  }
  if (latency) {
    lines.push(
      `cost: latency on ${latency.device.adapter} at batch ${latency.batch} ` +
        `(${latency.statistic} per part; ${latency.measured} parts measured now, ` +
        `${latency.reused} from the cache)`,
    );
  }
  const { input: given } = prepared.input.space;
  const { input: used } = prepared.space;
  if (given.size !== used.size || given.channels !== used.channels) {
    lines.push(
      `the space was written for ${given.size}×${given.size}×${given.channels} images; ` +
        `it runs on the data's ${used.size}×${used.size}×${used.channels}, and MAdds are counted there`,
    );
  }
  return lines;
}

/** Where a search keeps its checkpoint (what `--resume` continues from). */
export function searchCheckpointPath(out: string): string {
  return `${out}/checkpoint.astf`;
}

/** What a search checkpoint holds beside the tensors. */
interface SearchCheckpointState {
  config: Record<string, unknown>;
  step: number;
  valConsumed: number;
  optimizerSteps: number;
  rng: number[];
  history: HistoryRecord[];
  driver: unknown;
  /** Wall time of the parts before this one. */
  seconds: number;
  /** The metric sums as they stand (absent in checkpoints from before step checkpoints). */
  metrics?: { train: MetricsSnapshot; val: MetricsSnapshot };
  /** Where the weight-path order stands (`balanced`, `fair`; absent: at its start). */
  weightPaths?: PathOrderState;
}

/** Config fields that must match for `--resume`. */
const RESUME_KEYS = [
  "algo",
  "space",
  "data",
  "seed",
  "batchSize",
  "trainImages",
  "valImages",
  "warmupEpochs",
  "epochs",
  "pathSampling",
  "randomLabels",
  "archBatch",
  "rlEstimator",
  "rlReward",
] as const;

/** The supernet between epochs, for callers that measure it (`deno task fidelity`). */
export interface TrainedSupernet {
  /** Epochs done, the warm-up included. */
  readonly epoch: number;
  /** Weight steps done. */
  readonly step: number;
  /** Held-out top-1 of a network (candidate per searchable layer) after BN recalibration. */
  heldOutTop1(path: readonly number[]): Promise<number>;
  /** p = softmax(α) per searchable layer where the search learns α (ProxylessNAS), else null. */
  probabilities(): number[][] | null;
}

/** What a caller adds to a search run. */
export interface RunSearchOptions {
  /** Called after each epoch's checkpoint (epochs a resumed run restored are not revisited). */
  readonly onEpoch?: (trained: TrainedSupernet) => Promise<void>;
  /** false: stop once the supernet is trained (no derivation, no outputs), returning null. */
  readonly derive?: boolean;
}

/**
 * Runs a prepared search; returns its result, or null when `--stop-after` interrupted
 * it (continue with `--resume`) or `derive: false` stopped it after training.
 */
export async function runSearch(
  prepared: PreparedSearch,
  log: (line: string) => void = console.log,
  options: RunSearchOptions = {},
): Promise<SearchResult | null> {
  const { cfg, space, costs, data } = prepared;
  const t0 = performance.now();
  await Deno.mkdir(cfg.out, { recursive: true });
  const rng = new Rng(cfg.seed);
  const supernet = supernetFromSpace(space, rng);
  const opt = new Sgd(paramGroups(supernet.parameters(), cfg.weightDecay), {
    lr: cfg.weightLr,
    momentum: cfg.momentum,
    nesterov: cfg.momentum > 0,
  });
  const { trainLoader, heldOut, stepsPerEpoch, totalSteps, warmupSteps } = supernetSchedule(
    data,
    cfg,
  );
  const trainMetrics = new MetricsAccumulator("search.train_metrics");
  const valMetrics = new MetricsAccumulator("search.val_metrics");
  const history: HistoryRecord[] = [];
  const position = { step: 0 };
  const ckptPath = searchCheckpointPath(cfg.out);
  let earlierSeconds = 0;
  let scorer: PathScorer | null = null;
  let pathProgress: Progress | null = null;

  const weights = () => supernet.parameters().map((p) => p.tensor);
  const ctx: SearchContext = {
    cfg,
    space,
    costs,
    cost: prepared.cost,
    supernet,
    rng,
    imageShape: data.val.shape,
    valMetrics,
    weights,
    scorer: async () =>
      scorer ??= await PathScorer.create(supernet, {
        train: data.train,
        heldOut: data.val,
        batchSize: cfg.batchSize,
        bnBatches: cfg.bnBatches,
        scoreImages: cfg.scoreImages,
        seed: cfg.seed + 11,
      }),
    choosePath: (path) => supernet.choosePath(fullChoices(space, costs, path)),
    fullChoices: (path) => fullChoices(space, costs, path),
    progress(done, total, best) {
      pathProgress ??= new Progress({ label: `${cfg.algo} paths`, total });
      pathProgress.update(done, { best }, done >= total);
      // `--derive scored` keeps no checkpoint of its own: a signal abandons it, and the
      // resumed run scores the shortlist again from the trained supernet's checkpoint.
      // (SPOS and random search checkpoint their path search, and stop there.)
      const signal = cfg.algo === "proxyless-g" || cfg.algo === "proxyless-rl"
        ? interruptRequested()
        : null;
      if (signal) {
        throw new InterruptedError(
          signal,
          `${signal}: stopped while scoring the shortlist (the supernet trained); ` +
            `checkpoint ${ckptPath}`,
        );
      }
    },
    checkpoint: async () => {
      await saveCheckpoint();
      // A signal while paths are scored stops here, with their scores saved.
      const signal = interruptRequested();
      if (signal) {
        throw new InterruptedError(
          signal,
          `${signal}: stopped while scoring paths (the supernet trained); checkpoint ${ckptPath}`,
        );
      }
    },
    record: (line) => history.push(line),
    log,
  };
  const driver = DRIVERS[cfg.algo](ctx);
  // ∝ p comes from the driver; SPOS's and random search's own draw is uniform (under the
  // cap), so their `uniform` is the driver's too.
  const ownDraw = cfg.pathSampling === "proportional" ||
    (cfg.pathSampling === "uniform" && (cfg.algo === "spos" || cfg.algo === "random"));
  const pathSampler = new WeightPathSampler(
    ownDraw ? "proportional" : cfg.pathSampling,
    costs.choices,
    () => driver.trainingPath(),
  );

  const checkpointTensors = () => {
    const named = new Map<string, Tensor>();
    for (const p of [...supernet.parameters(), ...supernet.buffers()]) {
      named.set(`net.${p.name}`, p.tensor);
    }
    return withOptimizerState(named, opt);
  };
  const elapsed = () => earlierSeconds + (performance.now() - t0) / 1000;
  async function saveCheckpoint(): Promise<void> {
    const state: SearchCheckpointState = {
      config: searchConfigToJson(cfg),
      step: position.step,
      valConsumed: heldOut.consumed,
      optimizerSteps: opt.stepCount,
      rng: rng.getState(),
      history,
      driver: driver.getState(),
      seconds: elapsed(),
      metrics: { train: await trainMetrics.snapshot(), val: await valMetrics.snapshot() },
      weightPaths: pathSampler.state(),
    };
    await writeJsonLines(`${cfg.out}/history.jsonl`, history);
    await saveSupernetCheckpoint(ckptPath, "search", checkpointTensors(), state);
  }
  const restoreCheckpoint = async () => {
    const file = await loadSupernetCheckpoint<SearchCheckpointState>(ckptPath, "search");
    const saved = file.state;
    for (const key of RESUME_KEYS) {
      // A key a checkpoint predates had its default then.
      if ((saved.config[key] ?? DEFAULT_SEARCH_CONFIG[key]) !== cfg[key]) {
        throw new Error(
          `--resume: ${ckptPath} was made with ${key} ${JSON.stringify(saved.config[key])}, ` +
            `not ${JSON.stringify(cfg[key])}; use the same flags or another --out`,
        );
      }
    }
    file.restore(checkpointTensors());
    position.step = saved.step;
    heldOut.consumed = saved.valConsumed;
    opt.stepCount = saved.optimizerSteps;
    rng.setState(saved.rng);
    history.push(...saved.history);
    driver.setState(saved.driver);
    earlierSeconds = saved.seconds;
    if (saved.metrics) {
      trainMetrics.restore(saved.metrics.train);
      valMetrics.restore(saved.metrics.val);
    }
    if (saved.weightPaths) pathSampler.restore(saved.weightPaths);
  };

  const learnsAlpha = cfg.algo === "proxyless-g" || cfg.algo === "proxyless-rl";
  const trainedView = (step: number): TrainedSupernet => ({
    epoch: step / stepsPerEpoch,
    step,
    heldOutTop1: async (path) => (await (await ctx.scorer()).evaluate(ctx.fullChoices(path))).top1,
    probabilities: () => (learnsAlpha ? driver.distribution() : null),
  });

  /** The epoch's line of history.jsonl (drains both metrics). */
  const epochRecord = async (step: number, lr: number, epochStart: number) => {
    await trainMetrics.drain();
    const train = trainMetrics.takeTotal();
    await valMetrics.drain(false);
    const val = valMetrics.takeTotal();
    const p = driver.distribution();
    const decisions = driver.decisions?.();
    history.push({
      phase: "supernet",
      epoch: step / stepsPerEpoch,
      step,
      trainLoss: train.loss,
      trainTop1: train.top1,
      valLoss: val.examples > 0 ? val.loss : null,
      valTop1: val.examples > 0 ? val.top1 : null,
      expectedMAdds: expectedUnder(costs.madds, p),
      argmaxMAdds: pathCost(costs.madds, derivedPath(p)),
      ...(prepared.latency
        ? {
          expectedLatencyMs: expectedUnder(prepared.cost.model, p),
          argmaxLatencyMs: pathCost(prepared.cost.model, derivedPath(p)),
        }
        : {}),
      entropy: p.map(entropy),
      probabilities: p,
      lambda: driver.lambda(),
      ...(decisions
        ? { archSteps: decisions[0]?.archSteps ?? 0, heldSteps: decisions.map((d) => d.heldSteps) }
        : {}),
      lr,
      seconds: (performance.now() - epochStart) / 1000,
    });
  };

  using _watch = watchInterrupts("search");
  try {
    if (cfg.resume) {
      await restoreCheckpoint();
      log(`search: resumed at step ${position.step}/${totalSteps}`);
    }
    const progress = new Progress({
      label: cfg.algo,
      total: totalSteps,
      unitsPerStep: cfg.batchSize,
      unitName: "img",
    });
    const startStep = position.step;
    let lr = cfg.weightLr;
    let epochStart = performance.now();
    let lastLoss = NaN;
    const end = await runStepLoop(position, {
      trainLoader,
      totalSteps,
      warmupSteps,
      archEvery: driver.archStep ? cfg.archUpdateEvery : 0,
      heldOut,
      stopAfter: cfg.stopAfter,
      checkpointEvery: checkpointEveryOf(cfg),
    }, {
      weightStep: (batch, step) => {
        lr = cosineLr({ baseLr: cfg.weightLr, totalSteps, warmupSteps: 0 }, step);
        const plan = pathSampler.next(rng);
        ctx.choosePath(plan.path);
        weightStep(supernet, opt, batch, data.train.shape, {
          lr,
          labelSmoothing: cfg.labelSmoothing,
          metrics: trainMetrics,
          zeroGrad: plan.zeroGrad,
          apply: plan.apply,
        });
      },
      ...(driver.archStep ? { archStep: (batch) => driver.archStep!(batch) } : {}),
      afterStep: async (step) => {
        if (step % cfg.logEvery === 0) {
          const window = await trainMetrics.drain();
          if (window.examples > 0) lastLoss = window.loss;
          progress.update(step - startStep, { loss: lastLoss, lambda: driver.lambda() ?? "-" });
        }
        if (step % stepsPerEpoch === 0) {
          if (pathSampler.flush()) applyPendingUpdate(opt, lr); // checkpoints hold no half group
          await epochRecord(step, lr, epochStart);
          epochStart = performance.now();
          await saveCheckpoint();
          await options.onEpoch?.(trainedView(step));
          return true;
        }
        return false;
      },
      // A fair group's gradients apply at its end: a step checkpoint or a stop waits for it.
      settled: () => !pathSampler.pending,
      checkpoint: () => saveCheckpoint(),
    });
    if (end.stopped) {
      const where = `step ${position.step} of ${totalSteps} (epoch ` +
        `${Math.floor(position.step / stepsPerEpoch) + 1}, ${position.step % stepsPerEpoch}/` +
        `${stepsPerEpoch})`;
      if (end.signal) {
        throw new InterruptedError(
          end.signal,
          `${end.signal}: stopped after ${where}; checkpoint ${ckptPath}`,
        );
      }
      log(
        `search: stopped after ${where} (--stop-after); checkpoint ${ckptPath}; continue with --resume`,
      );
      return null;
    }
    if (options.derive === false) return null;
    const lastEpoch = history.findLast((r) => r.phase === "supernet");
    const finalLoss = lastEpoch?.phase === "supernet" ? lastEpoch.trainLoss : lastLoss;
    progress.update(position.step - startStep, { loss: finalLoss }, true);

    const derivation = await driver.derive();
    const decisions = driver.decisions?.() ?? null;
    const choices = fullChoices(space, costs, derivation.path);
    const pathScorer = await ctx.scorer();
    const heldOutResult = await pathScorer.evaluate(choices);
    const result = searchResult({
      algo: cfg.algo,
      source: prepared.input.source,
      space,
      costs,
      derivation,
      fullChoices: choices,
      heldOut: heldOutResult,
      heldOutImages: pathScorer.images,
      maddsMax: cfg.maddsMax,
      cost: ctx.cost,
      latency: prepared.latency,
      lambda: driver.lambda(),
      seconds: elapsed(),
      decisions,
      expectedMAdds: learnsAlpha ? expectedUnder(costs.madds, driver.distribution()) : null,
      randomLabels: cfg.randomLabels,
      argmaxFullChoices: derivation.argmax
        ? fullChoices(space, costs, derivation.argmax.path)
        : undefined,
    });
    const foundCost = pathCost(ctx.cost.model, derivation.path);
    if (foundCost > ctx.cost.max) {
      throw new Error(
        `the found network (${ctx.cost.format(foundCost)}) is over the cap ` +
          ctx.cost.format(ctx.cost.max),
      );
    }
    await saveCheckpoint();
    await writeSearchOutputs(cfg.out, result);
    await writeSearchReport(cfg.out, result, history);
    log(
      `search: ${cfg.algo} found ${formatMAdds(result.madds)} MAdds, ${result.params} weights, ` +
        `held-out top-1 ${(100 * result.heldOut.top1).toFixed(2)}% in ${
          result.seconds.toFixed(0)
        } s` +
        (result.latencyMs === null ? "" : `, predicted ${formatMs(result.latencyMs)}`) +
        ` — ${cfg.out}/network.json`,
    );
    if (result.decidedShare !== null) log(`search: ${decisionLine(result)}`);
    for (const note of result.notes) log(`search: note: ${note}`);
    return result;
  } finally {
    driver.dispose?.();
    trainMetrics.dispose();
    valMetrics.dispose();
    opt.dispose();
    supernet.dispose();
  }
}
