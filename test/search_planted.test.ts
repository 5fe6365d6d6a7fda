/**
 * A search must pick a candidate planted to be clearly better: one searchable layer, the
 * only way from the stem to the head, whose three other candidates squeeze the image
 * through a single hidden channel (`mid: 1`). The paired REINFORCE search on the held-out
 * loss decides for the healthy one (argmax held over the last quarter) and derives it, with
 * one drawn alternative a step (`paired`) or every candidate (`paired-all`).
 */
import assert from "node:assert/strict";
import { SEARCH_SPACE_SPEC_FORMAT } from "../src/space/search_space_spec.ts";
import { runScript } from "./_helpers.ts";

function block(cin: number, cout: number, stride: number, mid?: number) {
  return {
    type: "inverted_residual",
    ...{ cin, cout, stride, kernel: 3, expansion: 3, se: false },
    ...(mid === undefined ? {} : { mid }),
  };
}

const HEALTHY = 1;
const PLANTED_SPACE = {
  format: SEARCH_SPACE_SPEC_FORMAT,
  name: "planted",
  input: { channels: 1, size: 28 },
  stem: { cout: 8, kernel: 3, stride: 2 },
  layers: [
    {
      ...{ cin: 8, cout: 16, stride: 2 },
      candidates: [0, 1, 2, 3].map((k) => block(8, 16, 2, k === HEALTHY ? undefined : 1)),
    },
    { cin: 16, cout: 16, stride: 1, candidates: [block(16, 16, 1)] },
  ],
  head: { featureMix: { cout: 64 }, dropout: 0 },
  classes: 10,
};

/** The paired search with `estimator` on the planted space must decide for the healthy one. */
function plantedSearchTest(estimator: string, epochs: number) {
  Deno.test({
    name: `planted space: the ${estimator} search decides for the healthy candidate and derives it`,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: () => plantedSearch(estimator, epochs),
  });
}

plantedSearchTest("paired", 5);
// Every candidate every step. With 3 epochs its last-quarter comparisons backed the healthy
// leader on 4–5 of seeds 1–6, and a change in float rounding alone flipped seed 1; with 5,
// on 6 of 6, the weakest leader − rival loss difference −0.039.
plantedSearchTest("paired-all", 5);

async function plantedSearch(estimator: string, epochs: number) {
  const dir = await Deno.makeTempDir({ prefix: "search_planted_" });
  try {
    await Deno.writeTextFile(`${dir}/space.json`, JSON.stringify(PLANTED_SPACE));
    const run = await runScript(
      "search.ts",
      ...["--space", `${dir}/space.json`, "--algo", "proxyless-rl"],
      ...["--rl-estimator", estimator, "--rl-reward", "loss", "--derive", "argmax"],
      ...["--train-images", "2048", "--val-images", "512", "--batch", "32"],
      ...["--warmup", "1", "--epochs", String(epochs), "--seed", "1", "--out", `${dir}/out`],
    );
    assert.equal(run.code, 0, run.stderr);
    const result = JSON.parse(await Deno.readTextFile(`${dir}/out/result.json`));
    const [layer] = result.layers;
    assert.equal(layer.decision.argmax, HEALTHY, JSON.stringify(layer));
    assert.ok(layer.decision.decided, JSON.stringify(layer.decision));
    assert.equal(layer.candidate, HEALTHY, "the derived network takes the decided candidate");
    assert.equal(result.decidedShare, 1);
    assert.match(run.stderr + run.stdout, /decided 1 of 1 layers/);
    // The paired comparisons themselves say so: the healthy leader beats every rival.
    const [evidence] = result.pairedEvidence.layers;
    assert.equal(evidence.leader, HEALTHY, JSON.stringify(evidence));
    assert.ok(evidence.informed, JSON.stringify(evidence));
    assert.match(run.stderr + run.stdout, /informed 1 of 1/);
    const report = await Deno.readTextFile(`${dir}/out/report.md`);
    assert.match(report, /hold its argmax by chance: the same search with --random-labels/);
    assert.match(report, /## What the paired comparisons say/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
