/**
 * The `--algo random` driver (as spos.ts is SPOS's; the draw of paths itself is
 * random_paths.ts). Random search, the baseline every NAS paper reports: the same
 * single-path supernet as SPOS, then `--random-samples` uniformly random paths under
 * the cap (src/search/random_paths.ts), each scored exactly as SPOS scores its
 * candidates; the best one wins. By default it scores as many paths as SPOS's default
 * evolution, so the two compare at equal cost.
 */
import type { SearchContext, SearchDriver } from "./driver.ts";
import { randomSearch } from "./random_paths.ts";
import { singlePathSearch } from "./single_path.ts";

export function randomPathSearch(ctx: SearchContext): SearchDriver {
  const { cfg } = ctx;
  return singlePathSearch(
    ctx,
    (problem, hooks) =>
      randomSearch(problem, { samples: cfg.randomSamples, seed: cfg.seed }, hooks),
  );
}
