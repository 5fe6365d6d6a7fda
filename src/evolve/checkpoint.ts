/**
 * An evolution's checkpoint (what `--resume` continues from), written right after a
 * regeneration, every `--checkpoint-every` and on a signal: the populations, the sampled
 * cells with their α and Adam state, the counters, the Rng, the history, every cell the
 * weight bank built, every weight (supernet, bank modules, optimiser state), and between
 * regenerations the steps since the last one, the metric sums as they stand, where the
 * path orders stand and the paths measured so far (`--fitness accuracy|mixed`).
 */
import { type CellJson, cellToJson, parseCell } from "../space/cell.ts";
import { ArchAdam } from "../supernet/arch_optimizer.ts";
import {
  loadSupernetCheckpoint,
  saveSupernetCheckpoint,
  withOptimizerState,
} from "../supernet/checkpoint.ts";
import type { MetricsSnapshot } from "../supernet/metrics_accumulator.ts";
import type { PathOrderState } from "../supernet/path_sampling.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { evolveConfigFromJson, evolveConfigToJson, formatEdgeOps } from "./config.ts";
import type { RegenerationRecord } from "./history.ts";
import type { PathCreditsSnapshot } from "./path_credit.ts";
import { LayerPopulation, type LayerPopulationJson } from "./population.ts";
import { type EvolutionRun, mixedLayerOf } from "./run_state.ts";

/** What an evolution checkpoint holds beside the tensors. */
interface EvolveCheckpointState {
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
    /** Adam's first moment (read as zeros where a checkpoint has none). */
    adamM?: number[];
    /**
     * The gate steps' comparisons since the last regeneration, [a, b, d] each, and their
     * steps (absent: none, as in checkpoints made before they were kept).
     */
    comparisons?: [number, number, number][];
    comparedSteps?: number;
  }[];
  bank: { layer: number; id: string; cell: CellJson }[];
  config: Record<string, unknown>;
  /** Weight steps since the last regeneration (absent: 0, a checkpoint right after one). */
  sinceRegeneration?: number;
  /** The metric sums as they stand (absent: drained, as right after a regeneration). */
  metrics?: { train: MetricsSnapshot; val: MetricsSnapshot };
  /** Where the weight-path order stands (absent: at its start). */
  weightPaths?: PathOrderState;
  /** `--fitness accuracy|mixed`: the measured-path order and the paths measured so far. */
  creditOrder?: PathOrderState;
  credits?: PathCreditsSnapshot;
}

/** Where the run stands between regenerations: what a step checkpoint adds. */
export interface StepPosition {
  /** Weight steps since the last regeneration. */
  readonly sinceRegeneration: number;
  /** Where the weight-path sampler stands in its order (`fair`, `balanced`). */
  readonly weightPaths?: PathOrderState;
}

/** Where an evolution keeps its checkpoint (what `--resume` continues from). */
export function evolveCheckpointPath(out: string): string {
  return `${out}/checkpoint.astf`;
}

/** Every tensor a checkpoint holds, by a name that survives a rebuild. */
function checkpointTensors(run: EvolutionRun): Map<string, Tensor> {
  const tensors = new Map<string, Tensor>();
  for (const p of [...run.supernet.parameters(), ...run.supernet.buffers()]) {
    tensors.set(`net.${p.name}`, p.tensor);
  }
  for (const [k, t] of run.bank.namedTensors()) tensors.set(k, t);
  return withOptimizerState(tensors, run.opt);
}

/**
 * Writes the run's checkpoint to `evolveCheckpointPath(cfg.out)`: right after a
 * regeneration, or between two (a step checkpoint, `position` saying where; the paths
 * measured so far under `--fitness accuracy|mixed` and the orders being walked are
 * saved with it).
 */
export async function saveEvolveCheckpoint(
  run: EvolutionRun,
  position: StepPosition = { sinceRegeneration: 0 },
): Promise<void> {
  const state: EvolveCheckpointState = {
    step: run.position.step,
    regeneration: run.regeneration,
    valConsumed: run.heldOut.consumed,
    optimizerSteps: run.opt.stepCount,
    rng: run.rng.getState(),
    history: run.history,
    layers: run.layers.map((s) => {
      const adam = s.adam.state();
      return {
        layer: s.layer,
        population: s.population.toJSON(),
        sampled: s.sampled,
        alpha: s.alpha,
        adamV: adam.v,
        adamStep: adam.t,
        adamM: adam.m,
        comparisons: s.comparisons.map((c): [number, number, number] => [c.a, c.b, c.d]),
        comparedSteps: s.comparedSteps,
      };
    }),
    bank: run.bank.builtBlocks().map(({ layer, id, cell }) => ({
      layer,
      id,
      cell: cellToJson(cell),
    })),
    config: evolveConfigToJson(run.cfg),
    sinceRegeneration: position.sinceRegeneration,
    metrics: { train: await run.trainMetrics.snapshot(), val: await run.valMetrics.snapshot() },
    ...(position.weightPaths ? { weightPaths: position.weightPaths } : {}),
    creditOrder: run.creditOrder.state(),
    credits: await run.credits.snapshot(),
  };
  await saveSupernetCheckpoint(
    evolveCheckpointPath(run.cfg.out),
    "evolve",
    checkpointTensors(run),
    state,
  );
}

