/**
 * The network a ProxylessNAS search found: the most likely candidate of every layer
 * (argmax of α), brought under the cost cap (MAdds or latency) by `fitUnderCap` when it
 * is over (the switches that give up the least α per unit of cost saved), with each
 * chosen candidate's p, and a note when p is still so close to uniform that the argmax is
 * decided by small differences.
 */
import { softmax } from "../supernet/gates.ts";
import { relativeEntropy } from "./architecture_logits.ts";
import { fitUnderCap } from "./cost_cap.ts";
import { type CostModel, derivedPath } from "./expected_cost.ts";
import type { Derivation } from "./driver.ts";

/**
 * Above this mean H(p) / log K the search has not chosen: a layer of six candidates at 0.9
 * gives its leading one at most about 0.42.
 */
export const UNDECIDED_ENTROPY = 0.9;

/** Argmax per layer under `maxCost` (Infinity for no cap). */
export function deriveFromLogits(
  alphas: readonly (readonly number[])[],
  madds: CostModel,
  maxCost: number,
): Derivation {
  const argmax = derivedPath(alphas);
  const fitted = Number.isFinite(maxCost)
    ? fitUnderCap(madds, argmax, maxCost, alphas)
    : { path: argmax, changedLayers: [] as number[] };
  const notes = fitted.changedLayers.length
    ? [
      `The argmax network was over the cap; the repair changed searchable layer(s) ` +
      `${
        fitted.changedLayers.join(", ")
      } to cheaper candidates (least α given up per unit of cost saved).`,
    ]
    : [];
  const undecided = relativeEntropy(alphas.map((a) => softmax(a)));
  if (undecided !== null && undecided >= UNDECIDED_ENTROPY) {
    notes.push(
      `p is still close to uniform (entropy ${(100 * undecided).toFixed(1)}% of the ` +
        `uniform distribution's, mean over layers): small differences decided the argmax, so ` +
        `the found network is close to a draw from the space under the cap. Search longer ` +
        `(--epochs) for a decided choice (a larger --arch-lr peaks p on noise as well).`,
    );
  }
  return {
    path: fitted.path,
    probabilities: fitted.path.map((i, l) => softmax(alphas[l])[i]),
    repairedLayers: fitted.changedLayers,
    notes,
  };
}
