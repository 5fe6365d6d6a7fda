import assert from "node:assert/strict";
import { throwsLine } from "./_helpers.ts";
import {
  costTermOf,
  DEFAULT_SEARCH_CONFIG,
  parseSearchArgs,
  SEARCH_ALGORITHMS,
  SEARCH_USAGE,
  searchArgsOf,
} from "../src/search/config.ts";
import { ArchAdam } from "../src/supernet/arch_optimizer.ts";

const SPACE = ["--space", "baseline:compact-28"];

Deno.test("search config: defaults per algorithm, out folder, quick preset, every flag in --help", () => {
  const g = parseSearchArgs(SPACE);
  assert.deepEqual(g, {
    ...DEFAULT_SEARCH_CONFIG,
    space: "baseline:compact-28",
    out: "runs/search-proxyless-rl",
  });
  assert.equal(g.algo, "proxyless-rl", "the default search is REINFORCE");
  assert.equal(g.rlEstimator, "paired-all", "over every candidate a step");
  assert.equal(g.archBeta1, 0);
  const spos = parseSearchArgs([...SPACE, "--algo", "spos"]);
  assert.equal(spos.warmupEpochs, 0);
  assert.equal(spos.warmupEpochs + spos.epochs, g.warmupEpochs + g.epochs, "same weight steps");
  assert.equal(spos.out, "runs/search-spos");
  const quick = parseSearchArgs([...SPACE, "--quick", "--batch", "16"]);
  assert.equal(quick.quick, true);
  assert.equal(quick.batchSize, 16, "flags override --quick");
  assert.ok(quick.trainImages < 1000);
  for (const algo of SEARCH_ALGORITHMS) assert.ok(SEARCH_USAGE.includes(algo));
  const flags = [...SEARCH_USAGE.matchAll(/--([a-z0-9-]+)/g)].map((m) => m[1]);
  for (
    const flag of [
      "space",
      "algo",
      "backbone",
      "madds-max",
      "madds-min",
      "madds-target",
      "lambda",
      "lambda-rate",
      "arch-beta1",
      "rl-samples",
      "top-k",
      "random-samples",
      "bn-batches",
      "score-images",
      "resume",
      "quick",
      "stop-after",
    ]
  ) {
    assert.ok(flags.includes(flag), `--help lacks --${flag}`);
  }
});

Deno.test("search config: MAdds counts, and the cost term each flag set asks for", () => {
  const capped = parseSearchArgs([...SPACE, "--madds-max", "10M"]);
  assert.equal(capped.maddsMax, 10e6);
  // A cap alone constrains the derived network only: no cost term on α.
  assert.deepEqual(costTermOf(capped), { kind: "none" });
  const target = parseSearchArgs([...SPACE, "--madds-target", "300k", "--lambda", "0.5"]);
  assert.deepEqual(costTermOf(target), { kind: "target", target: 3e5, initialLambda: 0.5 });
  const fixed = parseSearchArgs([...SPACE, "--lambda", "0.02", "--madds-max", "9M"]);
  assert.deepEqual(costTermOf(fixed), { kind: "fixed", lambda: 0.02 });
  assert.deepEqual(costTermOf(parseSearchArgs(SPACE)), { kind: "none" });
});

