/**
 * `--derive scored`: the found network is the best, on held-out top-1 after BN
 * recalibration, of the m most probable paths under the cost cap, instead of the argmax of
 * α alone. The supernet ranks networks better by that score (Kendall τ 0.48–0.61 against
 * stand-alone training in docs/fidelity.md) than by α (Σ log p, τ 0.07–0.28), so α chooses
 * the shortlist and the supernet's own measurement chooses within it.
 *
 * The shortlist is a beam search over the layers on the summed log p (log p differs from
 * α by a per-layer constant): at each layer it keeps the `beam` best partial paths whose
 * cost, with the cheapest completion, still fits under the cap. Without a cap a beam of m
 * is exact (a path of the m best has its prefix among the m best prefixes); under a cap
 * a prefix can be dropped for one that cannot be completed as well, so the beam is wider
 * than m (`SHORTLIST_BEAM_FACTOR`).
 */
import { softmax } from "../supernet/gates.ts";
import { deriveFromLogits } from "./derive_argmax.ts";
import type { Derivation, SearchContext } from "./driver.ts";
import type { CostModel, Logits } from "./expected_cost.ts";
import { pathCost } from "./expected_cost.ts";

/** How many times m partial paths the beam keeps under a cap. */
export const SHORTLIST_BEAM_FACTOR = 16;

/** One shortlisted path. */
export interface ShortlistedPath {
  readonly path: number[];
  /** Σ_l log p_l(path_l). */
  readonly logProbability: number;
  readonly cost: number;
}

/**
 * The (up to) `m` most probable paths whose cost is ≤ `maxCost`, most probable first
 * (ties: the lower candidate indices first, so the order is deterministic).
 */
export function mostProbablePaths(
  alphas: Logits,
  model: CostModel,
  maxCost: number,
  m: number,
): ShortlistedPath[] {
  if (!(Number.isInteger(m) && m >= 1)) throw new RangeError(`m must be >= 1, got ${m}`);
  const logP = alphas.map((a) => softmax(a).map((p) => Math.log(p)));
  const cheapest = model.perLayer.map((c) => Math.min(...c));
  // Cheapest completion after layer l (inclusive of l+1..end).
  const tail = new Array<number>(cheapest.length + 1).fill(0);
  for (let l = cheapest.length - 1; l >= 0; l--) tail[l] = tail[l + 1] + cheapest[l];
  const beam = Number.isFinite(maxCost) ? m * SHORTLIST_BEAM_FACTOR : m;
  let partial: { path: number[]; logProbability: number; cost: number }[] = [
    { path: [], logProbability: 0, cost: model.fixed },
  ];
  for (let l = 0; l < logP.length; l++) {
    const next: typeof partial = [];
    for (const prefix of partial) {
      logP[l].forEach((lp, i) => {
        const cost = prefix.cost + model.perLayer[l][i];
        if (cost + tail[l + 1] > maxCost) return;
        next.push({ path: [...prefix.path, i], logProbability: prefix.logProbability + lp, cost });
      });
    }
    next.sort(byProbability);
    partial = next.slice(0, beam);
  }
  return partial.slice(0, m).map((p) => ({ ...p, cost: pathCost(model, p.path) }));
}

function byProbability(
  a: { path: number[]; logProbability: number },
  b: { path: number[]; logProbability: number },
): number {
  if (b.logProbability !== a.logProbability) return b.logProbability - a.logProbability;
  for (let i = 0; i < a.path.length; i++) if (a.path[i] !== b.path[i]) return a.path[i] - b.path[i];
  return 0;
}

/** A shortlisted path with its held-out score. */
export interface ScoredPath extends ShortlistedPath {
  readonly top1: number;
}

/**
 * Scores every shortlisted path with `score` (held-out top-1) and returns them all, the
 * best first (ties: the more probable first).
 */
export async function scoreShortlist(
  shortlist: readonly ShortlistedPath[],
  score: (path: readonly number[]) => Promise<number>,
  onScored?: (done: number, best: number) => void,
): Promise<ScoredPath[]> {
  const scored: ScoredPath[] = [];
  for (const candidate of shortlist) {
    scored.push({ ...candidate, top1: await score(candidate.path) });
    onScored?.(scored.length, Math.max(...scored.map((s) => s.top1)));
  }
  return scored
    .map((s, rank) => ({ s, rank }))
    .sort((a, b) => b.s.top1 - a.s.top1 || a.rank - b.rank)
    .map(({ s }) => s);
}

/**
 * The scored derivation of a search that learns α: the m most probable paths under the
 * cap (`--derive-paths`), each scored on held-out top-1 after BN recalibration; the best
 * is the found network. The argmax derivation's notes (p still near uniform) carry over.
 */
export async function deriveScored(ctx: SearchContext, alphas: Logits): Promise<Derivation> {
  const m = ctx.cfg.derivePaths;
  const shortlist = mostProbablePaths(alphas, ctx.cost.model, ctx.cost.max, m);
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
  const argmax = deriveFromLogits(alphas, ctx.cost.model, ctx.cost.max);
  const argmaxNotes = argmax.notes
    .filter((n) => !n.startsWith("The argmax network was over the cap"));
  return {
    path: [...best.path],
    probabilities: best.path.map((i, l) => softmax(alphas[l])[i]),
    repairedLayers: [],
    notes: [
      `Scored derivation: the best on held-out top-1 of the ${shortlist.length} most probable ` +
      `networks under the cap is the ${ordinal(rank + 1)} most probable ` +
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
