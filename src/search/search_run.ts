/**
 * A search run's state, shared by its parts (src/search/search.ts: train, derive,
 * write): the supernet and its optimiser, the algorithm's driver and the context it is
 * given, the weight-path sampler, the metrics and history, and where the run stands;
 * with the checkpoint that holds all of it (`--resume`) and each epoch's history line.
 */
import { paramGroups } from "../nn/module.ts";
import { Sgd } from "../nn/optimizers.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import {
  loadSupernetCheckpoint,
  saveSupernetCheckpoint,
  withOptimizerState,
} from "../supernet/checkpoint.ts";
import { MetricsAccumulator, type MetricsSnapshot } from "../supernet/metrics_accumulator.ts";
import {
  type SupernetData,
  type SupernetSchedule,
  supernetSchedule,
} from "../supernet/search_data.ts";
import { type Supernet, supernetFromSpace } from "../supernet/supernet.ts";
import { pathOrderOf, type PathOrderState, WeightPathSampler } from "../supernet/path_sampling.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { writeJsonLines } from "../util/atomic_write.ts";
import { Progress } from "../util/progress.ts";
import { InterruptedError, interruptRequested } from "../util/interrupt.ts";
import { Rng } from "../util/rng.ts";
import type { LatencyTable } from "../latency/table.ts";
import { entropy } from "./architecture_logits.ts";
import {
  DEFAULT_SEARCH_CONFIG,
  type SearchAlgorithm,
  type SearchConfig,
  searchConfigToJson,
} from "./config.ts";
import type { SearchContext, SearchDriver } from "./driver.ts";
import { type CostModel, derivedPath, pathCost } from "./expected_cost.ts";
import type { HistoryRecord } from "./history.ts";
import { PathScorer } from "./path_scorer.ts";
import { proxylessGradientSearch } from "./proxyless_g.ts";
import { proxylessReinforceSearch } from "./proxyless_rl.ts";
import { randomPathSearch } from "./random.ts";
import type { SearchInput } from "./space_input.ts";
import { fullChoices, type SearchCost, type SpaceCosts } from "./space_costs.ts";
import { sposSearch } from "./spos.ts";

/** Everything checked before the GPU starts or a file is written (`prepareSearch`). */
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

/** The drivers by `--algo`. */
const DRIVERS: Readonly<Record<SearchAlgorithm, (ctx: SearchContext) => SearchDriver>> = {
  "proxyless-g": proxylessGradientSearch,
  "proxyless-rl": proxylessReinforceSearch,
  spos: sposSearch,
  random: randomPathSearch,
};

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
  /** The metric sums as they stand (absent: none yet, as at a run's start). */
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
  "gatePaths",
  "archLr",
  "archUpdateEvery",
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

/** E_p[cost] of a cost model under p (Eq. 6's Cost(N)). */
export function expectedUnder(model: CostModel, p: readonly (readonly number[])[]): number {
  return model.fixed +
    p.reduce((s, row, l) => s + row.reduce((t, pi, i) => t + pi * model.perLayer[l][i], 0), 0);
}

/** A search in progress (see the module comment). */
export class SearchRun {
  readonly cfg: SearchConfig;
  readonly rng: Rng;
  readonly supernet: Supernet;
  readonly opt: Sgd;
  readonly schedule: SupernetSchedule;
  readonly trainMetrics: MetricsAccumulator;
  readonly valMetrics: MetricsAccumulator;
  readonly history: HistoryRecord[] = [];
  readonly position = { step: 0 };
  readonly ckptPath: string;
  readonly ctx: SearchContext;
  readonly driver: SearchDriver;
  readonly pathSampler: WeightPathSampler;
  /** Whether the algorithm learns α (the ProxylessNAS searches). */
  readonly learnsAlpha: boolean;
  /** Wall seconds of the processes before this one (a resumed run). */
  private earlierSeconds = 0;
  private scorer: PathScorer | null = null;
  private pathProgress: Progress | null = null;

