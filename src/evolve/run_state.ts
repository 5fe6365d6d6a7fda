/**
 * Everything an evolution carries from step to step: the supernet and its weight
 * optimiser, the weight bank that shares modules between the cells of a layer (§3.3),
 * each mixed layer's population and sampled cells with their α, the data streams, the
 * schedule and the counters a checkpoint saves.
 *
 * Opening a run draws from its Rng in a fixed order (the supernet's weights, then each
 * layer's initial population): a resumed run restores the Rng's state afterwards.
 */
import type { DataLoader } from "../data/loader.ts";
import { paramGroups } from "../nn/module.ts";
import { Sgd } from "../nn/optimizers.ts";
import { type Backbone, builtinBackbone } from "../space/backbone.ts";
import type { Cell } from "../space/cell.ts";
import { ArchAdam, type ArchAdamOptions } from "../supernet/arch_optimizer.ts";
import type { HeldOutStream } from "../supernet/held_out_stream.ts";
import { MetricsAccumulator } from "../supernet/metrics_accumulator.ts";
import type { MixedLayer } from "../supernet/mixed_layer.ts";
import { WeightPathSampler } from "../supernet/path_sampling.ts";
import { archAdamOptions } from "../supernet/run_settings.ts";
import { openSupernetData, type SupernetData, supernetSchedule } from "../supernet/search_data.ts";
import { Supernet } from "../supernet/supernet.ts";
import { Rng } from "../util/rng.ts";
import { type EvolveConfig, referenceCellOf } from "./config.ts";
import type { CandidateComparison } from "../supernet/comparison_evidence.ts";
import type { RegenerationRecord } from "./history.ts";
import { PathCredits } from "./path_credit.ts";
import type { LayerPopulation, LayerPopulationShape } from "./population.ts";
import { initialPopulations } from "./population_step.ts";
import { WeightBank } from "./weight_bank.ts";

/** One mixed layer's evolving state between regenerations. */
export interface LayerState {
  layer: number;
  shape: LayerPopulationShape;
  population: LayerPopulation;
  /** Cell ids of the K sampled paths, in path order. */
  sampled: string[];
  /** α of the sampled paths (logits; p = softmax(α)). */
  alpha: number[];
  /** Adam on α, restarted at every regeneration (lazy: only the active paths step). */
  adam: ArchAdam;
  /**
   * Eq. 4's fitness steps since the last regeneration, as comparisons of two sampled
   * cells each (src/supernet/comparison_evidence.ts), and the steps they came from.
   */
  comparisons: CandidateComparison[];
  comparedSteps: number;
}

/** Weight steps of the run, from the loader's epoch length. */
export interface EvolveSchedule {
  readonly stepsPerEpoch: number;
  /** Warm-up and evolution together. */
  readonly totalSteps: number;
  /** Weight-only steps before the first fitness step and regeneration. */
  readonly warmupSteps: number;
  /** Steps after the warm-up (τ's first half, Eq. 2, is measured on these). */
  readonly evolutionSteps: number;
}

/** An evolution's state; `position`, `regeneration` and `history` advance as it runs. */
export interface EvolutionRun {
  readonly cfg: EvolveConfig;
  readonly rng: Rng;
  readonly backbone: Backbone;
  readonly data: SupernetData;
  readonly supernet: Supernet;
  /** SGD on every weight, the bank's modules joining as they are built. */
  readonly opt: Sgd;
  readonly bank: WeightBank;
  /** The reference cell of Eq. 2 (undefined: no τ constraint). */
  readonly reference: Cell | undefined;
  readonly archOptions: ArchAdamOptions;
  /** The searchable layers, in backbone order. */
  readonly layers: LayerState[];
  readonly trainLoader: DataLoader;
  /** Held-out batches for the fitness steps. */
  readonly heldOut: HeldOutStream;
  readonly schedule: EvolveSchedule;
  readonly trainMetrics: MetricsAccumulator;
  readonly valMetrics: MetricsAccumulator;
  /** `--fitness accuracy|mixed`: the single paths measured since the last regeneration. */
  readonly credits: PathCredits;
  /**
   * `--fitness accuracy`: the path each fitness step measures, in balanced order (each
   * sampled cell of a layer once per K steps, restarted at every regeneration).
   */
  readonly creditOrder: WeightPathSampler;
  readonly history: RegenerationRecord[];
  /** Weight steps done (the step loop advances it). */
  readonly position: { step: number };
  /** Regenerations done, the first one included. */
  regeneration: number;
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

/**
 * Opens the data (or takes `opened`: benchmarks pass synthetic splits) and builds the
 * supernet and the initial populations (no candidates yet).
 */
export async function openEvolution(
  cfg: EvolveConfig,
  opened?: SupernetData,
): Promise<EvolutionRun> {
  const rng = new Rng(cfg.seed);
  const data = opened ?? await openSupernetData({ ...cfg, label: "evolve" });
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
  const archOptions = archAdamOptions(cfg);
  const layers: LayerState[] = initialPopulations(cfg, backbone, rng).map((initial) => ({
    ...initial,
    sampled: [],
    alpha: [],
    adam: new ArchAdam(0, archOptions),
    comparisons: [],
    comparedSteps: 0,
  }));

  const { trainLoader, heldOut, stepsPerEpoch, totalSteps, warmupSteps } = supernetSchedule(
    data,
    cfg,
  );
  if (stepsPerEpoch < 1) {
    throw new Error(`evolve: fewer training images than one batch of ${cfg.batchSize}`);
  }

  return {
    cfg,
    rng,
    backbone,
    data,
    supernet,
    opt,
    bank,
    reference,
    archOptions,
    layers,
    trainLoader,
    heldOut,
    schedule: {
      stepsPerEpoch,
      totalSteps,
      warmupSteps,
      evolutionSteps: totalSteps - warmupSteps,
    },
    trainMetrics: new MetricsAccumulator("evolve.train_metrics"),
    valMetrics: new MetricsAccumulator("evolve.val_metrics"),
    credits: new PathCredits(),
    creditOrder: new WeightPathSampler("balanced", layers.map(() => cfg.k)),
    history: [],
    position: { step: 0 },
    regeneration: 0,
  };
}

/** The supernet's mixed layer of a searchable layer. */
export function mixedLayerOf(run: EvolutionRun, state: LayerState): MixedLayer {
  return run.supernet.mixed.get(state.layer)!;
}

/**
 * Frees the run's GPU buffers: metrics, path credits, optimiser state, bank, mixed layers,
 * supernet.
 */
export function disposeEvolution(run: EvolutionRun): void {
  run.trainMetrics.dispose();
  run.valMetrics.dispose();
  run.credits.dispose();
  run.opt.dispose();
  run.bank.dispose();
  for (const m of run.supernet.mixed.values()) m.dispose();
  run.supernet.dispose();
}
