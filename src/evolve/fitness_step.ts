/**
 * A fitness step of the evolution (held-out split, weights fixed), by `--fitness`
 * (fitness_mode.ts):
 *
 * - `alpha` and `mixed`: Eq. 4's step. `--active-paths` paths per mixed layer (two by
 *   default) with binary gates, ∂L/∂g of every layer from the GPU in one read (the next
 *   step's path sampling needs the new p on the host), then Eq. 4 on the host with its
 *   compensation factor n/n′, and Adam on α (`--arch-beta1`, 0 by default as in
 *   ProxylessNAS). In `mixed` the forward's loss — that of the single path whose gates
 *   are on — is also credited to that path's cells (path_credit.ts).
 * - `accuracy`: one path, a sampled cell per layer in balanced order (each cell of a
 *   layer once per K steps), forward only on the held-out batch; its loss is credited to
 *   its cells. No gradient, no host sync: the losses are read at the regeneration.
 * - `paired`: that path as a context, and the context with each layer switched to each
 *   of its other sampled cells, all on the one held-out batch, each variation started at
 *   its switched layer: 1 + Σ(K − 1) partial passes, credited by `creditPairedCells`.
 */
import type { Batch } from "../data/dataset.ts";
import { updateAlphaFromGates } from "../supernet/alpha_update.ts";
import { binaryGate, sampleActivePaths, softmax } from "../supernet/gates.ts";
import { gateGradientStep, pairedLossStep, pathLossStep } from "../supernet/supernet_steps.ts";
import { everyAlternative, variationPaths } from "../supernet/variation_paths.ts";
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
  if (run.cfg.fitness === "accuracy") {
    pathCreditStep(run, batch);
  } else if (run.cfg.fitness === "paired") {
    pairedCreditStep(run, batch);
  } else {
    await gateStep(run, batch, globalIterations, run.cfg.fitness === "mixed");
  }
}

/** Eq. 4's binary-gate step; with `credit`, the gated path's loss is credited too. */
async function gateStep(
  run: EvolutionRun,
  batch: Batch,
  globalIterations: number,
  credit: boolean,
): Promise<void> {
  const { cfg, rng } = run;
  const choices = run.layers.map((s) => {
    const p = softmax(s.alpha);
    const active = sampleActivePaths(p, Math.min(cfg.activePaths, s.alpha.length), rng);
    const { gates } = binaryGate(p, active, rng);
    const mixed = mixedLayerOf(run, s);
    mixed.gateGradients = true;
    mixed.choose({ active, gates: active.map((i) => gates[i]) });
    // Binary gates: one active path has gate 1, and the forward is that path's alone.
    return { active, on: active.find((i) => gates[i] === 1)! };
  });
  const metrics = credit
    ? [run.valMetrics, run.credits.open(choices.map((c) => c.on))]
    : run.valMetrics;
  const grads = await gateGradientStep(
    run.supernet,
    run.layers.map((s) => mixedLayerOf(run, s)),
    allWeights(run), // weights are fixed during a fitness step: skip their gradients
    batch,
    run.data.val.shape,
    metrics,
  );
  run.layers.forEach((s, li) => {
    const { active, on } = choices[li];
    // Each idle cell against the drawn one: ∂L/∂g_idle − ∂L/∂g_drawn estimates the loss
    // change of swapping it in (src/supernet/comparison_evidence.ts).
    const drawn = active.indexOf(on);
    active.forEach((cell, j) => {
      if (j !== drawn) s.comparisons.push({ a: cell, b: on, d: grads[li][j] - grads[li][drawn] });
    });
    s.comparedSteps++;
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

/** Puts each mixed layer on its cell of `path`, gate 1, no gate gradients. */
function choosePath(run: EvolutionRun, path: readonly number[]): void {
  run.layers.forEach((s, l) => {
    const mixed = mixedLayerOf(run, s);
    mixed.gateGradients = false;
    mixed.choose({ active: [path[l]], gates: [1] });
  });
}

/** `--fitness accuracy`: one single path's held-out loss, credited to its cells. */
function pathCreditStep(run: EvolutionRun, batch: Batch): void {
  const { path } = run.creditOrder.next(run.rng);
  choosePath(run, path);
  pathLossStep(run.supernet, batch, run.data.val.shape, [
    run.valMetrics,
    run.credits.open(path),
  ]);
}

/** `--fitness paired`: a context path and every one-layer variation of it, credited. */
function pairedCreditStep(run: EvolutionRun, batch: Batch): void {
  const { path: context } = run.creditOrder.next(run.rng);
  const candidates = run.layers.map((s) => s.sampled.length);
  const variations = everyAlternative(candidates, context);
  const paths = variationPaths(context, variations);
  // Each variation starts at its switched layer's backbone index.
  const startAt = [0, ...variations.flatMap((others, l) => others.map(() => run.layers[l].layer))];
  const slots = paths.map((path) => run.credits.open(path));
  pairedLossStep(
    run.supernet,
    paths,
    startAt,
    (path) => choosePath(run, path),
    batch,
    run.data.val.shape,
    (k, loss, logits, labels) => {
      slots[k].add(loss, logits, labels);
      if (k === 0) run.valMetrics.add(loss, logits, labels);
    },
  );
}