  /** Builds the supernet (from `--seed`), its optimiser and the algorithm's driver. */
  constructor(
    readonly prepared: PreparedSearch,
    readonly log: (line: string) => void,
    private readonly t0: number,
  ) {
    const { cfg, space, costs, data } = prepared;
    this.cfg = cfg;
    this.rng = new Rng(cfg.seed);
    this.supernet = supernetFromSpace(space, this.rng);
    this.opt = new Sgd(paramGroups(this.supernet.parameters(), cfg.weightDecay), {
      lr: cfg.weightLr,
      momentum: cfg.momentum,
      nesterov: cfg.momentum > 0,
    });
    this.schedule = supernetSchedule(data, cfg);
    this.trainMetrics = new MetricsAccumulator("search.train_metrics");
    this.valMetrics = new MetricsAccumulator("search.val_metrics");
    this.ckptPath = searchCheckpointPath(cfg.out);
    this.ctx = this.context();
    this.driver = DRIVERS[cfg.algo](this.ctx);
    // ∝ p comes from the driver's draw; so does SPOS's and random search's `uniform`
    // (their own uniform draw under the cap).
    const singlePath = cfg.algo === "spos" || cfg.algo === "random";
    this.pathSampler = new WeightPathSampler(
      singlePath && cfg.pathSampling === "uniform" ? "draw" : pathOrderOf(cfg.pathSampling),
      costs.choices,
      () => this.driver.trainingPath(),
    );
    this.learnsAlpha = cfg.algo === "proxyless-g" || cfg.algo === "proxyless-rl";
  }

  /** What the driver is given: the supernet, the scorer, checkpoints, history, log. */
  private context(): SearchContext {
    const { cfg, space, costs, data } = this.prepared;
    const supernet = this.supernet;
    return {
      cfg,
      space,
      costs,
      cost: this.prepared.cost,
      supernet,
      rng: this.rng,
      imageShape: data.val.shape,
      valMetrics: this.valMetrics,
      weights: () => supernet.parameters().map((p) => p.tensor),
      scorer: async () =>
        this.scorer ??= await PathScorer.create(supernet, {
          train: data.train,
          heldOut: data.val,
          batchSize: cfg.batchSize,
          bnBatches: cfg.bnBatches,
          scoreImages: cfg.scoreImages,
          seed: cfg.seed + 11,
        }),
      choosePath: (path) => supernet.choosePath(fullChoices(space, costs, path)),
      fullChoices: (path) => fullChoices(space, costs, path),
      progress: (done, total, best) => {
        this.pathProgress ??= new Progress({ label: `${cfg.algo} paths`, total });
        this.pathProgress.update(done, { best }, done >= total);
        // `--derive scored` keeps no checkpoint of its own: a signal abandons it, and the
        // resumed run scores the shortlist again from the trained supernet's checkpoint.
        // (SPOS and random search checkpoint their path search, and stop there.)
        const signal = this.learnsAlpha ? interruptRequested() : null;
        if (signal) {
          throw new InterruptedError(
            signal,
            `${signal}: stopped while scoring the shortlist (the supernet trained); ` +
              `checkpoint ${this.ckptPath}`,
          );
        }
      },
      checkpoint: async () => {
        await this.save();
        // A signal while paths are scored stops here, with their scores saved.
        const signal = interruptRequested();
        if (signal) {
          throw new InterruptedError(
            signal,
            `${signal}: stopped while scoring paths (the supernet trained); ` +
              `checkpoint ${this.ckptPath}`,
          );
        }
      },
      record: (line) => this.history.push(line),
      log: this.log,
    };
  }

  /** Wall seconds of the run, resumed parts included. */
  elapsed(): number {
    return this.earlierSeconds + (performance.now() - this.t0) / 1000;
  }

  /** The supernet's weights, BN statistics and optimiser state, by checkpoint name. */
  private checkpointTensors(): Map<string, Tensor> {
    const named = new Map<string, Tensor>();
    for (const p of [...this.supernet.parameters(), ...this.supernet.buffers()]) {
      named.set(`net.${p.name}`, p.tensor);
    }
    return withOptimizerState(named, this.opt);
  }

