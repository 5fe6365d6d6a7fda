/**
 * The networks whose ranking the supernet is asked about: N distinct paths of a space,
 * stratified over its MAdds range so that cheap and expensive networks are both in the
 * sample (a uniform draw would bunch them around the median cost).
 *
 * The range [cheapest, most expensive] is cut into N strata of equal width; each
 * stratum takes one path drawn at random among a large uniform pool's paths that fall
 * in it. A stratum the pool misses (the extremes are rare) takes the unused pool path
 * nearest its centre; the cheapest and the most expensive paths are in the pool, so
 * the ends of the range are always reachable.
 */
import { checkPath, type CostModel, pathCost } from "../search/expected_cost.ts";
import { Rng } from "../util/rng.ts";

/** A sampled network: its path (candidate per searchable layer) and MAdds. */
export interface SampledPath {
  readonly path: number[];
  readonly madds: number;
}

/** Uniform paths drawn to fill the strata. */
const POOL_SIZE = 20_000;

/** N distinct paths of `choices`, one per MAdds stratum (see the module comment). */
export function stratifiedPaths(
  choices: readonly number[],
  madds: CostModel,
  n: number,
  seed: number,
): SampledPath[] {
  if (!(Number.isInteger(n) && n >= 2)) throw new RangeError(`--networks must be >= 2, got ${n}`);
  const total = choices.reduce((p, k) => p * k, 1);
  if (n > total) {
    throw new RangeError(`--networks ${n}: the space holds only ${total} networks`);
  }
  const rng = new Rng(seed);
  const extreme = (pick: (costs: readonly number[]) => number) =>
    madds.perLayer.map((costs) => costs.indexOf(pick(costs)));
  const pool = new Map<string, SampledPath>();
  const add = (path: number[]) => {
    checkPath(choices, path, "stratifiedPaths");
    pool.set(path.join(","), { path, madds: pathCost(madds, path) });
  };
  add(extreme((c) => Math.min(...c)));
  add(extreme((c) => Math.max(...c)));
  for (let i = 0; i < POOL_SIZE && pool.size < Math.min(total, POOL_SIZE); i++) {
    add(choices.map((k) => rng.int(k)));
  }
  const all = [...pool.values()];
  const lo = Math.min(...all.map((p) => p.madds));
  const hi = Math.max(...all.map((p) => p.madds));
  const width = (hi - lo) / n;
  const taken = new Set<string>();
  const out: SampledPath[] = [];
  for (let s = 0; s < n; s++) {
    const inStratum = all.filter((p) =>
      !taken.has(p.path.join(",")) &&
      p.madds >= lo + s * width && (s === n - 1 ? p.madds <= hi : p.madds < lo + (s + 1) * width)
    );
    let chosen: SampledPath;
    if (inStratum.length > 0) {
      chosen = rng.pick(inStratum);
    } else {
      const centre = lo + (s + 0.5) * width;
      const free = all.filter((p) => !taken.has(p.path.join(",")));
      chosen = free.reduce((a, b) =>
        Math.abs(b.madds - centre) < Math.abs(a.madds - centre) ? b : a
      );
    }
    taken.add(chosen.path.join(","));
    out.push(chosen);
  }
  return out.sort((a, b) => a.madds - b.madds);
}