/**
 * Restores a freshly opened run (no regeneration yet) from its checkpoint; refuses one
 * made with another seed, backbone, `--path-sampling`, `--edge-ops` or `--fitness`.
 * Returns where the run stood between regenerations.
 */
export async function restoreEvolveCheckpoint(run: EvolutionRun): Promise<StepPosition> {
  const { cfg } = run;
  const ckptPath = evolveCheckpointPath(cfg.out);
  const file = await loadSupernetCheckpoint<EvolveCheckpointState>(ckptPath, "evolve", {
    acceptUntagged: true, // an evolution checkpoint may carry no format tag
  });
  const meta = file.state;
  if (meta.config.seed !== cfg.seed || meta.config.backbone !== cfg.backbone) {
    throw new Error(`--resume: ${ckptPath} was made with another seed or backbone`);
  }
  // A checkpoint that records no path sampling trained its paths ∝ p.
  const savedSampling = meta.config.pathSampling ?? "proportional";
  if (savedSampling !== cfg.pathSampling) {
    throw new Error(
      `--resume: ${ckptPath} was made with --path-sampling ${savedSampling}, not ` +
        `${cfg.pathSampling}; use the same flag or another --out`,
    );
  }
  const saved = evolveConfigFromJson(meta.config);
  if (saved.fitness !== cfg.fitness) {
    throw new Error(
      `--resume: ${ckptPath} was made with --fitness ${saved.fitness}, not ${cfg.fitness}; ` +
        `use the same flag or another --out`,
    );
  }
  const savedOps = saved.edgeOps;
  if (formatEdgeOps(savedOps) !== formatEdgeOps(cfg.edgeOps)) {
    throw new Error(
      `--resume: ${ckptPath} was made with --edge-ops ${formatEdgeOps(savedOps)}, not ` +
        `${formatEdgeOps(cfg.edgeOps)}; use the same flag or another --out`,
    );
  }
  for (const saved of meta.layers) {
    const s = run.layers.find((l) => l.layer === saved.layer);
    if (!s) {
      throw new Error(`--resume: ${ckptPath} has layer ${saved.layer}, not in this backbone`);
    }
    s.population = LayerPopulation.fromJSON(saved.population, `${ckptPath} layer ${saved.layer}`);
    s.sampled = saved.sampled;
    s.alpha = saved.alpha;
    s.adam = new ArchAdam(saved.alpha.length, run.archOptions);
    s.adam.setState({
      m: saved.adamM ?? saved.alpha.map(() => 0),
      v: saved.adamV,
      t: saved.adamStep,
    });
    s.comparisons = (saved.comparisons ?? []).map(([a, b, d]) => ({ a, b, d }));
    s.comparedSteps = saved.comparedSteps ?? 0;
  }
  // Rebuild every block ever built, in order: that recreates the same shared modules,
  // whose saved weights then overwrite the fresh ones.
  for (const { layer, id, cell } of meta.bank) {
    const s = run.layers.find((l) => l.layer === layer)!;
    run.bank.blockFor(layer, s.shape, id, parseCell(cell, `${ckptPath} bank`));
  }
  for (const s of run.layers) {
    mixedLayerOf(run, s).setCandidates(
      s.sampled.map((id) => run.bank.blockFor(s.layer, s.shape, id, s.population.require(id).cell)),
    );
  }
  file.restore(checkpointTensors(run));
  run.position.step = meta.step;
  run.regeneration = meta.regeneration;
  run.heldOut.consumed = meta.valConsumed;
  run.opt.stepCount = meta.optimizerSteps;
  run.rng.setState(meta.rng);
  run.history.push(...meta.history);
  if (meta.metrics) {
    run.trainMetrics.restore(meta.metrics.train);
    run.valMetrics.restore(meta.metrics.val);
  }
  if (meta.creditOrder) run.creditOrder.restore(meta.creditOrder);
  if (meta.credits) run.credits.restore(meta.credits);
  return {
    sinceRegeneration: meta.sinceRegeneration ?? 0,
    ...(meta.weightPaths ? { weightPaths: meta.weightPaths } : {}),
  };
}
