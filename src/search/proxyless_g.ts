/**
 * ProxylessNAS's gradient search (`--algo proxyless-g`, the default): weight steps on
 * the training split each run one path (uniform by default; ProxylessNAS draws it ∝ p =
 * softmax(α), `--path-sampling proportional`); after the warm-up, every
 * `--arch-every` weight steps an architecture step on a held-out batch runs two paths
 * per layer with binary gates, takes ∂CE/∂g from the GPU and maps it to α through the
 * softmax restricted to the active pair, adds Eq. 6's cost term
 *
 *   Loss = CE + λ·Cost(N),  Cost(N) = E_p[MAdds] = fixed + Σ_l Σ_i p_li·MAdds_li,
 *   ∂Cost/∂α_li = p_li·(MAdds_li − E_l[MAdds])
 *
 * (dense over every candidate, as ProxylessNAS adds its expected-latency gradient),
 * steps Adam on α and rescales the active pair so that the other candidates keep
 * their probabilities. The found network is the argmax per layer, repaired under the
 * cap when needed.
 */
import type { Batch } from "../data/dataset.ts";
import { updateAlphaFromGates } from "../supernet/alpha_update.ts";
import { binaryGate, sampleActivePaths, softmax } from "../supernet/gates.ts";
import { gateGradientStep } from "../supernet/supernet_steps.ts";
import type { SearchContext, SearchDriver } from "./driver.ts";
import { expectedCost } from "./expected_cost.ts";
import { logitsDriver, type LogitsDriverState } from "./logits_driver.ts";

/** Saved form of the gradient search. */
type ProxylessGState = LogitsDriverState;

export function proxylessGradientSearch(ctx: SearchContext): SearchDriver {
  const { costs, supernet, rng } = ctx;
  const { logits, eq6, parts } = logitsDriver(ctx);
  const mixed = costs.searchable.map((layer) => supernet.mixed.get(layer)!);

  return {
    ...parts,

    async archStep(batch: Batch) {
      const active = logits.alphas.map((alpha, l) => {
        const p = softmax(alpha);
        const paths = sampleActivePaths(p, Math.min(2, alpha.length), rng);
        const { gates } = binaryGate(p, paths, rng);
        mixed[l].gateGradients = true;
        mixed[l].choose({ active: paths, gates: paths.map((i) => gates[i]) });
        return paths;
      });
      const grads = await gateGradientStep(
        supernet,
        mixed,
        ctx.weights(),
        batch,
        ctx.imageShape,
        ctx.valMetrics,
      );
      for (const m of mixed) m.gateGradients = false;
      const cost = expectedCost(ctx.cost.model, logits.alphas); // Eq. 6's Cost(N) and ∂/∂α
      const scale = eq6.costScale(cost.value);
      logits.alphas = logits.alphas.map((alpha, l) =>
        updateAlphaFromGates({
          alpha,
          active: active[l],
          gateGrads: grads[l],
          optimizer: logits.optimizers[l],
          extraGrad: cost.gradient[l].map((g) => scale * g),
        })
      );
      eq6.update(cost.value);
      logits.recordStep();
    },

    getState: (): ProxylessGState => ({ logits: logits.getState(), lambda: eq6.getState() }),
    setState(state: unknown) {
      const s = state as ProxylessGState;
      logits.setState(s.logits);
      eq6.setState(s.lambda);
    },
  };
}
