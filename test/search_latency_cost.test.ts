/**
 * `deno task search --cost latency` without timing anything: the flags and their
 * one-line refusals, the SearchCost built from a latency table filled by a fake
 * measurer (the cap, Eq. 6's expected cost), and one tiny search on compact-28 under a
 * latency cap with that table injected.
 */
import assert from "node:assert/strict";
import { LatencyCache } from "../src/latency/cache.ts";
import type { LatencyPart } from "../src/latency/parts.ts";
import { type LatencyTable, latencyTable, predictLatency } from "../src/latency/table.ts";
import { costBudget, costTermOf, parseSearchArgs, SEARCH_USAGE } from "../src/search/config.ts";
import { CostCapError, fitUnderCap, requireReachableCap } from "../src/search/cost_cap.ts";
import { expectedCost, pathCost } from "../src/search/expected_cost.ts";
import type { SearchResult } from "../src/search/outputs.ts";
import { prepareSearch, runSearch } from "../src/search/search.ts";
import { fullChoices, latencyCost, spaceCosts } from "../src/search/space_costs.ts";
import { builtinBackbone } from "../src/space/backbone.ts";
import { baselineSpace } from "../src/space/baseline_space.ts";
import type { SearchSpaceSpec } from "../src/space/search_space_spec.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { throwsLine } from "./_helpers.ts";

const SPACE = ["--space", "baseline:compact-28"];

Deno.test("search flags: --cost latency takes --latency-max/-target/-batch and refuses MAdds budgets", () => {
  const cfg = parseSearchArgs([...SPACE, "--cost", "latency", "--latency-max", "2.5"]);
  assert.equal(cfg.cost, "latency");
  assert.equal(cfg.latencyBatch, 1);
  assert.deepEqual(costBudget(cfg), { target: null, max: 2.5 });
  // A cap alone bounds the derived network and puts no cost term on α, as for MAdds.
  assert.deepEqual(costTermOf(cfg), { kind: "none" });
  const target = parseSearchArgs([
    ...SPACE,
    "--cost=latency",
    "--latency-target",
    "1.5",
    "--latency-max",
    "2",
    "--latency-batch",
    "8",
  ]);
  assert.deepEqual(costTermOf(target), { kind: "target", target: 1.5, initialLambda: 0.1 });
  assert.equal(target.latencyBatch, 8);
  assert.equal(parseSearchArgs(SPACE).cost, "madds");

  throwsLine(() => parseSearchArgs([...SPACE, "--cost", "flops"]), /--cost/);
  throwsLine(
    () => parseSearchArgs([...SPACE, "--cost", "latency", "--madds-max", "10M"]),
    /--madds-max budgets MAdds.*use --latency-max/,
  );
  throwsLine(
    () => parseSearchArgs([...SPACE, "--cost", "latency", "--madds-target", "5M"]),
    /use --latency-target/,
  );
  throwsLine(() => parseSearchArgs([...SPACE, "--latency-max", "3"]), /needs --cost latency/);
  throwsLine(
    () =>
      parseSearchArgs([
        ...SPACE,
        "--cost",
        "latency",
        "--latency-target",
        "3",
        "--latency-max",
        "2",
      ]),
    /--latency-target 3 is above --latency-max 2/,
  );
  throwsLine(
    () =>
      parseSearchArgs([...SPACE, "--algo", "spos", "--cost", "latency", "--latency-target", "3"]),
    /--latency-target steers/,
  );
  throwsLine(
    () => parseSearchArgs([...SPACE, "--cost", "latency", "--latency-max", "0"]),
    /--latency-max/,
  );
  throwsLine(
    () => parseSearchArgs([...SPACE, "--cost", "latency", "--latency-batch", "0"]),
    /--latency-batch/,
  );
  for (const flag of ["--cost", "--latency-max", "--latency-target", "--latency-batch"]) {
    assert.match(
      SEARCH_USAGE,
      new RegExp(`${flag} [^]*?\\(default: `),
      `--help lists ${flag} with a default`,
    );
  }
});

/** A fake time per part, unrelated to MAdds, so a latency search differs from a MAdds one. */
function fakeMs(part: LatencyPart): number {
  let h = 11;
  for (const c of part.key) h = (h * 31 + c.charCodeAt(0)) % 997;
  return 0.05 + h / 1000;
}

/** The table of `space` from the fake measurer, as `deno task search` would build it. */
function fakeTable(space: SearchSpaceSpec, batch: number): Promise<LatencyTable> {
  return latencyTable(space, {
    batch,
    cache: LatencyCache.inMemory(),
    device: { adapter: "fake adapter", variant: "register", timer: "timestamp" },
    rounds: 1,
    measure: (part) => {
      const ms = fakeMs(part);
      return Promise.resolve({
        ms,
        minMs: ms,
        samplesMs: [ms],
        callsPerRep: 1,
        dispatches: 1,
        measuredAt: "2024-01-01T00:00:00.000Z",
      });
    },
  });
}

