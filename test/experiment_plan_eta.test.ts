/** The plan's time left: stage kinds by `--algo`, means of whole stages, kinds not yet timed. */
import assert from "node:assert/strict";
import { estimateText, StageClock, stageKind } from "../src/experiments/plan_eta.ts";
import type { EvolveRun, SearchTrainRun } from "../src/experiments/plans.ts";

const run = (algo: string, arm: string): SearchTrainRun => ({
  kind: "search-train",
  id: "r",
  arm,
  algo,
  seed: 0,
  searchArgs: ["--algo", "proxyless-rl", "--seed", "0"],
  trainArgs: [],
});

Deno.test("plan ETA: a search's kind is its run's algorithm and arm (estimators and spaces differ)", () => {
  const all = stageKind(run("proxyless-rl-all", "learned"), "search");
  assert.equal(all, "search (proxyless-rl-all, learned)");
  assert.notEqual(stageKind(run("proxyless-rl", "learned"), "search"), all);
  assert.notEqual(stageKind(run("proxyless-rl-all", "manual"), "search"), all);
  assert.equal(stageKind(run("proxyless-rl-all", "learned"), "train"), "train");
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
  clock.record("search (rl, learned)", 2400);
  clock.record("search (rl, learned)", 3000);
  clock.record("train", 600);
  assert.equal(clock.mean("search (rl, learned)"), 2700);
  const e = clock.estimate([
    "search (rl, learned)",
    "train",
    "train",
    "draw",
    "search (rl, manual)",
  ]);
  assert.equal(e.seconds, 2700 + 1200);
  assert.deepEqual(e.untimed, { draw: 1, "search (rl, manual)": 1 });
  assert.equal(
    estimateText(e),
    "about 1h05m left at this process's pace (+ 1 draw, 1 search (rl, manual), not timed yet)",
  );
  assert.equal(estimateText(clock.estimate(["train"])), "about 10m00s left at this process's pace");
});
