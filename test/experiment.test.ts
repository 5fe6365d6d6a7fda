/**
 * `deno task experiment`: every plan's flags pass the stages' own parsers, the tables
 * average and compare what they should, and the smoke plan runs end to end, refuses to
 * overwrite, and resumes without redoing finished stages.
 */
import assert from "node:assert/strict";
import { DEFAULT_EVOLVE_CONFIG } from "../src/evolve/config.ts";
import {
  DECIDING_SEARCH,
  EVOLVE_CONFIRM_SEEDS,
  EVOLVE_LENGTHS,
  type EvolveRun,
  EXPERIMENT_PLANS,
  type ExperimentPlan,
  experimentPlan,
  LEARNED_VS_NULL_SEEDS,
  SEARCH_VS_RANDOM_SEEDS,
  type SearchTrainRun,
  SPACE_EQUAL_MADDS_SEEDS,
} from "../src/experiments/plans.ts";
import { checkPlanFlags, stagesOf } from "../src/experiments/runner.ts";
import { matchedNetwork, runCommands, runLayout } from "../src/experiments/run_layout.ts";
import {
  type EvolveRow,
  groupRows,
  pairedDifference,
  pairedDifferences,
  type PlanResults,
  readRunRow,
  resultsMarkdown,
  type RunRow,
} from "../src/experiments/summary.ts";
import { fullChoices, spaceCosts } from "../src/search/space_costs.ts";
import { loadSearchSpace } from "../src/search/space_input.ts";
import { countNetwork } from "../src/space/counting.ts";
import { networkToJson } from "../src/space/network_spec.ts";
import { networkFromChoices } from "../src/space/search_space_spec.ts";
import { runScript, throwsLine } from "./_helpers.ts";

Deno.test("every experiment plan's runs have unique ids and flags the stages accept", () => {
  for (const plan of Object.values(EXPERIMENT_PLANS)) {
    const ids = plan.runs.map((r) => r.id);
    assert.equal(new Set(ids).size, ids.length, `${plan.name}: duplicate run ids`);
    checkPlanFlags(plan, "runs/experiments/x");
    const arms = new Set(plan.runs.map((r) => r.arm));
    for (const c of plan.comparisons ?? []) {
      assert.ok(arms.has(c.arm) && arms.has(c.baseline), `${plan.name}: ${c.arm} − ${c.baseline}`);
    }
  }
  throwsLine(() => experimentPlan("nope"), /unknown plan "nope"; plans: space-comparison/);
});

Deno.test("every space file a plan searches is in the repository", () => {
  for (const plan of Object.values(EXPERIMENT_PLANS)) {
    for (const run of plan.runs) {
      if (run.kind !== "search-train" || run.trainFrom) continue;
      const space = run.searchArgs[run.searchArgs.indexOf("--space") + 1];
      if (space.startsWith("baseline:")) continue;
      assert.ok(Deno.statSync(space).isFile, `${plan.name}/${run.id}: ${space}`);
    }
  }
});

function row(arm: string, algo: string, seed: number, top1: number, madds: number): RunRow {
  return {
    id: `${arm}-${algo}-seed${seed}`,
    arm,
    algo,
    seed,
    blocks: ["IRB k3 e3"],
    madds,
    params: 1000,
    searchSeconds: 100,
    searchHeldOutTop1: 0.5,
    searchEntropy: algo === "spos" ? null : 0.99,
    trainEpochs: 2,
    trainSeconds: 600,
    testTop1: top1,
    testTop5: 0.99,
    commands: { search: "s", train: "t" },
  };
}

/** The Markdown tables of `rows`, every run planned and finished unless `extra` says. */
function tablesOf(rows: RunRow[], extra: Partial<PlanResults> = {}): string {
  const groups = groupRows(rows);
  return resultsMarkdown({
    plan: "p",
    question: "q?",
    spaces: {},
    finished: rows.length,
    planned: rows.length,
    runs: rows,
    groups,
    ...extra,
  });
}

