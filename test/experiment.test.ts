/**
 * `deno task experiment`: every plan's flags pass the stages' own parsers, the tables
 * average and compare what they should, and the smoke plan runs end to end, refuses to
 * overwrite, and resumes without redoing finished stages.
 */
import assert from "node:assert/strict";
import { EXPERIMENT_PLANS, experimentPlan } from "../src/experiments/plans.ts";
import { checkPlanFlags } from "../src/experiments/runner.ts";
import {
  type EvolveRow,
  groupRows,
  pairedDifference,
  pairedDifferences,
  type PlanResults,
  resultsMarkdown,
  type RunRow,
} from "../src/experiments/summary.ts";
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
      if (run.kind !== "search-train") continue;
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
  name: "deno task experiment smoke: runs, refuses to overwrite, resumes without redoing",
  sanitizeResources: false,
  sanitizeOps: false,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "experiment-test-" });
    try {
      const args = ["smoke", "--out", `${dir}/runs`, "--results", `${dir}/results`];
      const first = await runScript("experiment.ts", ...args);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /2\/2 runs finished/);
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

      const unknown = await runScript("experiment.ts", ...args, "--resume", "--only", "x");
      assert.notEqual(unknown.code, 0);
      assert.match(unknown.stderr, /--only x: not a run of smoke/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
