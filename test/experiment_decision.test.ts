/**
 * The `search-decision` plan and its tables: search-only runs (no training stage), the
 * decision table per search, and seed agreement against the same searches on random
 * labels, tested per layer.
 */
import assert from "node:assert/strict";
import { EXPERIMENT_PLANS, SEARCH_DECISION_SEEDS } from "../src/experiments/plans.ts";
import { stagesOf } from "../src/experiments/runner.ts";
import { runCommands, stageDone } from "../src/experiments/run_layout.ts";
import {
  agreementRows,
  decisionMarkdown,
  nullContrastRows,
  type SearchRow,
} from "../src/experiments/decision_summary.ts";

Deno.test("search-decision: G and both paired RL estimators, both spaces, three seeds, each with its random-label twin", () => {
  const plan = EXPERIMENT_PLANS["search-decision"];
  assert.equal(plan.runs.length, 3 * 2 * SEARCH_DECISION_SEEDS.length * 2);
  // The RL runs say which estimator ran: `paired`'s finished runs keep the flag they ran with.
  const estimators = new Map<string, string | null>();
  for (const run of plan.runs) {
    if (run.kind !== "search-train") continue;
    const at = run.searchArgs.indexOf("--rl-estimator");
    estimators.set(run.algo, at < 0 ? null : run.searchArgs[at + 1]);
  }
  assert.deepEqual(Object.fromEntries(estimators), {
    "proxyless-g": null,
    "proxyless-rl": "paired",
    "proxyless-rl-all": "paired-all",
  });
  for (const run of plan.runs) {
    assert.ok(run.kind === "search-train" && run.searchOnly, run.id);
    if (run.kind !== "search-train") continue;
    const random = run.searchArgs.includes("--random-labels");
    assert.equal(run.arm.endsWith("-random-labels"), random, run.id);
    assert.deepEqual(stagesOf("out", run).map((s) => s.name), ["search"], "no training stage");
    assert.deepEqual(stageDone("out", run).train, []);
    assert.deepEqual(Object.keys(runCommands("out", run)), ["search"]);
    // The twin: the same flags but the labels.
    if (!random) {
      const twin = plan.runs.find((r) => r.id === run.id.replace(/^(\w+)-/, "$1-random-labels-"));
      assert.ok(twin && twin.kind === "search-train", `${run.id}: twin`);
      if (twin?.kind === "search-train") {
        assert.deepEqual(twin.searchArgs.filter((a) => a !== "--random-labels"), run.searchArgs);
      }
    }
  }
  for (const [arm, nullArm] of Object.entries(plan.nullArms ?? {})) {
    assert.ok(plan.runs.some((r) => r.arm === arm) && plan.runs.some((r) => r.arm === nullArm));
  }
});

function searchRow(arm: string, seed: number, path: number[], randomLabels = false): SearchRow {
  return {
    id: `${arm}-g-seed${seed}`,
    arm,
    algo: "proxyless-g",
    seed,
    randomLabels,
    path,
    argmaxPath: null,
    choices: [3, 3, 3, 3, 3, 3, 3],
    decidedShare: 6 / 7,
    decidedLayers: [true, true, true, true, true, true, false],
    informedLayers: null,
    informedShare: null,
    windowNeeded: null,
    relativeEntropy: 0.8,
    archSteps: 1200,
    madds: 5.8e6,
    expectedMAdds: 5.9e6,
    maddsMax: 6e6,
    heldOutTop1: 0.6,
    seconds: 900,
    commands: { search: "deno task search ..." },
  };
}

