/**
 * The single-path supernet SPOS and random search run on: trained one uniformly drawn
 * path a step (under the cap when there is one, so training covers exactly the networks
 * the search may return); the scoring of a path (held-out top-1 after BN recalibration,
 * less Eq. 6's term when `--lambda` is given); and the hooks that tie path_search.ts's
 * bookkeeping to the run: history lines per population, checkpoints as paths are scored.
 */
import { interruptRequested } from "../util/interrupt.ts";
import { Rng } from "../util/rng.ts";
import { uniformPathSamplerUnderCap } from "./cost_cap.ts";
import type { Derivation, SearchContext, SearchDriver } from "./driver.ts";
import { pathCost } from "./expected_cost.ts";
import type {
  PathSearchHooks,
  PathSearchProblem,
  PathSearchResult,
  PathSearchState,
} from "./path_search.ts";

/** Paths drawn to estimate the training distribution's per-layer marginals. */
const MARGINAL_DRAWS = 4_096;

/** Seconds between checkpoints while paths are being scored. */
const CHECKPOINT_SECONDS = 30;

/** A path search: SPOS's evolution or random search. */
export type PathSearchRunner = (
  problem: PathSearchProblem,
  hooks: PathSearchHooks,
) => Promise<PathSearchResult>;

/** Saved form of a single-path search. */
interface SinglePathState {
  pathSearch: PathSearchState | null;
}

/** A single-path search driver whose phase two is `runner`. */
export function singlePathSearch(ctx: SearchContext, runner: PathSearchRunner): SearchDriver {
  const { cfg, costs, rng } = ctx;
  const { model, max } = ctx.cost;
  const capped = Number.isFinite(max);
  const draw = capped
    ? uniformPathSamplerUnderCap(model, max)
    : (r: Rng) => costs.choices.map((k) => r.int(k));
  const marginals = capped
    ? estimateMarginals(draw, costs.choices, cfg.seed + 13)
    : costs.choices.map((k) => new Array(k).fill(1 / k));
  const lambdaPerCost = (cfg.lambda ?? 0) / ctx.cost.lambdaUnit;
  let saved: PathSearchState | null = null;

  const derive = async (): Promise<Derivation> => {
    const scorer = await ctx.scorer();
    let lastSave = performance.now();
    const started = performance.now();
    let evaluated = 0;
    const problem: PathSearchProblem = {
      choices: costs.choices,
      cost: (path) => pathCost(model, path),
      maxCost: max,
      minCost: ctx.cost.min,
      score: async (path) => {
        const { top1 } = await scorer.evaluate(ctx.fullChoices(path));
        return top1 - lambdaPerCost * pathCost(model, path);
      },
      ...(capped ? { samplePath: draw } : {}),
    };
    const result = await runner(problem, {
      ...(saved ? { resume: saved } : {}),
      onScored: async (event) => {
        evaluated = event.evaluated;
        ctx.progress(event.evaluated, event.budget, event.best.score);
        if (event.replayed) return;
        saved = event.state();
        // A signal checkpoints at once (and the checkpoint stops the run).
        const due = (performance.now() - lastSave) / 1000 >= CHECKPOINT_SECONDS;
        if (due || interruptRequested() !== null) {
          await ctx.checkpoint();
          lastSave = performance.now();
        }
      },
      onGeneration: async (event) => {
        if (event.replayed) return; // already in the restored history
        const scores = event.population.map((p) => p.score);
        ctx.record({
          phase: "path-search",
          generation: event.generation,
          evaluated,
          best: {
            path: [...event.best.path],
            madds: pathCost(costs.madds, event.best.path),
            score: event.best.score,
          },
          populationMean: scores.reduce((s, x) => s + x, 0) / Math.max(1, scores.length),
          populationBest: Math.max(...scores),
          seconds: (performance.now() - started) / 1000,
        });
        await ctx.checkpoint();
        lastSave = performance.now();
      },
    });
    saved = result.state;
    const what = cfg.lambda
      ? `top-1 − ${cfg.lambda}·${ctx.cost.name}/${ctx.cost.lambdaUnit}`
      : "held-out top-1";
    return {
      path: [...result.best.path],
      probabilities: result.best.path.map(() => null),
      repairedLayers: [],
      notes: [
        `Best of ${result.evaluated} scored paths (score = ${what} on ${scorer.images} ` +
        `held-out images after BN recalibration on ${cfg.bnBatches} training batches): ` +
        `${result.best.score.toFixed(4)}.`,
      ],
    };
  };

  return {
    trainingPath: () => draw(rng),
    distribution: () => marginals,
    lambda: () => cfg.lambda,
    derive,
    getState: (): SinglePathState => ({ pathSearch: saved }),
    setState(state: unknown) {
      saved = (state as SinglePathState).pathSearch;
    },
  };
}

/** Per-layer marginals of a path sampler, estimated from seeded draws. */
function estimateMarginals(
  draw: (rng: Rng) => number[],
  choices: readonly number[],
  seed: number,
): number[][] {
  const counts = choices.map((k) => new Array(k).fill(0));
  const rng = new Rng(seed);
  for (let d = 0; d < MARGINAL_DRAWS; d++) draw(rng).forEach((i, l) => counts[l][i]++);
  return counts.map((row) => row.map((c) => c / MARGINAL_DRAWS));
}
