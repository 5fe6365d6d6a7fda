/**
 * What ProxylessNAS's two searches (proxyless_g.ts, proxyless_rl.ts) share: the
 * architecture logits α with their Adam optimisers, Eq. 6's cost term, and the driver
 * parts that only read them (the weight steps' path, the distribution, the decisions,
 * λ and the found network). Each search adds its own architecture step and state.
 */
import { archAdamOptions } from "../supernet/run_settings.ts";
import { ArchitectureLogits, type ArchitectureLogitsState } from "./architecture_logits.ts";
import { costTermOf } from "./config.ts";
import { Eq6Term } from "./cost_term.ts";
import { deriveFromLogits } from "./derive_argmax.ts";
import { deriveScored } from "./derive_scored.ts";
import type { SearchContext, SearchDriver } from "./driver.ts";

/** Saved form of the logits and λ (each search adds its own fields). */
export interface LogitsDriverState {
  logits: ArchitectureLogitsState;
  lambda: { lambda: number | null };
}

/** α, Eq. 6's term and the driver parts read from them, for a search on α. */
export function logitsDriver(ctx: SearchContext): {
  logits: ArchitectureLogits;
  eq6: Eq6Term;
  parts: Pick<SearchDriver, "trainingPath" | "distribution" | "decisions" | "lambda" | "derive">;
} {
  const { cfg } = ctx;
  const logits = new ArchitectureLogits(ctx.costs.choices, archAdamOptions(cfg));
  const eq6 = new Eq6Term(costTermOf(cfg), cfg.lambdaRate, ctx.cost.lambdaUnit);
  const parts = {
    trainingPath: () => logits.samplePath(ctx.rng),
    distribution: () => logits.probabilities(),
    decisions: () => logits.decisions(),
    lambda: () => eq6.lambda,
    derive: () =>
      cfg.derive === "scored"
        ? deriveScored(ctx, logits.alphas)
        : Promise.resolve(deriveFromLogits(logits.alphas, ctx.cost.model, ctx.cost.max)),
  };
  return { logits, eq6, parts };
}
