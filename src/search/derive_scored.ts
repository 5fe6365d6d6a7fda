/**
 * `--derive scored`: the found network is the best, on held-out top-1 after BN
 * recalibration, of the m most probable paths under the cost cap (src/search/shortlist.ts),
 * instead of the argmax of α alone. The supernet ranks networks better by that score
 * (Kendall τ 0.48–0.61 against stand-alone training in docs/fidelity.md) than by α (Σ log
 * p, τ 0.07–0.28), so α chooses the shortlist and the supernet's own measurement chooses
 * within it.
 */
import { softmax } from "../supernet/gates.ts";
import { deriveFromLogits } from "./derive_argmax.ts";
import type { Derivation, SearchContext } from "./driver.ts";
import type { Logits } from "./expected_cost.ts";
import { mostProbablePaths, scoreShortlist } from "./shortlist.ts";

/**
 * The scored derivation of a search that learns α: the m most probable paths under the
 * cap (`--derive-paths`), each scored on held-out top-1 after BN recalibration; the best
 * is the found network. The argmax derivation's notes (p still near uniform) carry over.
 */
export async function deriveScored(ctx: SearchContext, alphas: Logits): Promise<Derivation> {
  const m = ctx.cfg.derivePaths;
  const shortlist = mostProbablePaths(alphas, ctx.cost.model, ctx.cost.max, m, ctx.cost.min);
  const scorer = await ctx.scorer();
  const scored = await scoreShortlist(
    shortlist,
    async (path) => (await scorer.evaluate(ctx.fullChoices(path))).top1,
    (done, best) => ctx.progress(done, shortlist.length, best),
  );
  const best = scored[0];
  const same = (a: readonly number[]) => (b: { path: readonly number[] }) =>
    b.path.every((c, l) => c === a[l]);
  const rank = shortlist.findIndex(same(best.path));
  const mostProbable = scored.find(same(shortlist[0].path))!;
  const argmax = deriveFromLogits(alphas, ctx.cost.model, ctx.cost.max, ctx.cost.min);
  const argmaxNotes = argmax.notes
    .filter((n) => !n.startsWith("The argmax network was"));
  return {
    path: [...best.path],
    probabilities: best.path.map((i, l) => softmax(alphas[l])[i]),
    repairedLayers: [],
    notes: [
      `Scored derivation: the best on held-out top-1 of the ${shortlist.length} most probable ` +
      `networks ${ctx.cost.min > 0 ? "between the floor and the cap" : "under the cap"} is the ${
        ordinal(rank + 1)
      } most probable ` +
      `(${pct(best.top1)}; the most probable one scored ${pct(mostProbable.top1)}).`,
      ...argmaxNotes,
    ],
    shortlist: scored,
    argmax: { path: argmax.path, probabilities: argmax.probabilities },
  };
}

function ordinal(n: number): string {
  const tens = n % 100;
  if (tens >= 11 && tens <= 13) return `${n}th`;
  return `${n}${["th", "st", "nd", "rd"][n % 10] ?? "th"}`;
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}
