/**
 * The network a ProxylessNAS search found: the most likely candidate of every layer
 * (argmax of α), brought under the cost cap (MAdds or latency) by `fitUnderCap` when it
 * is over (the switches that give up the least α per unit of cost saved), with each
 * chosen candidate's p.
 */
import { softmax } from "../supernet/gates.ts";
import { fitUnderCap } from "./cost_cap.ts";
import { type CostModel, derivedPath } from "./expected_cost.ts";
import type { Derivation } from "./driver.ts";

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
  return {
    path: fitted.path,
    probabilities: fitted.path.map((i, l) => softmax(alphas[l])[i]),
    repairedLayers: fitted.changedLayers,
    notes,
  };
}
