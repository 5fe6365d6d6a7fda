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
import { formatMAdds } from "../space/counting.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import { checkpointEveryOf } from "../supernet/run_settings.ts";
import { openSupernetData } from "../supernet/search_data.ts";
import { runStepLoop } from "../supernet/step_loop.ts";
import { applyPendingUpdate, weightStep } from "../supernet/supernet_steps.ts";
import { cosineLr } from "../train/schedule.ts";
import { Progress } from "../util/progress.ts";
import { InterruptedError, watchInterrupts } from "../util/interrupt.ts";
import { gpuLatencyTable } from "../latency/gpu_table.ts";
import type { LatencyTable } from "../latency/table.ts";
import { costBudget, type SearchConfig } from "./config.ts";
import { requireReachableCap } from "./cost_cap.ts";
import { pathCost } from "./expected_cost.ts";
import { type SearchResult, searchResult, writeSearchOutputs } from "./outputs.ts";
import { decisionLine, writeSearchReport } from "./report.ts";
import {
  expectedUnder,
  type PreparedSearch,
  searchCheckpointPath,
  SearchRun,
  type TrainedSupernet,
} from "./search_run.ts";
import { loadSearchSpace } from "./space_input.ts";
import {
  formatMs,
  fullChoices,
  latencyCost,
  maddsCost,
  type SpaceCosts,
  spaceCosts,
} from "./space_costs.ts";
import { mostProbablePaths } from "./shortlist.ts";
import { maddsRange } from "./equal_madds_draw.ts";

