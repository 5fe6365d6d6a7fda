/**
 * The shortlist of `--derive scored`: the m most probable paths under a cost cap (and
 * above a floor, `--madds-min`), by a
 * beam search over the layers on the summed log p (log p differs from α by a per-layer
 * constant), keeping at each layer the `beam` best partial paths whose cost, with the
 * cheapest completion, still fits under the cap. Without a cap a beam of m is exact (a
 * path of the m best has its prefix among the m best prefixes); under a cap a prefix can
 * be dropped for one that cannot be completed as well, so the beam is wider than m
 * (`SHORTLIST_BEAM_FACTOR`). Then each path's held-out score, the best first.
 */
import { softmax } from "../supernet/gates.ts";
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
 * The (up to) `m` most probable paths whose cost is ≤ `maxCost` and ≥ `minCost`, most
 * probable first (ties: the lower candidate indices first, so the order is deterministic).
 */
export function mostProbablePaths(
  alphas: Logits,
  model: CostModel,
  maxCost: number,
  m: number,
  minCost = 0,
): ShortlistedPath[] {
  if (!(Number.isInteger(m) && m >= 1)) throw new RangeError(`m must be >= 1, got ${m}`);
  const logP = alphas.map((a) => softmax(a).map((p) => Math.log(p)));
  // The cheapest and dearest completions after layer l (layers l+1..end).
  const completion = (pick: (costs: readonly number[]) => number) => {
    const tail = new Array<number>(model.perLayer.length + 1).fill(0);
    for (let l = model.perLayer.length - 1; l >= 0; l--) {
      tail[l] = tail[l + 1] + pick(model.perLayer[l]);
    }
    return tail;
  };
  const tail = completion((c) => Math.min(...c));
  const dearestTail = completion((c) => Math.max(...c));
  const bounded = Number.isFinite(maxCost) || minCost > 0;
  const beam = bounded ? m * SHORTLIST_BEAM_FACTOR : m;
  let partial: { path: number[]; logProbability: number; cost: number }[] = [
    { path: [], logProbability: 0, cost: model.fixed },
  ];
  for (let l = 0; l < logP.length; l++) {
    const next: typeof partial = [];
    for (const prefix of partial) {
      logP[l].forEach((lp, i) => {
        const cost = prefix.cost + model.perLayer[l][i];
        if (cost + tail[l + 1] > maxCost || cost + dearestTail[l + 1] < minCost) return;
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
