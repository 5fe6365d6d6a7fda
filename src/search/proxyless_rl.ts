/**
 * ProxylessNAS's REINFORCE search (`--algo proxyless-rl`, the default): weight steps as in the
 * gradient search (one path a training batch, drawn by `--path-sampling`); after the
 * warm-up, every `--arch-every` weight steps an architecture step runs sampled paths on
 * one held-out batch (forward only, BN on the batch's statistics) and rewards each with
 * its held-out accuracy (`--rl-reward accuracy`, ProxylessNAS's) or its negative
 * cross-entropy (`loss`), less Eq. 6's cost term,
 *
 *   R = top-1 − λ·MAdds  (or −λ·(MAdds − T)/T with a target),
 *
 * whose expectation is E[top-1] − λ·E_p[MAdds], the gradient search's objective with
 * accuracy for cross-entropy. `--rl-estimator batch` (ProxylessNAS's): `--rl-samples`
 * paths drawn from p = softmax(α), α moving along −mean_k (R_k − b)·∇ log p(path_k) with
 * the moving-average baseline b (src/search/reinforce.ts); `paired`: one context path
 * and one single-layer variation of it per layer (src/search/paired_reinforce.ts);
 * `paired-all`: the context and every single-layer variation of it. Adam
 * steps α; all paths' metrics are read back in one host sync.
 */
import type { Batch } from "../data/dataset.ts";
import { MetricsAccumulator } from "../supernet/metrics_accumulator.ts";
import { pairedLossStep } from "../supernet/supernet_steps.ts";
import type { SearchContext, SearchDriver } from "./driver.ts";
import { expectedCost, pathCost } from "./expected_cost.ts";
import { logitsDriver } from "./logits_driver.ts";
import { PairedEvidence } from "./paired_evidence.ts";
import {
  drawAlternatives,
  everyCandidateLossGradient,
  pairedLossGradient,
} from "./paired_reinforce.ts";
import { asVariations, everyAlternative, variationPaths } from "../supernet/variation_paths.ts";
import { Reinforce } from "./reinforce.ts";

export function proxylessReinforceSearch(ctx: SearchContext): SearchDriver {
  const { cfg, costs, supernet, rng } = ctx;
  const reinforce = new Reinforce({ baselineDecayWeight: cfg.rlBaselineWeight });
  const paired = cfg.rlEstimator !== "batch";
  const everyCandidate = cfg.rlEstimator === "paired-all";
  // What the paired comparisons say of each choice, tested at the end (report.md).
  const evidence = paired ? new PairedEvidence(costs.choices) : null;
  const { logits, eq6, parts } = logitsDriver(ctx, {
    baseline: reinforce,
    ...(evidence ? { evidence } : {}),
  });
  // The paired estimators score the context and at most one path a layer, or every one.
  const scored = !paired
    ? cfg.rlSamples
    : 1 + costs.choices.reduce((n, k) => n + (everyCandidate ? k - 1 : 1), 0);
  const sampleMetrics = Array.from(
    { length: scored },
    (_, k) => new MetricsAccumulator(`rl.sample${k}`),
  );

  /**
   * Runs `paths` on `batch` (forward only); their held-out losses and rewards, in one host
   * sync. `sharedBefore[k]`, where given for k ≥ 1, is the backbone layer up to which path k
   * runs exactly as path 0 does: it starts there from path 0's input to that layer (the
   * same tensor the same layers would compute again) instead of from the image.
   */
  const evaluate = async (
    paths: readonly (readonly number[])[],
    batch: Batch,
    sharedBefore: readonly number[] = [],
  ) => {
    pairedLossStep(
      supernet,
      paths,
      sharedBefore,
      (path) => ctx.choosePath(path),
      batch,
      ctx.imageShape,
      (k, loss, logitsOut, y) => {
        sampleMetrics[k].add(loss, logitsOut, y);
        // The held-out curve follows paths drawn from p: the paired step's context only.
        if (k === 0 || cfg.rlEstimator === "batch") ctx.valMetrics.add(loss, logitsOut, y);
      },
    );
    const metrics = await MetricsAccumulator.drainAll(sampleMetrics.slice(0, paths.length));
    return {
      losses: metrics.map((m) => m.loss),
      rewards: paths.map((path, k) =>
        (cfg.rlReward === "loss" ? -metrics[k].loss : metrics[k].top1) -
        eq6.costLoss(pathCost(ctx.cost.model, path))
      ),
    };
  };

  return {
    ...parts,

    async archStep(batch: Batch) {
      let grad: number[][];
      if (paired) {
        const context = logits.samplePath(rng);
        const drawn = everyCandidate ? null : drawAlternatives(logits.alphas, context, rng);
        const variations = drawn ? asVariations(drawn) : everyAlternative(costs.choices, context);
        // Each variation runs as the context does up to its switched layer: it starts there.
        const switchedAt = variations.flatMap((alternatives, l) =>
          alternatives.map(() => costs.searchable[l])
        );
        const { losses, rewards } = await evaluate(
          variationPaths(context, variations),
          batch,
          [0, ...switchedAt],
        );
        evidence!.record(logits.archSteps, logits.alphas, context, variations, losses);
        grad = drawn
          ? pairedLossGradient(logits.alphas, context, drawn, rewards)
          : everyCandidateLossGradient(logits.alphas, context, rewards);
      } else {
        const paths = sampleMetrics.map(() => logits.samplePath(rng));
        const r = (await evaluate(paths, batch)).rewards;
        grad = reinforce.lossGradient(
          logits.alphas,
          paths.map((path, k) => ({ path, reward: r[k] })),
        );
      }
      logits.alphas = logits.alphas.map((alpha, l) => logits.optimizers[l].step(alpha, grad[l]));
      eq6.update(expectedCost(ctx.cost.model, logits.alphas).value);
      logits.recordStep();
    },

    pairedEvidence: evidence ? () => evidence.summary(logits.archSteps) : undefined,

    dispose() {
      for (const m of sampleMetrics) m.dispose();
    },
  };
}
