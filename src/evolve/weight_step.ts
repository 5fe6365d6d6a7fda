/**
 * A weight step of the evolution (training split): one path per mixed layer, chosen by
 * `--path-sampling` (src/supernet/path_sampling.ts): ∝ p = softmax(α) of the sampled
 * cells, uniformly, or fairly (groups of K steps whose gradients apply together). The
 * step never waits for the GPU.
 */
import type { Batch } from "../data/dataset.ts";
import { sampleActivePaths, softmax } from "../supernet/gates.ts";
import { pathOrderOf, WeightPathSampler } from "../supernet/path_sampling.ts";
import { weightStep } from "../supernet/supernet_steps.ts";
import { type EvolutionRun, mixedLayerOf } from "./run_state.ts";

/**
 * The run's weight-path sampler: K candidates per layer; `proportional` draws one path
 * ∝ the current p of each layer.
 */
export function evolvePathSampler(run: EvolutionRun): WeightPathSampler {
  const { cfg, layers } = run;
  return new WeightPathSampler(
    pathOrderOf(cfg.pathSampling),
    layers.map(() => cfg.k),
    (r) => layers.map((s) => sampleActivePaths(softmax(s.alpha), 1, r)[0]),
  );
}

/** One weight step at learning rate `lr` on the path `sampler` plans next. */
export function evolveWeightStep(
  run: EvolutionRun,
  sampler: WeightPathSampler,
  batch: Batch,
  lr: number,
): void {
  const plan = sampler.next(run.rng);
  run.layers.forEach((s, l) => {
    const mixed = mixedLayerOf(run, s);
    mixed.gateGradients = false;
    mixed.choose({ active: [plan.path[l]], gates: [1] });
  });
  weightStep(run.supernet, run.opt, batch, run.data.train.shape, {
    lr,
    labelSmoothing: run.cfg.labelSmoothing,
    metrics: run.trainMetrics,
    zeroGrad: plan.zeroGrad,
    apply: plan.apply,
  });
}