Deno.test("experiment tables: per algorithm and space, the mean, every seed and the spread", () => {
  const rows = [
    row("learned", "proxyless-g", 0, 0.90, 5e6),
    row("manual", "proxyless-g", 0, 0.86, 4e6),
    row("learned", "proxyless-g", 1, 0.88, 6e6),
    row("manual", "proxyless-g", 1, 0.87, 4e6),
    row("learned", "spos", 0, 0.80, 5e6),
  ];
  const groups = groupRows(rows);
  assert.deepEqual(groups.map((g) => `${g.algo}/${g.arm}`), [
    "proxyless-g/learned",
    "proxyless-g/manual",
    "spos/learned",
  ]);
  assert.ok(Math.abs(groups[0].meanTestTop1 - 0.89) < 1e-12);
  assert.deepEqual(groups[0].testTop1, [0.90, 0.88]);
  assert.equal(groups[0].meanMAdds, 5.5e6);
  const md = tablesOf(rows, { spaces: { learned: "a.json", manual: "baseline:b" }, planned: 6 });
  assert.match(md, /\| learned \| 0, 1 \| 89\.00% \| 90\.00%, 88\.00% \| 5\.50M \|/);
  // 89.0 − 86.5 = +2.5 points; the larger spread of the two arms is 2 points (90 vs 88).
  assert.match(md, /learned − manual: \+2\.50 points top-1; the largest seed-to-seed spread/);
  assert.match(md, /within one space is 2\.00 points/);
  assert.match(md, /Finished runs: 5 of 6/);
  // The Runs table: p's entropy for the gradient search, a dash for SPOS (no p).
  assert.match(md, /\| 5\.00M \| 50\.0% \| 99\.0% \| 90\.00% \| 99\.00% \|/);
  assert.match(md, /\| 5\.00M \| 50\.0% \| – \| 80\.00% \| 99\.00% \|/);
  assert.doesNotMatch(md.split("## spos")[1].split("## Runs")[0], /learned − manual/);
});