  /** Writes history.jsonl and the checkpoint. */
  async save(): Promise<void> {
    const state: SearchCheckpointState = {
      config: searchConfigToJson(this.cfg),
      step: this.position.step,
      valConsumed: this.schedule.heldOut.consumed,
      optimizerSteps: this.opt.stepCount,
      rng: this.rng.getState(),
      history: this.history,
      driver: this.driver.getState(),
      seconds: this.elapsed(),
      metrics: {
        train: await this.trainMetrics.snapshot(),
        val: await this.valMetrics.snapshot(),
      },
      weightPaths: this.pathSampler.state(),
    };
    await writeJsonLines(`${this.cfg.out}/history.jsonl`, this.history);
    await saveSupernetCheckpoint(this.ckptPath, "search", this.checkpointTensors(), state);
  }

  /** Continues from the checkpoint; refuses one made with other result-defining flags. */
  async restore(): Promise<void> {
    const { cfg, ckptPath } = this;
    const file = await loadSupernetCheckpoint<SearchCheckpointState>(ckptPath, "search");
    const saved = file.state;
    for (const key of RESUME_KEYS) {
      // A key a checkpoint does not record had its default.
      if ((saved.config[key] ?? DEFAULT_SEARCH_CONFIG[key]) !== cfg[key]) {
        throw new Error(
          `--resume: ${ckptPath} was made with ${key} ${JSON.stringify(saved.config[key])}, ` +
            `not ${JSON.stringify(cfg[key])}; use the same flags or another --out`,
        );
      }
    }
    file.restore(this.checkpointTensors());
    this.position.step = saved.step;
    this.schedule.heldOut.consumed = saved.valConsumed;
    this.opt.stepCount = saved.optimizerSteps;
    this.rng.setState(saved.rng);
    this.history.push(...saved.history);
    this.driver.setState(saved.driver);
    this.earlierSeconds = saved.seconds;
    if (saved.metrics) {
      this.trainMetrics.restore(saved.metrics.train);
      this.valMetrics.restore(saved.metrics.val);
    }
    if (saved.weightPaths) this.pathSampler.restore(saved.weightPaths);
  }

  /** The epoch's line of history.jsonl (drains both metrics). */
  async recordEpoch(step: number, lr: number, epochStart: number): Promise<void> {
    const { costs, latency, cost } = this.prepared;
    await this.trainMetrics.drain();
    const train = this.trainMetrics.takeTotal();
    await this.valMetrics.drain(false);
    const val = this.valMetrics.takeTotal();
    const p = this.driver.distribution();
    const decisions = this.driver.decisions?.();
    this.history.push({
      phase: "supernet",
      epoch: step / this.schedule.stepsPerEpoch,
      step,
      trainLoss: train.loss,
      trainTop1: train.top1,
      valLoss: val.examples > 0 ? val.loss : null,
      valTop1: val.examples > 0 ? val.top1 : null,
      expectedMAdds: expectedUnder(costs.madds, p),
      argmaxMAdds: pathCost(costs.madds, derivedPath(p)),
      ...(latency
        ? {
          expectedLatencyMs: expectedUnder(cost.model, p),
          argmaxLatencyMs: pathCost(cost.model, derivedPath(p)),
        }
        : {}),
      entropy: p.map(entropy),
      probabilities: p,
      lambda: this.driver.lambda(),
      ...(decisions
        ? { archSteps: decisions[0]?.archSteps ?? 0, heldSteps: decisions.map((d) => d.heldSteps) }
        : {}),
      lr,
      seconds: (performance.now() - epochStart) / 1000,
    });
  }

  /** The supernet after `step` weight steps, as a caller measures it. */
  trainedView(step: number): TrainedSupernet {
    return {
      epoch: step / this.schedule.stepsPerEpoch,
      step,
      heldOutTop1: async (path) =>
        (await (await this.ctx.scorer()).evaluate(this.ctx.fullChoices(path))).top1,
      probabilities: () => (this.learnsAlpha ? this.driver.distribution() : null),
    };
  }

  dispose(): void {
    this.driver.dispose?.();
    this.trainMetrics.dispose();
    this.valMetrics.dispose();
    this.opt.dispose();
    this.supernet.dispose();
  }
}
