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

/** A part of a search's own state, saved beside α and λ under its key in the checkpoint. */
export interface StatePart {
  getState(): unknown;
  /** Receives what `getState` gave (undefined from a checkpoint written without the part). */
  setState(state: never): void;
}

/**
 * α, Eq. 6's term and the driver parts read from them, for a search on α; `own` holds the
 * search's further state by checkpoint key (G's gate statistics, RL's baseline).
 */
export function logitsDriver(ctx: SearchContext, own: Record<string, StatePart> = {}): {
  logits: ArchitectureLogits;
  eq6: Eq6Term;
  parts: Pick<
    SearchDriver,
    "trainingPath" | "distribution" | "decisions" | "lambda" | "derive" | "getState" | "setState"
  >;
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
      cfg.derive === "scored" ? deriveScored(ctx, logits.alphas) : Promise.resolve(
        deriveFromLogits(logits.alphas, ctx.cost.model, ctx.cost.max, ctx.cost.min),
      ),
    getState: (): LogitsDriverState & Record<string, unknown> => ({
      logits: logits.getState(),
      lambda: eq6.getState(),
      ...Object.fromEntries(Object.entries(own).map(([key, part]) => [key, part.getState()])),
    }),
    setState(state: unknown) {
      const s = state as LogitsDriverState & Record<string, never>;
      logits.setState(s.logits);
      eq6.setState(s.lambda);
      for (const [key, part] of Object.entries(own)) part.setState(s[key]);
    },
  };
  return { logits, eq6, parts };
}
