/**
 * The network a ProxylessNAS search found: the most likely candidate of every layer
 * (argmax of α), brought under the cost cap (MAdds or latency) by `fitUnderCap` when it
 * is over (the switches that give up the least α per unit of cost saved) or the most
 * probable network between the floor and the cap when there is a floor (`--madds-min`)
 * and the argmax lies outside that band, with each
 * chosen candidate's p, and a note when p is still so close to uniform that the argmax is
 * decided by small differences.
 */
import { softmax } from "../supernet/gates.ts";
import { relativeEntropy } from "./architecture_logits.ts";
import { type FittedPath, fitUnderCap } from "./cost_cap.ts";
import { type CostModel, derivedPath, pathCost } from "./expected_cost.ts";
import type { Derivation } from "./driver.ts";
import { mostProbablePaths } from "./shortlist.ts";

/**
 * Above this mean H(p) / log K the search has not chosen: a layer of six candidates at 0.9
 * gives its leading one at most about 0.42.
 */
export const UNDECIDED_ENTROPY = 0.9;

/** Argmax per layer under `maxCost` (Infinity for no cap) and above `minCost`. */
export function deriveFromLogits(
  alphas: readonly (readonly number[])[],
  madds: CostModel,
  maxCost: number,
  minCost = 0,
): Derivation {
  const argmax = derivedPath(alphas);
  const argmaxCost = pathCost(madds, argmax);
  let fitted: FittedPath = { path: argmax, cost: argmaxCost, changedLayers: [] };
  const notes: string[] = [];
  if (minCost > 0 && (argmaxCost < minCost || argmaxCost > maxCost)) {
    const [inBand] = mostProbablePaths(alphas, madds, maxCost, 1, minCost);
    if (!inBand) throw new Error("no network of the space lies between the floor and the cap");
    fitted = {
      path: inBand.path,
      cost: inBand.cost,
      changedLayers: inBand.path.flatMap((c, l) => (c === argmax[l] ? [] : [l])),
    };
    notes.push(
      `The argmax network was ${argmaxCost < minCost ? "under the floor" : "over the cap"}; ` +
        `the most probable network between the two changed searchable layer(s) ` +
        `${fitted.changedLayers.join(", ")}.`,
    );
  } else if (Number.isFinite(maxCost)) {
    fitted = fitUnderCap(madds, argmax, maxCost, alphas);
    if (fitted.changedLayers.length) {
      notes.push(
        `The argmax network was over the cap; the repair changed searchable layer(s) ` +
          `${fitted.changedLayers.join(", ")} to cheaper candidates (least α given up per ` +
          `unit of cost saved).`,
      );
    }
  }
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
