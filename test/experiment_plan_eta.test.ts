/** The plan's time left: stage kinds by `--algo`, means of whole stages, kinds not yet timed. */
import assert from "node:assert/strict";
import { estimateText, StageClock, stageKind } from "../src/experiments/plan_eta.ts";
import type { EvolveRun, SearchTrainRun } from "../src/experiments/plans.ts";

const run = (searchArgs: string[]): SearchTrainRun => ({
  kind: "search-train",
  id: "r",
  arm: "a",
  algo: "x",
  seed: 0,
  searchArgs,
  trainArgs: [],
});

Deno.test("plan ETA: a search's kind is its --algo (the search's default when absent)", () => {
  assert.equal(stageKind(run(["--algo", "random", "--seed", "1"]), "search"), "search random");
  assert.equal(stageKind(run(["--seed", "1"]), "search"), "search proxyless-rl");
  assert.equal(stageKind(run(["--algo", "random"]), "train"), "train");
  const evolve: EvolveRun = {
    kind: "evolve",
    id: "e",
    arm: "a",
    algo: "evolve",
    seed: 0,
    evolveArgs: [],
  };
  assert.equal(stageKind(evolve, "evolve"), "evolve");
});

Deno.test("plan ETA: each kind at its mean; kinds not timed yet are named, not guessed", () => {
  const clock = new StageClock();
  assert.match(
    estimateText(clock.estimate(["train", "train"])),
    /time left unknown until a stage of each kind has run \(2 train to run\)/,
  );
  clock.record("search proxyless-rl", 2400);
  clock.record("search proxyless-rl", 3000);
  clock.record("train", 600);
  assert.equal(clock.mean("search proxyless-rl"), 2700);
  const e = clock.estimate(["search proxyless-rl", "train", "train", "draw", "search random"]);
  assert.equal(e.seconds, 2700 + 1200);
  assert.deepEqual(e.untimed, { draw: 1, "search random": 1 });
  assert.equal(
    estimateText(e),
    "about 1h05m left at this process's pace (+ 1 draw, 1 search random, not timed yet)",
  );
  assert.equal(estimateText(clock.estimate(["train"])), "about 10m00s left at this process's pace");
});