Deno.test("seed agreement table: real against random labels, per layer, with the sign-flip p", () => {
  const rows = [
    // Three seeds agree in every layer...
    ...[0, 1, 2].map((s) => searchRow("manual", s, [0, 1, 2, 0, 1, 2, 0])),
    // ...on random labels they agree in layer 0 only (a bias: the cost term).
    searchRow("manual-random-labels", 0, [0, 0, 0, 0, 0, 0, 0], true),
    searchRow("manual-random-labels", 1, [0, 1, 1, 1, 1, 1, 1], true),
    searchRow("manual-random-labels", 2, [0, 2, 2, 2, 2, 2, 2], true),
  ];
  const [a] = agreementRows(rows, { manual: "manual-random-labels" });
  assert.equal(a.arm, "manual");
  assert.equal(a.agreement.mean, 1);
  assert.equal(a.null!.agreement.mean, 1 / 7);
  assert.deepEqual(a.null!.agreement.perLayer, [1, 0, 0, 0, 0, 0, 0]);
  // Six layers +1, one layer 0: all differences ≥ 0, exact p = 2/2^7 over the nonzero ones.
  assert.ok(Math.abs(a.null!.difference.mean - 6 / 7) < 1e-12);
  assert.ok(a.null!.difference.p < 0.05, `p ${a.null!.difference.p}`);
  const md = decisionMarkdown(rows, [a]).join("\n");
  assert.match(
    md,
    /\| manual-g-seed0 \| proxyless-g \| manual \| 0 \| true \| 1200 \| 86% \| – \| – \|/,
  );
  assert.match(md, /\| manual-random-labels-g-seed1 \| .* \| random \|/);
  const rl = {
    ...searchRow("manual", 3, [0, 0, 0, 0, 0, 0, 0]),
    informedShare: 5 / 7,
    windowNeeded: 1_450,
  };
  assert.match(decisionMarkdown([rl], []).join("\n"), /\| 1200 \| 86% \| 71% \| 1450 \|/);
  assert.match(md, /\| found \| proxyless-g \| manual \| 0, 1, 2 \| 100\.0% \| 1\.00 1\.00/);
  // A null arm with one finished search: no comparison yet.
  const [b] = agreementRows(rows.slice(0, 4), { manual: "manual-random-labels" });
  assert.equal(b.null, null);
  // With α's argmax in every run, its agreement follows the found networks': here the
  // argmaxes disagree in layer 0 where the found networks agree (the derivation chose alike).
  const withArgmax = rows.map((r, i) => ({
    ...r,
    argmaxPath: [i % 3, ...r.path.slice(1)],
  }));
  const [found, argmax] = agreementRows(withArgmax, { manual: "manual-random-labels" });
  assert.equal(found.choice, "found");
  assert.equal(argmax.choice, "argmax");
  assert.deepEqual(argmax.agreement.perLayer, [0, 1, 1, 1, 1, 1, 1]);
  assert.deepEqual(argmax.null!.agreement.perLayer, [0, 0, 0, 0, 0, 0, 0]);
  assert.match(
    decisionMarkdown(withArgmax, [found, argmax]).join("\n"),
    /\| argmax \| proxyless-g \| manual \| 0, 1, 2 \| 85\.7% \|/,
  );
});

Deno.test("null contrast: held and informed layers against the random-label twins, by seed and layer", () => {
  const informed = (seed: number, layers: boolean[], random = false): SearchRow => ({
    ...searchRow(random ? "manual-random-labels" : "manual", seed, [0, 0, 0, 0, 0, 0, 0], random),
    algo: "proxyless-rl-all",
    informedLayers: layers,
    informedShare: layers.filter(Boolean).length / layers.length,
  });
  const T = true, F = false;
  const rows = [
    informed(0, [T, F, T, F, T, F, F]),
    informed(1, [T, T, F, T, F, F, T]),
    informed(2, [F, F, F, F, F, F, F]), // its twin has not finished: left out
    informed(0, [F, F, F, F, F, F, F], true),
    informed(1, [F, F, F, F, F, F, F], true),
  ];
  const contrasts = nullContrastRows(rows, { manual: "manual-random-labels" });
  assert.deepEqual(contrasts.map((c) => c.figure), ["held", "informed"]);
  const [held, inf] = contrasts;
  // Every run holds 6 of 7 (the helper's decidedLayers): no difference at all.
  assert.deepEqual([held.real, held.null, held.units], [12, 12, 14]);
  assert.equal(held.difference!.mean, 0);
  assert.deepEqual(inf.seeds, [0, 1]);
  assert.deepEqual([inf.real, inf.null, inf.units], [7, 0, 14]);
  // Seven units +1, seven 0: the exact sign-flip p is 2/2^7.
  assert.equal(inf.difference!.p, 2 / 128);
  assert.equal(inf.difference!.resolved, true);
  const md = decisionMarkdown(rows, [], contrasts).join("\n");
  assert.match(md, /## Does it decide more than its null\?/);
  assert.match(
    md,
    /\| proxyless-rl-all \| manual \| informed \| 0, 1 \| 14 \| 7 \| 0 \| \+50\.0 \| \[\+20\.0, \+80\.0\] \| 0\.0156 \| resolved, above 0 \|/,
  );
  // A twin whose layers differ in number is not paired; no twin arm, no row.
  assert.deepEqual(nullContrastRows(rows, {}), []);
});