Deno.test("experiment tables: each arm against manual, paired by seed: t-interval, p, Holm", () => {
  const rows = [
    row("learned", "g", 0, 0.90, 5e6),
    row("manual", "g", 0, 0.88, 5e6),
    row("learned", "g", 1, 0.89, 5e6),
    row("manual", "g", 1, 0.88, 5e6),
    row("learned", "g", 2, 0.87, 5e6),
    row("manual", "g", 2, 0.88, 5e6),
    row("learned-old", "g", 1, 0.85, 5e6),
    row("learned-old", "g", 3, 0.80, 5e6), // no manual seed 3: left out of the pairs
  ];
  const groups = groupRows(rows);
  const d = pairedDifference(groups[0], groups[1])!;
  assert.deepEqual(d.seeds, [0, 1, 2]);
  assert.deepEqual(d.deltas.map((x) => Math.round(x * 1e4) / 1e4), [0.02, 0.01, -0.01]);
  // Deltas +2, +1, −1 points: mean 2/3, sd √(7/3) = 1.5275; half-width 4.3027 · sd / √3 = 3.7945.
  const s = d.statistics!;
  assert.equal(s.n, 3);
  assert.ok(Math.abs(s.mean - 0.02 / 3) < 1e-12);
  assert.ok(Math.abs(s.sd - 0.01 * Math.sqrt(7 / 3)) < 1e-12);
  assert.ok(Math.abs(s.tInterval.low - (0.02 / 3 - 0.037945)) < 1e-6, `${s.tInterval.low}`);
  assert.ok(Math.abs(s.tInterval.high - (0.02 / 3 + 0.037945)) < 1e-6, `${s.tInterval.high}`);
  // |±2 ±1 ±1| reaches 2 in 6 of 8 sign patterns (all but +2 −1 −1 and −2 +1 +1, which sum to 0).
  assert.equal(s.p, 0.75);
  assert.equal(s.resolved, false);
  const all = pairedDifferences(groups);
  assert.deepEqual(all.map((p) => `${p.arm}:${p.seeds.join(",")}`), [
    "learned:0,1,2",
    "learned-old:1",
  ]);
  // One pair has no statistics and stays out of Holm's family: the one tested keeps its p.
  assert.equal(all[1].statistics, null);
  assert.equal(all[0].holmP, 0.75);
  assert.equal(all[0].holmFamily, 1);
  const md = tablesOf(rows, { paired: all });
  assert.match(md, /learned − manual: \+0\.67 points top-1/);
  assert.match(md, /Holm p = p adjusted over the plan's 1 paired comparison;/);
  assert.match(
    md,
    /\| learned − manual \| 3 \| 0: \+2\.00, 1: \+1\.00, 2: −1\.00 \| \+0\.67 \| 1\.53 \| \[−3\.13, \+4\.46\] \| 0\.75 \| 0\.75 \| not resolved \|/,
  );
  assert.doesNotMatch(md, /bootstrap/);
  // One common seed: a difference, no row in the paired table.
  assert.match(md, /learned-old − manual: −5\.50 points/);
  assert.doesNotMatch(md, /\| learned-old − manual \|/);
});

Deno.test("experiment tables: a plan's own comparison, null against learned, paired by seed", () => {
  const rows = [
    row("learned", "g", 0, 0.90, 5e6),
    row("manual", "g", 0, 0.91, 5e6),
    row("null", "g", 0, 0.89, 5e6),
    row("learned", "g", 1, 0.88, 5e6),
    row("manual", "g", 1, 0.91, 5e6),
    row("null", "g", 1, 0.89, 5e6),
  ];
  const groups = groupRows(rows);
  const comparisons = [{ arm: "null", baseline: "learned" }, { arm: "null", baseline: "absent" }];
  const all = pairedDifferences(groups, comparisons);
  // Every arm against manual first, then the plan's own; a missing arm is skipped.
  assert.deepEqual(all.map((p) => `${p.arm}−${p.baseline}`), [
    "learned−manual",
    "null−manual",
    "null−learned",
  ]);
  // learned − manual −1, −3 points: p = 1/2 (the 2-pair minimum); null − manual −2, −2:
  // p = 1/2 and sd 0, so a t-interval of zero width that excludes 0; null − learned −1, +1:
  // p = 1. Holm over the three: 1/2·3 → 1, 1/2·2 = 1, 1·1 = 1.
  assert.deepEqual(all.map((p) => p.statistics!.p), [0.5, 0.5, 1]);
  assert.deepEqual(all.map((p) => p.holmP), [1, 1, 1]);
  assert.ok(all.every((p) => p.holmFamily === 3));
  const md = tablesOf(rows, { comparisons, paired: all });
  assert.match(md, /null − learned: \+0\.00 points top-1/);
  assert.match(
    md,
    /\| null − learned \| 2 \| 0: −1\.00, 1: \+1\.00 \| \+0\.00 \| 1\.41 \| \[−12\.71, \+12\.71\] \| 1 \| 1 \| not resolved \|/,
  );
  // The t-interval alone would call null − manual resolved; two pairs cannot give p < 0.5.
  assert.match(
    md,
    /\| null − manual \| 2 \| 0: −2\.00, 1: −2\.00 \| −2\.00 \| 0\.00 \| \[−2\.00, −2\.00\] \| 0\.5 \| 1 \| not resolved by p \|/,
  );
  assert.match(md, /over the plan's 3 paired comparisons/);
  assert.equal(md.match(/^\| [a-z-]+ − [a-z-]+ \| 2 \|/gm)?.length, 3);
  // Without the plan's comparisons the table has only the arms against manual.
  assert.doesNotMatch(tablesOf(rows), /null − learned/);
});

Deno.test("experiment tables: evolutions get their own table, a missing accuracy a dash", () => {
  const evolution = (id: string, arm: string, valTop1: number | null): EvolveRow => ({
    id,
    arm,
    seed: 1,
    steps: 2071,
    regenerations: 61,
    valTop1,
    trainTop1: 0.5,
    seconds: 3600,
    bestCells: ["r6:dw3,-,id,-,-,id:++", "r1:dw3,id,id,dw3,id,id:**"],
    commands: { evolve: "e" },
  });
  const md = resultsMarkdown({
    plan: "space-learning",
    question: "q?",
    spaces: {},
    finished: 2,
    planned: 4,
    runs: [],
    groups: [],
    evolutions: [
      evolution("reference-seed1", "reference", 0.578),
      evolution("no-reference-seed1", "no-reference", null),
    ],
  });
  assert.match(
    md,
    /\| reference-seed1 \| reference \| 1 \| 57\.80% \| 50\.00% \| 2071 \| 61 \| 3600 s \| `r6:dw3,-,id,-,-,id:\+\+`<br>`r1:/,
  );
  assert.match(md, /\| no-reference-seed1 \| no-reference \| 1 \| – \| 50\.00% \|/);
  assert.match(md, /Finished runs: 2 of 4\. Produced by/);
  assert.doesNotMatch(md, /## Runs|Spaces:/);
});

Deno.test({
  name: "deno task experiment smoke: runs, refuses to overwrite, resumes without redoing, " +
    "also from the results folder alone",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "experiment-test-" });
    try {
      const args = ["smoke", "--out", `${dir}/runs`, "--results", `${dir}/results`];
      const first = await runScript("experiment.ts", ...args);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /2\/2 runs finished/);
      assert.match(first.stdout, /1 of 2 runs done; about \S+ left at this process's pace/);
      const table = await Deno.readTextFile(`${dir}/results/smoke.md`);
      assert.match(table, /\| learned \| 0 \|/);
      assert.match(table, /\| manual \| 0 \|/);
      const json = JSON.parse(await Deno.readTextFile(`${dir}/results/smoke.json`));
      assert.equal(json.finished, 2);
      for (const r of json.runs) {
        assert.ok(r.madds > 0 && r.madds <= 8e6, `${r.id}: ${r.madds} MAdds over the 8M cap`);
        assert.ok(r.testTop1 >= 0 && r.testTop1 <= 1);
        await Deno.stat(`${dir}/results/smoke/${r.id}/train/metrics.jsonl`);
      }

      const again = await runScript("experiment.ts", ...args);
      assert.notEqual(again.code, 0);
      assert.match(
        again.stderr,
        /holds runs already \(learned-spos-seed0, manual-spos-seed0\); add --resume/,
      );

      const resumed = await runScript("experiment.ts", ...args, "--resume");
      assert.equal(resumed.code, 0, resumed.stderr);
      assert.equal((resumed.stdout.match(/done earlier, skipped/g) ?? []).length, 4);
      assert.equal(await Deno.readTextFile(`${dir}/results/smoke.md`), table);

      // A new machine: the runs folder is gone, the results folder kept each run's small files.
      await Deno.remove(`${dir}/runs`, { recursive: true });
      const fresh = await runScript("experiment.ts", ...args);
      assert.notEqual(fresh.code, 0);
      assert.match(
        fresh.stderr,
        /results\/smoke holds finished runs of smoke \(learned-spos-seed0, manual-spos-seed0\); add --resume/,
      );
      const restored = await runScript("experiment.ts", ...args, "--resume");
      assert.equal(restored.code, 0, restored.stderr);
      assert.match(restored.stdout, /2 finished run\(s\) restored from \S*results\/smoke/);
      assert.equal(
        (restored.stdout.match(/restored from the results folder; skipped/g) ?? []).length,
        2,
      );
      assert.doesNotMatch(restored.stdout, /: (search|train)( \(resuming\))?$/m, "nothing reran");
      await Deno.remove(`${dir}/runs`, { recursive: true });
      const summary = await runScript("experiment.ts", ...args, "--summary-only");
      assert.equal(summary.code, 0, summary.stderr);
      assert.match(summary.stdout, /2\/2 runs finished/);
      assert.equal(await Deno.readTextFile(`${dir}/results/smoke.md`), table);

      const same = await runScript("experiment.ts", "smoke", "--out", dir, "--results", dir);
      assert.notEqual(same.code, 0);
      assert.match(same.stderr, /--out .* and --results .* overlap/);

      const unknown = await runScript("experiment.ts", ...args, "--resume", "--only", "x");
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /--only x: not a run of smoke/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

/** The value after `flag` in a list of flags. */
const flagOf = (args: readonly string[], flag: string) => args[args.lastIndexOf(flag) + 1];

Deno.test("search-vs-random: per seed and space, G and RL found, a draw at each one's MAdds and random search", () => {
  const plan = EXPERIMENT_PLANS["search-vs-random"];
  assert.deepEqual(Object.keys(plan.spaces), ["learned", "manual"]);
  assert.equal(
    plan.spaces.learned,
    "docs/results/evolve-seeds/default-seed0/evolve/search_space.json",
  );
  assert.equal(plan.spaces.manual, "baseline:compact-28");
  assert.deepEqual([...SEARCH_VS_RANDOM_SEEDS], [10, 11, 12, 13, 14, 15, 16, 17]);
  assert.equal(plan.runs.length, 8 * 2 * 6);
  const runs = plan.runs as SearchTrainRun[];
  assert.ok(runs.every((r) => r.kind === "search-train"));
  // The default search (RL) and both its baselines first, seed by seed and both spaces: the
  // first six runs are already a comparison; then G's searches, argmaxes and draws.
  const rlArms = ["found-rl", "random-draw-rl", "random-search"];
  assert.deepEqual(
    runs.slice(0, 8 * 2 * 3).map((r) => `${r.algo}/${r.arm}/${r.seed}`),
    SEARCH_VS_RANDOM_SEEDS.flatMap((seed) =>
      ["learned", "manual"].flatMap((space) => rlArms.map((arm) => `${space}/${arm}/${seed}`))
    ),
  );
  assert.deepEqual(
    runs.slice(8 * 2 * 3).map((r) => `${r.algo}/${r.arm}/${r.seed}`),
    SEARCH_VS_RANDOM_SEEDS.flatMap((seed) =>
      ["learned", "manual"].flatMap((space) =>
        ["found", "found-argmax", "random-draw"].map((arm) => `${space}/${arm}/${seed}`)
      )
    ),
  );
  for (const seed of SEARCH_VS_RANDOM_SEEDS) {
    const ofSeed = runs.filter((r) => r.seed === seed);
    assert.equal(ofSeed.length, 12);
    // One training recipe and training seed for the whole set.
    for (const r of ofSeed) {
      assert.deepEqual(r.trainArgs, ofSeed[0].trainArgs, r.id);
      assert.equal(flagOf(r.trainArgs, "--seed"), String(seed));
      assert.equal(flagOf(r.trainArgs, "--epochs"), "4");
    }
    for (const [space, path] of Object.entries(plan.spaces)) {
      const arm = (name: string) => ofSeed.find((r) => r.algo === space && r.arm === name)!;
      const [found, argmax, draw, random, foundRl, drawRl] = [
        "found",
        "found-argmax",
        "random-draw",
        "random-search",
        "found-rl",
        "random-draw-rl",
      ]
        .map(arm);
      for (const r of [found, draw, random, foundRl, drawRl]) {
        assert.equal(flagOf(r.searchArgs, "--space"), path);
      }
      assert.equal(flagOf(found.searchArgs, "--algo"), "proxyless-g");
      assert.equal(flagOf(foundRl.searchArgs, "--algo"), "proxyless-rl");
      for (const search of [found, foundRl]) {
        assert.equal(flagOf(search.searchArgs, "--derive"), "scored");
        for (const [i, arg] of DECIDING_SEARCH.entries()) {
          assert.equal(search.searchArgs[search.searchArgs.indexOf(DECIDING_SEARCH[0]) + i], arg);
        }
      }
      assert.equal(drawRl.drawMatching, foundRl.id);
      assert.equal(flagOf(drawRl.searchArgs, "--tolerance"), "0.03");
      // The argmax derivation of the same search, trained with the same recipe.
      assert.deepEqual(argmax.trainFrom, { run: found.id, network: "argmax/network.json" });
      assert.deepEqual(stagesOf("out", argmax).map((s) => s.name), ["train"]);
      assert.equal(runLayout("out", argmax).network, `out/${found.id}/search/argmax/network.json`);
      assert.equal(draw.drawMatching, found.id);
      assert.equal(flagOf(draw.searchArgs, "--tolerance"), "0.03");
      assert.equal(flagOf(random.searchArgs, "--algo"), "random");
      // The same cap as the search it is compared with.
      assert.equal(
        flagOf(random.searchArgs, "--madds-max"),
        flagOf(DECIDING_SEARCH, "--madds-max"),
      );
      assert.equal(random.drawMatching, undefined);
    }
  }
  assert.equal(flagOf(DECIDING_SEARCH, "--madds-max"), "6M");
});

Deno.test("search-vs-random tables: primary and secondary comparisons per space, Holm in each", () => {
  const plan = EXPERIMENT_PLANS["search-vs-random"];
  const top1: Record<string, number> = { found: 0.9, "found-argmax": 0.89, "found-rl": 0.91 };
  const rows = (plan.runs as SearchTrainRun[])
    .filter((r) => r.seed <= 14)
    .map((r) => ({
      ...row(r.arm, r.algo, r.seed, (top1[r.arm] ?? 0.88) + r.seed / 1e4, 5e6),
      id: r.id,
      searchHeldOutTop1: r.drawMatching || r.trainFrom ? null : 0.5,
    }));
  const groups = groupRows(rows);
  const paired = pairedDifferences(groups, plan.comparisons);
  const seeds = "10,11,12,13,14";
  assert.deepEqual(paired.map((d) => `${d.algo}: ${d.arm} − ${d.baseline} [${d.seeds}]`), [
    ...["learned", "manual"].flatMap((space) => [
      `${space}: found − random-draw [${seeds}]`,
      `${space}: found − random-search [${seeds}]`,
      `${space}: found-rl − random-draw-rl [${seeds}]`,
      `${space}: found-rl − random-search [${seeds}]`,
      `${space}: found-argmax − random-draw [${seeds}]`,
      `${space}: found-argmax − random-search [${seeds}]`,
      `${space}: found − found-argmax [${seeds}]`,
    ]),
  ]);
  // Five pairs all of one sign: p = 2/2^5; Holm over the 8 primary comparisons (G and RL,
  // each against both baselines, in both spaces), and over the 6 secondary ones apart.
  for (const d of paired) {
    assert.equal(d.statistics!.p, 0.0625);
    const primary = d.arm.startsWith("found") && d.arm !== "found-argmax" &&
      d.baseline.startsWith("random");
    assert.equal(d.family, primary ? "primary" : "secondary", `${d.arm} − ${d.baseline}`);
    assert.equal(d.holmFamily, primary ? 8 : 6);
  }
  const md = tablesOf(rows, { comparisons: plan.comparisons, paired, armTitle: plan.armTitle });
  assert.match(md, /^\| network \| seeds \| test top-1 \(mean\)/m);
  assert.match(md, /within its family/);
  assert.match(
    md,
    /\| found-argmax − random-draw \| 5 \| .* \| 0\.0625 \| [0-9.]+ \(secondary, 6\) \|/,
  );
  // A draw and the argmax training have no search held-out top-1: a dash in the Runs table.
  assert.match(md, /\| learned-random-draw-seed10 \| .* \| 5\.00M \| – \| 99\.0% \| 88\.10% \|/);
  assert.doesNotMatch(md, /null/);
});

Deno.test({
  name: "a draw run's first stage draws at its matched run's found network's MAdds",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const planOut = await Deno.makeTempDir({ prefix: "experiment-draw-test-" });
    try {
      const found: SearchTrainRun = {
        kind: "search-train",
        id: "manual-found-seed0",
        arm: "found",
        algo: "manual",
        seed: 0,
        searchArgs: ["--space", "baseline:compact-28", "--algo", "spos", "--quick"],
        trainArgs: ["--quick"],
      };
      const draw: SearchTrainRun & { drawMatching: string } = {
        ...found,
        id: "manual-random-draw-seed0",
        arm: "random-draw",
        searchArgs: ["--space", "baseline:compact-28", "--tolerance", "0.03", "--seed", "0"],
        drawMatching: found.id,
      };
      const plan: ExperimentPlan = { name: "p", question: "q?", spaces: {}, runs: [found, draw] };
      checkPlanFlags(plan, planOut);
      throwsLine(
        () => checkPlanFlags({ ...plan, runs: [draw, found] }, planOut),
        /run manual-random-draw-seed0: drawMatching manual-found-seed0: not a search run before it/,
      );
      throwsLine(
        () => checkPlanFlags({ ...plan, runs: [found, { ...draw, drawMatching: "x" }] }, planOut),
        /drawMatching x: not a search run before it in the plan/,
      );
      const commands = runCommands(planOut, draw);
      assert.deepEqual(Object.keys(commands), ["draw", "train"]);
      assert.equal(
        commands.draw,
        `deno task draw --space baseline:compact-28 --tolerance 0.03 --seed 0 --match ` +
          `${planOut}/manual-found-seed0/search/network.json --out ${planOut}/${draw.id}/draw`,
      );
      assert.match(commands.train, new RegExp(`--arch ${planOut}/${draw.id}/draw/network.json`));

      const [first, train] = stagesOf(planOut, draw);
      assert.deepEqual([first.name, train.name], ["draw", "train"]);
      await assert.rejects(
        first.run(false, () => {}),
        /manual-found-seed0\/search\/network\.json is missing: run manual-found-seed0 first$/,
      );
      // The matched run's found network, as its search wrote it.
      const { space } = await loadSearchSpace("baseline:compact-28", { backbone: "proxyless-224" });
      const costs = spaceCosts(space);
      const network = networkFromChoices(space, fullChoices(space, costs, [2, 6, 4, 1, 5, 0, 3]));
      const target = countNetwork(network).total.madds;
      await Deno.mkdir(`${planOut}/${found.id}/search`, { recursive: true });
      await Deno.writeTextFile(
        matchedNetwork(planOut, draw),
        JSON.stringify(networkToJson(network)),
      );
      const lines: string[] = [];
      await first.run(false, (line) => lines.push(line));
      assert.match(lines.join("\n"), /draw: .* after \d+ draw\(s\)/);
      const p = runLayout(planOut, draw);
      const record = JSON.parse(await Deno.readTextFile(`${p.draw}/draw.json`));
      assert.equal(record.target, target);
      assert.ok(Math.abs(record.madds - target) <= 0.03 * target);
      for (const file of first.done) await Deno.stat(file);

      // Its row, once a training is there: no held-out top-1, the draw's columns.
      assert.equal(await readRunRow(planOut, draw), null, "unfinished: no row");
      await Deno.mkdir(p.train, { recursive: true });
      const epoch = {
        epoch: 1,
        steps: 4,
        lr: 0.1,
        trainLoss: 1,
        trainTop1: 0.5,
        test: { loss: 1, top1: 0.6, top5: 0.9, examples: 64 },
        epochSeconds: 3,
        imagesPerSecond: 10,
      };
      await Deno.writeTextFile(`${p.train}/metrics.jsonl`, JSON.stringify(epoch) + "\n");
      await Deno.writeTextFile(`${p.train}/model.onnx`, "");
      const got = (await readRunRow(planOut, draw))!;
      assert.equal(got.searchHeldOutTop1, null);
      assert.equal(got.searchEntropy, null);
      assert.equal(got.madds, record.madds);
      assert.equal(got.testTop1, 0.6);
      assert.deepEqual(got.draw, {
        matches: found.id,
        targetMAdds: target,
        tolerance: 0.03,
        draws: record.draws,
      });
      const md = tablesOf([got]);
      assert.match(md, /## Random draws/);
      assert.match(
        md,
        new RegExp(
          `\\| ${draw.id} \\| ${found.id} \\| ${(target / 1e6).toFixed(2)}M \\| ±3\\.0% \\|`,
        ),
      );
    } finally {
      await Deno.remove(planOut, { recursive: true });
    }
  },
});

Deno.test({
  name: "a draw run with a target of its own: no match, its MAdds window, its row",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const planOut = await Deno.makeTempDir({ prefix: "experiment-own-draw-test-" });
    try {
      const draw: SearchTrainRun = {
        kind: "search-train",
        id: "manual-draw-seed3",
        arm: "manual",
        algo: "draw",
        seed: 3,
        searchArgs: ["--space", "baseline:compact-28", "--madds", "5M", "--tolerance", "0.015"],
        draw: true,
        trainArgs: ["--quick"],
      };
      checkPlanFlags({ name: "p", question: "q?", spaces: {}, runs: [draw] }, planOut);
      const commands = runCommands(planOut, draw);
      assert.equal(
        commands.draw,
        `deno task draw --space baseline:compact-28 --madds 5M --tolerance 0.015 ` +
          `--out ${planOut}/${draw.id}/draw`,
      );
      const [first] = stagesOf(planOut, draw);
      assert.equal(first.name, "draw");
      await first.run(false, () => {});
      const record = JSON.parse(await Deno.readTextFile(`${planOut}/${draw.id}/draw/draw.json`));
      assert.equal(record.target, 5e6);
      assert.ok(Math.abs(record.madds - 5e6) <= 0.015 * 5e6, `${record.madds}`);
      for (const file of first.done) await Deno.stat(file);
    } finally {
      await Deno.remove(planOut, { recursive: true });
    }
  },
});

Deno.test("evolve-confirm and evolve-length: the default evolution on new seeds and longer", () => {
  const confirm = EXPERIMENT_PLANS["evolve-confirm"].runs as EvolveRun[];
  assert.deepEqual([...EVOLVE_CONFIRM_SEEDS], [3, 4, 5], "disjoint from the choosing seeds 0–2");
  assert.deepEqual(confirm.map((r) => r.evolveArgs), [3, 4, 5].map((s) => ["--seed", String(s)]));
  const lengths = EXPERIMENT_PLANS["evolve-length"].runs as EvolveRun[];
  assert.deepEqual(
    Object.values(EVOLVE_LENGTHS),
    [2, 4].map((x) => x * DEFAULT_EVOLVE_CONFIG.epochs),
    "2× and 4× the default's evolution epochs",
  );
  assert.deepEqual(
    lengths.map((r) => `${r.arm}:${r.evolveArgs.join(" ")}`),
    ["2x", "4x"].flatMap((arm) =>
      [0, 1, 2].map((s) => `${arm}:--epochs ${EVOLVE_LENGTHS[arm as "2x" | "4x"]} --seed ${s}`)
    ),
  );
});

Deno.test("fitness-vs-null: the accuracy and paired fitness on seeds 0–2, ids kept", () => {
  const runs = EXPERIMENT_PLANS["fitness-vs-null"].runs as EvolveRun[];
  assert.deepEqual(
    runs.map((r) => `${r.id}:${r.evolveArgs.join(" ")}`),
    ["accuracy", "paired"].flatMap((f) =>
      [0, 1, 2].map((s) => `${f}-seed${s}:--fitness ${f} --seed ${s}`)
    ),
  );
});

Deno.test("learned-vs-null-draws: per seed a draw of each space at 5M ±1.5%, one recipe", () => {
  const plan = EXPERIMENT_PLANS["learned-vs-null-draws"];
  assert.deepEqual([...LEARNED_VS_NULL_SEEDS], [20, 21, 22, 23, 24, 25, 26, 27]);
  const runs = plan.runs as SearchTrainRun[];
  assert.equal(runs.length, 16);
  for (const seed of LEARNED_VS_NULL_SEEDS) {
    const [learned, nul] = ["learned", "null"].map((arm) =>
      runs.find((r) => r.seed === seed && r.arm === arm)!
    );
    assert.equal(flagOf(learned.searchArgs, "--space"), plan.spaces.learned);
    assert.equal(flagOf(nul.searchArgs, "--space"), plan.spaces.null);
    for (const r of [learned, nul]) {
      assert.equal(r.draw, true);
      assert.equal(r.drawMatching, undefined);
      assert.equal(flagOf(r.searchArgs, "--madds"), "5M");
      assert.equal(flagOf(r.searchArgs, "--tolerance"), "0.015");
      assert.deepEqual(r.trainArgs, learned.trainArgs);
      assert.equal(flagOf(r.trainArgs, "--seed"), String(seed));
      assert.equal(flagOf(r.trainArgs, "--epochs"), "4");
    }
  }
  assert.deepEqual(plan.comparisons, [{ arm: "learned", baseline: "null" }]);
});

Deno.test("space-equal-madds: per seed each space searched into one band, one recipe", () => {
  const plan = EXPERIMENT_PLANS["space-equal-madds"];
  assert.deepEqual([...SPACE_EQUAL_MADDS_SEEDS], [30, 31, 32, 33, 34, 35, 36, 37]);
  const runs = plan.runs as SearchTrainRun[];
  assert.equal(runs.length, 24);
  const seedsOfOtherPlans = [...SEARCH_VS_RANDOM_SEEDS, ...LEARNED_VS_NULL_SEEDS] as number[];
  for (const seed of SPACE_EQUAL_MADDS_SEEDS) {
    assert.ok(!seedsOfOtherPlans.includes(seed), `seed ${seed} is another plan's`);
    const arms = ["learned", "manual", "null"].map((arm) =>
      runs.find((r) => r.seed === seed && r.arm === arm)!
    );
    for (const r of arms) {
      assert.equal(flagOf(r.searchArgs, "--space"), plan.spaces[r.arm]);
      assert.equal(flagOf(r.searchArgs, "--algo"), "proxyless-rl");
      assert.equal(flagOf(r.searchArgs, "--seed"), String(seed));
      const [min, max] = ["--madds-min", "--madds-max"].map((f) => flagOf(r.searchArgs, f)!);
      // Any two networks of the band lie within 3% of each other.
      assert.ok(parseFloat(max) / parseFloat(min) <= 1.03, `${min}–${max}`);
      assert.deepEqual(r.trainArgs, arms[0].trainArgs);
      assert.equal(flagOf(r.trainArgs, "--seed"), String(seed));
      assert.equal(flagOf(r.trainArgs, "--epochs"), "4");
    }
  }
  assert.deepEqual(plan.comparisons, [{ arm: "learned", baseline: "null" }]);
});

Deno.test("deno task experiment --list prints every run's commands, draws included", async () => {
  const r = await runScript("experiment.ts", "--list");
  assert.equal(r.code, 0, r.stderr);
  const plan = EXPERIMENT_PLANS["search-vs-random"];
  assert.match(r.stdout, /^search-vs-random: Do the networks G and RL find beat/m);
  for (const run of plan.runs) {
    assert.ok(r.stdout.includes(`  ${run.id}\n`), run.id);
    for (const command of Object.values(runCommands(`runs/experiments/${plan.name}`, run))) {
      assert.ok(r.stdout.includes(command), `${run.id}: ${command}`);
    }
  }
  // search-vs-random's 32 draws and learned-vs-null-draws' 16.
  assert.equal((r.stdout.match(/deno task draw --space/g) ?? []).length, 48);
});
