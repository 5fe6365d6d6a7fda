import assert from "node:assert/strict";
import { throwsLine } from "./_helpers.ts";
import { cellMAdds, REFERENCE_CELL } from "../src/space/mod.ts";
import {
  DEFAULT_EVOLVE_CONFIG,
  evolveConfigToJson,
  maddsCapFor,
  parseEvolveArgs,
  parseMAddsMax,
  referenceCellOf,
  useReferenceAt,
} from "../src/evolve/config.ts";

Deno.test("evolve config: defaults, L from the backbone, and every field set", () => {
  const config = parseEvolveArgs([]);
  assert.deepEqual(config, DEFAULT_EVOLVE_CONFIG);
  assert.equal(config.backbone, "compact-28");
  assert.equal(config.layers, 7);
  assert.equal(config.archBeta1, 0);
  assert.equal(config.archBeta2, 0.999);
  for (const [key, value] of Object.entries(config)) {
    assert.ok(value !== undefined && !Number.isNaN(value), `${key} unset`);
  }
  assert.equal(evolveConfigToJson(config).maddsMax, "2x");
});

Deno.test("evolve config: flags override, presets apply in order", () => {
  const config = parseEvolveArgs([
    "-K",
    "3",
    "--population=9",
    "-f",
    "12",
    "--epsilon",
    "0.5",
    "--reference",
    "none",
    "--madds-max",
    "5M",
    "--active-paths",
    "1",
    "--init-fitness=-0.5",
    "--zero-cells",
    "--child-fitness",
    "init",
  ]);
  assert.equal(config.k, 3);
  assert.equal(config.populationSize, 9);
  assert.equal(config.regenerateEvery, 12);
  assert.equal(config.epsilon, 0.5);
  assert.equal(config.reference, "none");
  assert.equal(referenceCellOf(config), undefined);
  assert.deepEqual(config.maddsMax, { kind: "absolute", madds: 5e6 });
  assert.equal(config.activePaths, 1);
  assert.equal(config.initFitness, -0.5);
  assert.equal(config.allowZeroCells, true);
  assert.equal(config.childFitness, "init");

  const quick = parseEvolveArgs(["--quick", "--k", "3"]);
  assert.equal(quick.quick, true);
  assert.equal(quick.trainImages, 512);
  assert.equal(quick.k, 3); // explicit flags beat the preset
  assert.ok(quick.epochs < DEFAULT_EVOLVE_CONFIG.epochs);

  const imagenet = parseEvolveArgs(["--preset", "imagenet", "--data", "imagenet:/data/in"]);
  assert.equal(imagenet.backbone, "proxyless-224");
  assert.equal(imagenet.layers, 21);
  assert.equal(imagenet.k, 9);
  assert.equal(imagenet.epochs, 120);
  assert.equal(referenceCellOf(imagenet), REFERENCE_CELL);
});

Deno.test("evolve config: bad values fail with one line naming the flag", () => {
  throwsLine(() => parseEvolveArgs(["--k", "two"]), /--k must be an integer, got "two"/);
  throwsLine(() => parseEvolveArgs(["--k", "0"]), /--k must be a positive integer/);
  throwsLine(() => parseEvolveArgs(["--epsilon", "1.5"]), /--epsilon must be ≤ 1/);
  throwsLine(() => parseEvolveArgs(["--tau", "0"]), /--tau must be > 0/);
  throwsLine(() => parseEvolveArgs(["--active-paths", "3"]), /--active-paths must be ≤ 2/);
  throwsLine(() => parseEvolveArgs(["--reference", "resnet"]), /--reference must be one of/);
  throwsLine(() => parseEvolveArgs(["--backbone", "vgg"]), /--backbone must be one of/);
  throwsLine(() => parseEvolveArgs(["--madds-max", "lots"]), /--madds-max must be/);
  throwsLine(() => parseEvolveArgs(["--frobnicate"]), /frobnicate/);
  throwsLine(() => parseEvolveArgs(["--preset", "imagenet"]), /needs --data imagenet:DIR/);
  throwsLine(() => parseEvolveArgs(["--data", "mnist"]), /unknown dataset "mnist"/);
  throwsLine(
    () => parseEvolveArgs(["--k", "8", "--population", "6"]),
    /--population 6 must be >= K/,
  );
  throwsLine(
    () =>
      parseEvolveArgs([
        "--k",
        "4",
        "--children",
        "4",
        "--population",
        "6",
        "--max-population",
        "7",
      ]),
    /--max-population 7 must be >= K \+ --children/,
  );
  throwsLine(
    () => parseEvolveArgs(["--k", "1", "--active-paths", "2"]),
    /--active-paths 2 must be <= K/,
  );
});

Deno.test("evolve config: MAdds cap per layer and the reference phase", () => {
  assert.deepEqual(parseMAddsMax("2x"), { kind: "relative", factor: 2 });
  assert.deepEqual(parseMAddsMax("1.5X"), { kind: "relative", factor: 1.5 });
  assert.deepEqual(parseMAddsMax("300k"), { kind: "absolute", madds: 300_000 });
  assert.deepEqual(parseMAddsMax("none"), { kind: "none" });
  assert.throws(() => parseMAddsMax("0x"));
  const shape = { cin: 40, cout: 40, stride: 1, inputSize: 7 };
  assert.equal(
    maddsCapFor({ kind: "relative", factor: 2 }, shape),
    2 * cellMAdds(REFERENCE_CELL, 40, 40, 1, 7, 7),
  );
  assert.equal(maddsCapFor({ kind: "absolute", madds: 1e6 }, shape), 1e6);
  assert.equal(maddsCapFor({ kind: "none" }, shape), Infinity);
  const config = parseEvolveArgs([]);
  assert.equal(useReferenceAt(config, 0, 1000), true);
  assert.equal(useReferenceAt(config, 499, 1000), true);
  assert.equal(useReferenceAt(config, 500, 1000), false);
  assert.equal(useReferenceAt({ ...config, reference: "none" }, 0, 1000), false);
});