Deno.test("search config: bad values and combinations fail with one line naming the flag", () => {
  throwsLine(() => parseSearchArgs([]), /--space is required/);
  throwsLine(() => parseSearchArgs([...SPACE, "--algo", "darts"]), /--algo must be one of/);
  throwsLine(
    () => parseSearchArgs([...SPACE, "--madds-max", "lots"]),
    /--madds-max must be a count/,
  );
  throwsLine(() => parseSearchArgs([...SPACE, "--arch-beta1", "1"]), /--arch-beta1 must be < 1/);
  throwsLine(
    () => parseSearchArgs([...SPACE, "--epochs", "0"]),
    /--epochs must be a positive integer/,
  );
  throwsLine(() => parseSearchArgs([...SPACE, "--bogus"]), /bogus/);
  throwsLine(() => parseSearchArgs([...SPACE, "--derive", "best"]), /--derive must be one of/);
  throwsLine(
    () => parseSearchArgs([...SPACE, "--algo", "random", "--derive", "scored"]),
    /--derive reads the architecture weights of proxyless-g or proxyless-rl; random/,
  );
  throwsLine(
    () => parseSearchArgs([...SPACE, "--algo", "spos", "--madds-target", "5M"]),
    /--madds-target steers the proxyless-g and proxyless-rl searches/,
  );
  throwsLine(
    () => parseSearchArgs([...SPACE, "--madds-target", "12M", "--madds-max", "10M"]),
    /above --madds-max/,
  );
  assert.equal(
    parseSearchArgs([...SPACE, "--madds-min", "5.8M", "--madds-max", "6M"]).maddsMin,
    5.8e6,
  );
  throwsLine(
    () => parseSearchArgs([...SPACE, "--madds-min", "7M", "--madds-max", "6M"]),
    /--madds-min 7000000 is above --madds-max 6000000; the floor must lie at or below the cap/,
  );
  throwsLine(
    () => parseSearchArgs([...SPACE, "--cost", "latency", "--madds-min", "5M"]),
    /--madds-min bounds MAdds and has no latency form/,
  );
  throwsLine(
    () => parseSearchArgs([...SPACE, "--algo", "spos", "--population", "4", "--mutations", "3"]),
    /must not exceed --population 4/,
  );
});

Deno.test("architecture Adam: beta1 acts, beta1 = 0 steps by sign, lazy steps touch only their entries", () => {
  const options = { lr: 0.1, beta2: 0.999, eps: 1e-8 };
  // β1 = 0: the first step of Adam moves every entry by lr·sign(g).
  const plain = new ArchAdam(3, { ...options, beta1: 0 });
  const a1 = plain.step([0, 0, 0], [2, -0.5, 0]);
  assert.deepEqual(a1.map((v) => Math.round(v * 1e6) / 1e6), [-0.1, 0.1, 0]);
  // With momentum, a gradient that flips sign is damped on the second step; without, not.
  const g1 = [1, 1, 1];
  const g2 = [-1, -1, -1];
  const noMomentum = new ArchAdam(3, { ...options, beta1: 0 });
  const momentum = new ArchAdam(3, { ...options, beta1: 0.9 });
  const stepNo = noMomentum.step(noMomentum.step([0, 0, 0], g1), g2);
  const stepYes = momentum.step(momentum.step([0, 0, 0], g1), g2);
  assert.ok(Math.abs(stepNo[0]) < 1e-6, `β1 = 0 undoes the first step: ${stepNo[0]}`);
  assert.ok(stepYes[0] < -0.05, `β1 = 0.9 keeps moving along the first gradient: ${stepYes[0]}`);
  // Lazy: only the listed entries move, and the step scale multiplies the step.
  const lazy = new ArchAdam(3, { ...options, beta1: 0 });
  const a2 = lazy.step([1, 1, 1], [1, 1], [0, 2], [1, 3]);
  assert.equal(a2[1], 1);
  assert.ok(Math.abs((1 - a2[2]) - 3 * (1 - a2[0])) < 1e-9);
  assert.throws(() => new ArchAdam(2, { ...options, beta1: 1 }), /beta1 and beta2 in \[0, 1\)/);
});

Deno.test("search config: the flags written for a config read back to that config", () => {
  for (
    const args of [
      SPACE,
      [...SPACE, "--algo", "spos", "--quick", "--madds-max", "5M", "--seed", "3"],
      [...SPACE, "--cost", "latency", "--latency-max", "2.5", "--path-sampling", "fair"],
      [...SPACE, "--algo", "proxyless-rl", "--lambda", "0.2", "--random-labels", "--out", "x y"],
      [...SPACE, "--checkpoint-every", "200", "--derive", "argmax", "--arch-beta1", "0.5"],
    ]
  ) {
    const config = parseSearchArgs(args);
    assert.deepEqual(parseSearchArgs(searchArgsOf(config)), config, args.join(" "));
  }
});