Deno.test("latency SearchCost: paths cost what the table predicts; the cap and Eq. 6's term act on ms", async () => {
  const space = baselineSpace(builtinBackbone("compact-28")!);
  const costs = spaceCosts(space);
  const table = await fakeTable(space, 1);
  const cost = latencyCost(costs, table, null);
  assert.equal(cost.name, "latency");
  assert.equal(cost.lambdaUnit, 1);
  assert.equal(cost.max, Infinity);

  const path = costs.choices.map((k, l) => (l * 5) % k);
  const predicted = predictLatency(table, fullChoices(space, costs, path));
  assert.ok(Math.abs(pathCost(cost.model, path) - predicted) < 1e-9);

  // Equal logits: E[latency] is fixed + the mean of each layer's row.
  const uniform = costs.choices.map((k) => new Array(k).fill(0));
  const mean = cost.model.fixed +
    cost.model.perLayer.reduce((s, row) => s + row.reduce((a, b) => a + b, 0) / row.length, 0);
  assert.ok(Math.abs(expectedCost(cost.model, uniform).value - mean) < 1e-9);

  // A cap between the fastest and the slowest network: the repair lands under it in ms,
  // and a cap below the fastest is refused with the fastest's latency in the message.
  const fastest = requireReachableCap(cost.model, Infinity).cost;
  const slowest = cost.model.fixed +
    cost.model.perLayer.reduce((s, row) => s + Math.max(...row), 0);
  const cap = fastest + 0.3 * (slowest - fastest);
  const capped = latencyCost(costs, table, cap);
  const slowPath = cost.model.perLayer.map((row) => row.indexOf(Math.max(...row)));
  const fitted = fitUnderCap(capped.model, slowPath, capped.max, uniform);
  assert.ok(fitted.cost <= cap && fitted.changedLayers.length > 0);
  assert.throws(
    () => requireReachableCap(capped.model, fastest * 0.9, capped.format),
    (err: Error) => err instanceof CostCapError && err.message.includes(capped.format(fastest)),
  );
});

Deno.test("search --cost latency: a cap below the fastest network is one line before training", async () => {
  const cfg = parseSearchArgs([
    ...SPACE,
    "--quick",
    "--cost",
    "latency",
    "--latency-max",
    "0.001",
    "--out",
    "/nonexistent/never-written",
  ]);
  await assert.rejects(
    () => prepareSearch(cfg, { latencyTable: fakeTable }),
    (err: Error) => {
      assert.match(err.message, /--latency-max 0\.001 ms is below the fastest network of/);
      assert.match(err.message, /raise it to at least \d/);
      assert.ok(!err.message.includes("\n"));
      return true;
    },
  );
});

Deno.test({
  name: "search --quick --cost latency --latency-max: the found network fits the cap in ms",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const out = await Deno.makeTempDir({ prefix: "search_latency_" });
    try {
      const batches: number[] = [];
      const table = (space: SearchSpaceSpec, batch: number) => {
        batches.push(batch);
        return fakeTable(space, batch);
      };
      // The cap 30% of the way from the fastest network to the slowest.
      const probe = await prepareSearch(
        parseSearchArgs([...SPACE, "--quick", "--cost", "latency"]),
        { latencyTable: table },
      );
      const model = probe.cost.model;
      const slowest = model.fixed + model.perLayer.reduce((s, r) => s + Math.max(...r), 0);
      const cap = probe.cheapestCost + 0.3 * (slowest - probe.cheapestCost);
      const cfg = parseSearchArgs([
        ...SPACE,
        "--quick",
        "--train-images",
        "64",
        "--val-images",
        "64",
        "--cost",
        "latency",
        "--latency-max",
        String(cap),
        "--out",
        out,
      ]);
      const prepared = await prepareSearch(cfg, { latencyTable: table });
      assert.deepEqual(batches, [1, 1]);
      await initEngine();
      let result: SearchResult | null;
      try {
        result = await runSearch(prepared, () => {});
      } finally {
        await shutdownEngine();
      }
      assert.ok(result);
      assert.equal(result.cost, "latency");
      assert.ok(result.latencyMs !== null && result.latencyMs <= cap, `${result.latencyMs}`);
      assert.equal(result.latencyMax, cap);
      const saved = JSON.parse(await Deno.readTextFile(`${out}/result.json`));
      assert.equal(saved.cost, "latency");
      assert.equal(saved.latencyBatch, 1);
      const choices = JSON.parse(await Deno.readTextFile(`${out}/choices.json`));
      const sum = prepared.cost.model.fixed +
        choices.reduce((s: number, c: { latencyMs: number }) => s + c.latencyMs, 0);
      assert.ok(Math.abs(sum - result.latencyMs!) < 1e-9);
      const report = await Deno.readTextFile(`${out}/report.md`);
      assert.match(report, /predicted latency \(cap /);
      assert.match(report, /Cost \(Eq\. 6's term and the cap\): latency/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
