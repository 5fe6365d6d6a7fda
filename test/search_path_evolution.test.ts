import assert from "node:assert/strict";
import {
  DEFAULT_EVOLUTION_SETTINGS,
  evolvePaths,
  SPOS_SETTINGS,
} from "../src/search/path_evolution.ts";
import { randomSearch } from "../src/search/random_paths.ts";
import {
  pathKey,
  type PathSearchProblem,
  type PathSearchState,
  type ScoredPath,
} from "../src/search/path_search.ts";
import { type CostModel, type Path, pathCost } from "../src/search/expected_cost.ts";
import { uniformPathSamplerUnderCap } from "../src/search/cost_cap.ts";
import { Rng } from "../src/util/rng.ts";

/**
 * A synthetic search: 8 layers × 4 candidates (65,536 paths), an additive fitness
 * that grows with cost, and a cap at the `capFraction` quantile of the path costs,
 * which rules out the fittest paths. `optimum()` finds the best path under the cap by
 * enumeration. `score` counts its calls per path and fails on a path over the cap.
 */
function syntheticProblem(seed: number, capFraction = 0.5) {
  const rng = new Rng(seed);
  const choices = [4, 4, 4, 4, 4, 4, 4, 4];
  const cost = choices.map((k) => Array.from({ length: k }, () => 1 + rng.int(20)));
  const gain = cost.map((row) => row.map((c) => Math.sqrt(c) + rng.uniform(0, 1)));
  const model: CostModel = { perLayer: cost, fixed: 0 };
  const costOf = (p: Path) => pathCost(model, p);
  const fitness = (p: Path) => p.reduce((s, i, l) => s + gain[l][i], 0);
  // How many paths have each integer total cost (a convolution over the layers).
  let counts = [1];
  for (const row of cost) {
    const next = new Array<number>(counts.length + Math.max(...row)).fill(0);
    counts.forEach((n, c) => row.forEach((ci) => next[c + ci] += n));
    counts = next;
  }
  let maxCost = 0;
  for (let seen = 0; seen <= capFraction * 4 ** 8; maxCost++) seen += counts[maxCost];
  maxCost--;
  const optimum = () => {
    let best: number[] = [];
    const visit = (p: number[]) => {
      if (p.length < choices.length) {
        for (let i = 0; i < choices[p.length]; i++) visit([...p, i]);
      } else if (costOf(p) <= maxCost && (best.length === 0 || fitness(p) > fitness(best))) {
        best = p;
      }
    };
    visit([]);
    return best;
  };
  const calls = new Map<string, number>();
  const problem: PathSearchProblem = {
    choices,
    cost: costOf,
    maxCost,
    score: (p) => {
      assert.ok(costOf(p) <= maxCost, `scored ${pathKey(p)} over the cap`);
      calls.set(pathKey(p), (calls.get(pathKey(p)) ?? 0) + 1);
      return Promise.resolve(fitness(p));
    },
  };
  return { problem, optimum, fitness, calls, maxCost, model };
}

Deno.test("SPOS evolution: finds the known optimum of a synthetic fitness under the cap", async () => {
  for (const seed of [1, 2, 3]) {
    const { problem, optimum, calls } = syntheticProblem(seed);
    const result = await evolvePaths(problem, { ...SPOS_SETTINGS, seed });
    assert.deepEqual(result.best.path, optimum(), `seed ${seed}`);
    assert.ok([...calls.values()].every((n) => n === 1), "no path scored twice");
    assert.equal(result.evaluated, calls.size);
    assert.ok(result.ranked.length === SPOS_SETTINGS.topK);
  }
});

Deno.test("SPOS evolution: beats random search at the same (default) budget", async () => {
  let wins = 0;
  let evolutionTotal = 0;
  let randomTotal = 0;
  const seeds = Array.from({ length: 20 }, (_, i) => 11 + i);
  for (const seed of seeds) {
    const evolution = await evolvePaths(syntheticProblem(seed, 0.3).problem, { seed });
    const random = await randomSearch(syntheticProblem(seed, 0.3).problem, {
      samples: evolution.evaluated,
      seed,
    });
    if (evolution.best.score > random.best.score) wins++;
    evolutionTotal += evolution.best.score;
    randomTotal += random.best.score;
  }
  // Measured: 16 wins of 20, best fitness 0.58 higher on average (of about 30).
  assert.ok(wins >= 14, `evolution won ${wins} of ${seeds.length}`);
  assert.ok(evolutionTotal > randomTotal + 0.2 * seeds.length);
});

Deno.test("path searches never score or return a path over the cap (many seeds)", async () => {
  const settings = { populationSize: 8, topK: 3, generations: 3, mutations: 3, crossovers: 3 };
  for (let seed = 0; seed < 40; seed++) {
    // Caps that 0.2%, 5% and 50% of the paths fit; the tight one needs the cap-aware
    // sampler (uniform draws would find about one fitting path in 500).
    const capFraction = [0.002, 0.05, 0.5][seed % 3];
    for (const algorithm of [evolvePaths, randomSearch]) {
      const { problem, maxCost, calls, model } = syntheticProblem(100 + seed, capFraction);
      const sampled = capFraction < 0.01
        ? { ...problem, samplePath: uniformPathSamplerUnderCap(model, maxCost) }
        : problem;
      const result = await algorithm(sampled, { ...settings, samples: 20, seed });
      assert.ok(result.best.cost <= maxCost);
      assert.ok(
        result.state.scored.every((s) => s.cost <= maxCost && pathCost(model, s.path) === s.cost),
      );
      assert.ok(result.ranked.every((s, i) => i === 0 || s.score <= result.ranked[i - 1].score));
      assert.ok([...calls.values()].every((n) => n === 1), "no path scored twice");
      assert.equal(calls.size, result.evaluated);
      assert.equal(result.evaluated, algorithm === randomSearch ? 20 : result.evaluated);
    }
  }
});

