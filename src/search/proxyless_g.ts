/**
 * ProxylessNAS's gradient search (`--algo proxyless-g`, the paper's): weight steps on
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
 * their probabilities. With `--gate-paths all` (ProxylessNAS's full_v2) every candidate
 * of a layer runs forward for its gate gradient, the drawn one backward, and Eq. 4 takes
 * the full softmax with a dense step. The found network is the argmax per layer, repaired under the
 * cap when needed. The gate gradients' pairwise differences also feed the paired search's
 * leader tests (src/search/paired_evidence.ts): whether G's own signal backs its argmax.
 */
import type { Batch } from "../data/dataset.ts";
import { updateAlphaFromAllGates, updateAlphaFromGates } from "../supernet/alpha_update.ts";
import { binaryGate, sampleActivePaths, softmax } from "../supernet/gates.ts";
import { gateGradientStep } from "../supernet/supernet_steps.ts";
import type { SearchContext, SearchDriver } from "./driver.ts";
import { expectedCost } from "./expected_cost.ts";
import { GateGradientStatistics, gatePairComparisons } from "./gate_statistics.ts";
import { logitsDriver } from "./logits_driver.ts";
import { PairedEvidence } from "./paired_evidence.ts";

export function proxylessGradientSearch(ctx: SearchContext): SearchDriver {
  const { cfg, costs, supernet, rng } = ctx;
  const gateStatistics = new GateGradientStatistics(costs.choices);
  const evidence = new PairedEvidence(costs.choices, "gate gradients");
  const { logits, eq6, parts } = logitsDriver(ctx, { gates: gateStatistics, evidence });
  const mixed = costs.searchable.map((layer) => supernet.mixed.get(layer)!);

  return {
    ...parts,

    async archStep(batch: Batch) {
      const allPaths = cfg.gatePaths === "all";
      const gatesOf: number[][] = [];
      const active = logits.alphas.map((alpha, l) => {
        const p = softmax(alpha);
        // full_v2: every candidate runs forward for its ∂L/∂g = Σ y_k ⊙ ∂L/∂y, and only the
        // one drawn ∝ p (gate 1) backward; else two drawn ∝ p, one of them gated 1.
        const paths = allPaths
          ? alpha.map((_, i) => i)
          : sampleActivePaths(p, Math.min(2, alpha.length), rng);
        const { gates } = binaryGate(p, paths, rng);
        gatesOf[l] = paths.map((i) => gates[i]);
        mixed[l].gateGradients = true;
        mixed[l].choose({ active: paths, gates: gatesOf[l], detachIdle: allPaths });
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
      active.forEach((paths, l) => gateStatistics.add(l, paths, gatesOf[l], grads[l]));
      // Before α moves: the leaders a step is tested against are the argmaxes it began with.
      evidence.recordComparisons(
        logits.archSteps,
        logits.alphas,
        active.map((paths, l) => gatePairComparisons(paths, grads[l])),
      );
      const cost = expectedCost(ctx.cost.model, logits.alphas); // Eq. 6's Cost(N) and ∂/∂α
      const scale = eq6.costScale(cost.value);
      logits.alphas = logits.alphas.map((alpha, l) => {
        const update = {
          alpha,
          gateGrads: grads[l],
          optimizer: logits.optimizers[l],
          extraGrad: cost.gradient[l].map((g) => scale * g),
        };
        return allPaths
          ? updateAlphaFromAllGates(update)
          : updateAlphaFromGates({ ...update, active: active[l] });
      });
      eq6.update(cost.value);
      logits.recordStep();
    },

    gateGradients: () => gateStatistics.summary(),
    gateEvidence: () => gateStatistics.evidence(),
    pairedEvidence: () => evidence.summary(logits.archSteps),
  };
}
