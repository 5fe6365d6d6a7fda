/**
 * A fitness step of the evolution (held-out split, weights fixed): `--active-paths`
 * paths per mixed layer (two by default) with binary gates, ∂L/∂g of every layer from
 * the GPU in one read (the next step's path sampling needs the new p on the host), then
 * Eq. 4 on the host with its compensation factor n/n′, and Adam on α (`--arch-beta1`,
 * 0 by default as in ProxylessNAS).
 */
import type { Batch } from "../data/dataset.ts";
import { updateAlphaFromGates } from "../supernet/alpha_update.ts";
import { binaryGate, sampleActivePaths, softmax } from "../supernet/gates.ts";
import { gateGradientStep } from "../supernet/supernet_steps.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { compensationFactors } from "./compensation.ts";
import { type EvolutionRun, mixedLayerOf } from "./run_state.ts";

/** The supernet's weights and the optimiser's: fixed in a fitness step, so no gradients. */
function allWeights(run: EvolutionRun): Tensor[] {
  return [
    ...run.supernet.parameters().map((p) => p.tensor),
    ...run.opt.groups.flatMap((g) => g.params),
  ];
}

/**
 * One fitness step on `batch`; `globalIterations` (weight steps since the warm-up) is
 * Eq. 4's n.
 */
export async function fitnessStep(
  run: EvolutionRun,
  batch: Batch,
  globalIterations: number,
): Promise<void> {
  const { cfg, rng } = run;
  const choices = run.layers.map((s) => {
    const p = softmax(s.alpha);
    const active = sampleActivePaths(p, Math.min(cfg.activePaths, s.alpha.length), rng);
    const { gates } = binaryGate(p, active, rng);
    const mixed = mixedLayerOf(run, s);
    mixed.gateGradients = true;
    mixed.choose({ active, gates: active.map((i) => gates[i]) });
    return active;
  });
  const grads = await gateGradientStep(
    run.supernet,
    run.layers.map((s) => mixedLayerOf(run, s)),
    allWeights(run), // weights are fixed during a fitness step: skip their gradients
    batch,
    run.data.val.shape,
    run.valMetrics,
  );
  run.layers.forEach((s, li) => {
    const active = choices[li];
    // Eq. 4 without the factor on the gradient: Adam would cancel a constant factor,
    // so it scales the step instead (same direction, n/n′ times longer for rarely
    // trained cells).
    const factors = compensationFactors(
      s.population,
      active.map((i) => s.sampled[i]),
      globalIterations,
      cfg.compensationCap,
    );
    s.alpha = updateAlphaFromGates({
      alpha: s.alpha,
      active,
      gateGrads: grads[li],
      optimizer: s.adam,
      stepScale: factors,
    });
  });
}