Deno.test("uniform sampler under the cap: every path fits, each fitting path equally often", () => {
  const model: CostModel = { perLayer: [[3, 1, 4], [1, 5], [9, 2, 6]], fixed: 1 };
  const cap = 10; // fits: 8 of the 18 paths
  const fitting: string[] = [];
  for (let a = 0; a < 3; a++) {
    for (let b = 0; b < 2; b++) {
      for (let c = 0; c < 3; c++) {
        if (pathCost(model, [a, b, c]) <= cap) fitting.push(`${a},${b},${c}`);
      }
    }
  }
  const sample = uniformPathSamplerUnderCap(model, cap);
  const rng = new Rng(6);
  const counts = new Map<string, number>();
  const n = 16000;
  for (let i = 0; i < n; i++) {
    const p = sample(rng);
    assert.ok(pathCost(model, p) <= cap, `${p} over the cap`);
    counts.set(pathKey(p), (counts.get(pathKey(p)) ?? 0) + 1);
  }
  // The grid excludes only paths within L steps of the cap; none is that close here.
  assert.deepEqual([...counts.keys()].sort(), fitting.sort());
  const expected = n / fitting.length;
  for (const [key, k] of counts) {
    assert.ok(Math.abs(k - expected) < 5 * Math.sqrt(expected), `${key}: ${k} vs ${expected}`);
  }
  assert.deepEqual(uniformPathSamplerUnderCap(model, 5)(rng), [1, 0, 1], "cap = cheapest path");
});

Deno.test("path searches: a cap nothing fits is one clear error", async () => {
  const problem: PathSearchProblem = {
    choices: [3, 3],
    cost: (p) => 10 + p[0] + p[1],
    maxCost: 5,
    score: () => Promise.reject(new Error("must not score")),
  };
  await assert.rejects(
    () =>
      evolvePaths(problem, {
        populationSize: 4,
        topK: 2,
        generations: 1,
        mutations: 1,
        crossovers: 1,
      }),
    /no path under the cost cap 5/,
  );
  await assert.rejects(() => randomSearch(problem, { samples: 3 }), /no path under the cost cap 5/);
});

Deno.test("path searches: a space smaller than the budget is scored once, whole", async () => {
  let scores = 0;
  const problem: PathSearchProblem = {
    choices: [2, 3],
    cost: () => 1,
    maxCost: Infinity,
    score: (p) => Promise.resolve(++scores && p[0] * 10 + p[1]),
  };
  const evo = await evolvePaths(problem, { seed: 4 });
  assert.equal(evo.evaluated, 6);
  assert.deepEqual(evo.best.path, [1, 2]);
  const random = await randomSearch(problem, { samples: 50, seed: 4 });
  assert.equal(random.evaluated, 6);
  assert.equal(scores, 12);
});

for (const algorithm of ["spos-evolution", "random"] as const) {
  Deno.test(`${algorithm}: resume from a saved state reproduces the uninterrupted run`, async () => {
    const run = (problem: PathSearchProblem, hooks = {}) =>
      algorithm === "random"
        ? randomSearch(problem, { samples: 40, seed: 9 }, hooks)
        : evolvePaths(problem, { ...DEFAULT_EVOLUTION_SETTINGS, seed: 9 }, hooks);

    const whole = syntheticProblem(7);
    const uninterrupted = await run(whole.problem);

    // Interrupted: the scorer fails at the 23rd fresh score; the driver had saved the
    // state (through JSON, as a checkpoint file would) after every score.
    const broken = syntheticProblem(7);
    let saved: PathSearchState | null = null;
    let fresh = 0;
    const failing: PathSearchProblem = {
      ...broken.problem,
      score: (p) => ++fresh === 23 ? Promise.reject(new Error("killed")) : broken.problem.score(p),
    };
    await assert.rejects(
      () =>
        run(failing, {
          onScored: (e: { state: () => PathSearchState }) =>
            saved = JSON.parse(JSON.stringify(e.state())),
        }),
      /killed/,
    );
    assert.equal(saved!.scored.length, 22);

    const again = syntheticProblem(7);
    const replayedFlags: boolean[] = [];
    const resumed = await run(again.problem, {
      resume: saved!,
      onScored: (e: { replayed: boolean }) => replayedFlags.push(e.replayed),
    });
    assert.deepEqual(resumed.state, uninterrupted.state);
    assert.deepEqual(resumed.best, uninterrupted.best);
    assert.deepEqual(resumed.generations, uninterrupted.generations);
    assert.equal(again.calls.size, uninterrupted.evaluated - 22, "replayed paths are not rescored");
    assert.deepEqual(replayedFlags.slice(0, 23), [...new Array(22).fill(true), false]);

    // A state from another search is refused, naming what differs.
    const other = syntheticProblem(7).problem;
    const wrongSeed = { ...saved!, settings: { ...saved!.settings, seed: 10 } };
    await assert.rejects(() => run(other, { resume: wrongSeed }), /seed = 10/);
    const tampered: PathSearchState = {
      ...saved!,
      scored: saved!.scored.map((s: ScoredPath, i: number) =>
        i === 3 ? { ...s, path: s.path.map((v) => (v + 1) % 4) } : s
      ),
    };
    await assert.rejects(
      () => run(other, { resume: tampered }),
      /does not match this search: path 4/,
    );
  });
}
