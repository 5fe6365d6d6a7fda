/**
 * ProxylessNAS's REINFORCE search (`--algo proxyless-rl`): weight steps as in the
 * gradient search (one path a training batch, drawn by `--path-sampling`); after the
 * warm-up, every `--arch-every` weight steps an architecture step samples `--rl-samples` paths from
 * p = softmax(α), runs each on the same held-out batch (forward only, BN on the batch's
 * statistics), and rewards it with its held-out accuracy less Eq. 6's cost term,
 *
 *   R = top-1 − λ·MAdds  (or −λ·(MAdds − T)/T with a target),
 *
 * whose expectation is E[top-1] − λ·E_p[MAdds], the gradient search's objective with
 * accuracy for cross-entropy. α moves along −mean_k (R_k − b)·∇ log p(path_k) with the
 * moving-average baseline b (src/search/reinforce.ts), by Adam. All samples' metrics
 * are read back in one host sync.
 */
import type { Batch } from "../data/dataset.ts";
import { softmaxCrossEntropy } from "../ops/cross_entropy.ts";
import { noGrad, tidy } from "../tensor/engine.ts";
import { MetricsAccumulator } from "../supernet/metrics_accumulator.ts";
import { batchTensors } from "../supernet/supernet_steps.ts";
import { archAdamOptions } from "../supernet/run_settings.ts";
import { ArchitectureLogits, type ArchitectureLogitsState } from "./architecture_logits.ts";
import { costTermOf } from "./config.ts";
import { Eq6Term } from "./cost_term.ts";
import { deriveFromLogits } from "./derive_argmax.ts";
import { deriveScored } from "./derive_scored.ts";
import type { SearchContext, SearchDriver } from "./driver.ts";
import { expectedCost, pathCost } from "./expected_cost.ts";
import { Reinforce } from "./reinforce.ts";

/** Saved form of the REINFORCE search. */
interface ProxylessRlState {
  logits: ArchitectureLogitsState;
  lambda: { lambda: number | null };
  baseline: { baseline: number | null };
}

export function proxylessReinforceSearch(ctx: SearchContext): SearchDriver {
  const { cfg, costs, supernet, rng } = ctx;
  const logits = new ArchitectureLogits(costs.choices, archAdamOptions(cfg));
  const eq6 = new Eq6Term(costTermOf(cfg), cfg.lambdaRate, ctx.cost.lambdaUnit);
  const reinforce = new Reinforce({ baselineDecayWeight: cfg.rlBaselineWeight });
  const sampleMetrics = Array.from(
    { length: cfg.rlSamples },
    (_, k) => new MetricsAccumulator(`rl.sample${k}`),
  );

  return {
    trainingPath: () => logits.samplePath(rng),

    async archStep(batch: Batch) {
      const paths = sampleMetrics.map(() => logits.samplePath(rng));
      paths.forEach((path, k) => {
        ctx.choosePath(path);
        noGrad(() =>
          tidy(() => {
            const { x, y } = batchTensors(batch, ctx.imageShape);
            const logitsOut = supernet.forward(x);
            const loss = softmaxCrossEntropy(logitsOut, y, { labelSmoothing: 0 });
            sampleMetrics[k].add(loss, logitsOut, y);
            ctx.valMetrics.add(loss, logitsOut, y);
          })
        );
      });
      const accuracies = await MetricsAccumulator.drainAll(sampleMetrics);
      const samples = paths.map((path, k) => ({
        path,
        reward: accuracies[k].top1 - eq6.costLoss(pathCost(ctx.cost.model, path)),
      }));
      const grad = reinforce.lossGradient(logits.alphas, samples);
      logits.alphas = logits.alphas.map((alpha, l) => logits.optimizers[l].step(alpha, grad[l]));
      eq6.update(expectedCost(ctx.cost.model, logits.alphas).value);
      logits.recordStep();
    },

    distribution: () => logits.probabilities(),
    decisions: () => logits.decisions(),
    lambda: () => eq6.lambda,
    derive: () =>
      cfg.derive === "scored"
        ? deriveScored(ctx, logits.alphas)
        : Promise.resolve(deriveFromLogits(logits.alphas, ctx.cost.model, ctx.cost.max)),
    getState: (): ProxylessRlState => ({
      logits: logits.getState(),
      lambda: eq6.getState(),
      baseline: reinforce.getState(),
    }),
    setState(state: unknown) {
      const s = state as ProxylessRlState;
      logits.setState(s.logits);
      eq6.setState(s.lambda);
      reinforce.setState(s.baseline);
    },
    dispose() {
      for (const m of sampleMetrics) m.dispose();
    },
  };
}