export { type PreparedSearch, searchCheckpointPath, type TrainedSupernet };

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
 * `--madds-min`: some network of the space must lie between the floor and the cap (the
 * space's dearest network when there is no cap), or the search would end with nothing
 * to derive.
 */
function requireBand(costs: SpaceCosts, cfg: SearchConfig): void {
  const min = cfg.maddsMin!;
  const uniform = costs.choices.map((k) => new Array<number>(k).fill(0));
  const [inBand] = mostProbablePaths(uniform, costs.madds, cfg.maddsMax ?? Infinity, 1, min);
  if (inBand) return;
  const dearest = maddsRange(costs.madds).max;
  throw new Error(
    `no network of ${cfg.space} lies between --madds-min ${formatMAdds(min)} and ` +
      (cfg.maddsMax === null
        ? `the dearest network (${formatMAdds(dearest)} MAdds); lower --madds-min`
        : `--madds-max ${formatMAdds(cfg.maddsMax)}; widen the band`),
  );
}

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
  if (cfg.maddsMin !== null) requireBand(costs, cfg);
  let cost = maddsCost(costs, cfg.maddsMax, cfg.maddsMin);
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
          : cfg.rlEstimator === "paired-all"
          ? "one context path and every one-layer variation of it"
          : `${cfg.rlSamples} paths and a moving-average baseline`
      } a step, reward held-out ${cfg.rlReward === "loss" ? "−cross-entropy" : "top-1"}`,
    );
  }
  if (cfg.algo === "proxyless-g") {
    lines.push(
      `gate gradients: ${
        cfg.gatePaths === "all"
          ? "every candidate a layer (each forward, the drawn one backward)"
          : "two paths drawn a layer"
      } a step`,
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
  const t0 = performance.now();
  await Deno.mkdir(prepared.cfg.out, { recursive: true });
  const run = new SearchRun(prepared, log, t0);
  using _watch = watchInterrupts("search");
  try {
    if (run.cfg.resume) {
      await run.restore();
      log(`search: resumed at step ${run.position.step}/${run.schedule.totalSteps}`);
    }
    const trained = await trainSupernet(run, options);
    if (trained === null || options.derive === false) return null;
    return await deriveAndWrite(run);
  } finally {
    run.dispose();
  }
}

/**
 * Trains the supernet to the end of its schedule (weight steps, the driver's
 * architecture steps, a history line and a checkpoint per epoch); null when
 * `--stop-after` stopped it (a signal throws), else true.
 */
async function trainSupernet(run: SearchRun, options: RunSearchOptions): Promise<true | null> {
  const { cfg, driver, pathSampler, trainMetrics, position, rng } = run;
  const { trainLoader, heldOut, stepsPerEpoch, totalSteps, warmupSteps } = run.schedule;
  const data = run.prepared.data;
  const progress = new Progress({
    label: cfg.algo,
    total: totalSteps,
    unitsPerStep: cfg.batchSize,
    unitName: "img",
    resumedAt: position.step,
  });
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
      run.ctx.choosePath(plan.path);
      weightStep(run.supernet, run.opt, batch, data.train.shape, {
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
        progress.update(step, { loss: lastLoss, lambda: driver.lambda() ?? "-" });
      }
      if (step % stepsPerEpoch === 0) {
        if (pathSampler.flush()) applyPendingUpdate(run.opt, lr); // checkpoints hold no half group
        await run.recordEpoch(step, lr, epochStart);
        epochStart = performance.now();
        await run.save();
        await options.onEpoch?.(run.trainedView(step));
        return true;
      }
      return false;
    },
    // A fair group's gradients apply at its end: a step checkpoint or a stop waits for it.
    settled: () => !pathSampler.pending,
    checkpoint: () => run.save(),
  });
  if (end.stopped) {
    const where = `step ${position.step} of ${totalSteps} (epoch ` +
      `${Math.floor(position.step / stepsPerEpoch) + 1}, ${position.step % stepsPerEpoch}/` +
      `${stepsPerEpoch})`;
    if (end.signal) {
      throw new InterruptedError(
        end.signal,
        `${end.signal}: stopped after ${where}; checkpoint ${run.ckptPath}`,
      );
    }
    run.log(
      `search: stopped after ${where} (--stop-after); checkpoint ${run.ckptPath}; ` +
        "continue with --resume",
    );
    return null;
  }
  if (options.derive === false) return true;
  const lastEpoch = run.history.findLast((r) => r.phase === "supernet");
  const finalLoss = lastEpoch?.phase === "supernet" ? lastEpoch.trainLoss : lastLoss;
  progress.update(position.step, { loss: finalLoss }, true);
  return true;
}

/**
 * The found network: the driver's derivation, its held-out accuracy with the supernet's
 * weights, checked against the cap; writes the outputs and the report.
 */
async function deriveAndWrite(run: SearchRun): Promise<SearchResult> {
  const { cfg, driver, ctx, prepared } = run;
  const { space, costs } = prepared;
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
    maddsMin: cfg.maddsMin,
    cost: ctx.cost,
    latency: prepared.latency,
    lambda: driver.lambda(),
    seconds: run.elapsed(),
    decisions,
    expectedMAdds: run.learnsAlpha ? expectedUnder(costs.madds, driver.distribution()) : null,
    randomLabels: cfg.randomLabels,
    gateGradients: driver.gateGradients?.() ?? null,
    gateEvidence: driver.gateEvidence?.() ?? null,
    pairedEvidence: driver.pairedEvidence?.() ?? null,
    argmaxFullChoices: derivation.argmax
      ? fullChoices(space, costs, derivation.argmax.path)
      : undefined,
  });
  const foundCost = pathCost(ctx.cost.model, derivation.path);
  if (foundCost < ctx.cost.min) {
    throw new Error(
      `the found network (${ctx.cost.format(foundCost)}) is under the floor ` +
        ctx.cost.format(ctx.cost.min),
    );
  }
  if (foundCost > ctx.cost.max) {
    throw new Error(
      `the found network (${ctx.cost.format(foundCost)}) is over the cap ` +
        ctx.cost.format(ctx.cost.max),
    );
  }
  await run.save();
  await writeSearchOutputs(cfg.out, result);
  await writeSearchReport(cfg.out, result, run.history);
  run.log(
    `search: ${cfg.algo} found ${formatMAdds(result.madds)} MAdds, ${result.params} weights, ` +
      `held-out top-1 ${(100 * result.heldOut.top1).toFixed(2)}% in ${
        result.seconds.toFixed(0)
      } s` +
      (result.latencyMs === null ? "" : `, predicted ${formatMs(result.latencyMs)}`) +
      ` — ${cfg.out}/network.json`,
  );
  if (result.decidedShare !== null) run.log(`search: ${decisionLine(result)}`);
  for (const note of result.notes) run.log(`search: note: ${note}`);
  return result;
}
