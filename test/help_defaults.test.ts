/**
 * Every task's `--help` prints the defaults the task runs with: each flag's default in
 * the help text equals the field it sets in the config parsed from no flags (and, where
 * the help names a variant such as `--quick`, in that variant's config).
 */
import assert from "node:assert/strict";
import { EVOLVE_COMMAND, EVOLVE_USAGE, parseEvolveArgs } from "../src/evolve/config.ts";
import { parseRankArgs, RANK_COMMAND, RANK_USAGE } from "../src/rank/config.ts";
import { parseSearchArgs, SEARCH_COMMAND, SEARCH_USAGE } from "../src/search/config.ts";
import { parseTrainArgs, TRAIN_COMMAND } from "../src/train/train_command.ts";
import {
  type ConfigCommand,
  helpDefaults,
  helpText,
  shownDefault,
} from "../src/util/cli_command.ts";
import { formatCheckpointEvery } from "../src/util/checkpoint_every.ts";

/** Checks each flag's `--help` default (and variants') against the parsed configs. */
function checkDefaults<C>(
  cmd: ConfigCommand<C>,
  help: string,
  parsed: C,
  variants: readonly (readonly [string, C])[],
): void {
  const shown = helpDefaults(help);
  for (const [name, flag] of Object.entries(cmd.flags)) {
    if (flag.arg === undefined) continue; // a switch is off unless given
    const text = shown.get(name);
    assert.ok(text !== undefined, `--help shows no default for --${name}`);
    if (flag.defaultText !== undefined) continue; // computed (runs/search-<algo>, required)
    const [first, ...others] = text.split("; ");
    assert.equal(first, shownDefault(flag, parsed), `--${name}'s default in --help`);
    for (const [label, config] of variants) {
      const value = shownDefault(flag, config);
      const named = others.find((o) => o.startsWith(`${label}: `));
      if (value === first) assert.equal(named, undefined, `--${name}: ${label} repeats it`);
      else assert.equal(named, `${label}: ${value}`, `--${name} under ${label}`);
    }
  }
}

Deno.test("evolve --help: every default is the config evolve runs with", () => {
  checkDefaults(EVOLVE_COMMAND, EVOLVE_USAGE, parseEvolveArgs([]), [
    ["--quick", parseEvolveArgs(["--quick"])],
  ]);
});

Deno.test("search --help: every default is the config search runs with, per algorithm", () => {
  const space = ["--space", "baseline:compact-28"];
  checkDefaults(SEARCH_COMMAND, SEARCH_USAGE, parseSearchArgs(space), [
    // --algo selects the variant; the help shows the other flags' spos/random defaults.
    ["spos/random", { ...parseSearchArgs([...space, "--algo", "spos"]), algo: "proxyless-g" }],
    ["--quick", parseSearchArgs([...space, "--quick"])],
  ]);
  assert.deepEqual(
    parseSearchArgs([...space, "--algo", "random"]).epochs,
    parseSearchArgs([...space, "--algo", "spos"]).epochs,
  );
});

Deno.test("rank --help: every default is the config rank runs with", () => {
  checkDefaults(RANK_COMMAND, RANK_USAGE, parseRankArgs([]), [
    ["--quick", parseRankArgs(["--quick"])],
  ]);
});

Deno.test("train --help: every default is the config train runs with", () => {
  const shown = helpDefaults(helpText(TRAIN_COMMAND));
  const request = parseTrainArgs([]);
  const c = request.config;
  const expected: Record<string, string> = {
    arch: request.arch,
    data: request.dataText,
    epochs: String(c.epochs),
    batch: String(c.batchSize),
    "train-images": String(request.trainImages),
    lr: String(c.lr),
    momentum: String(c.momentum),
    wd: String(c.weightDecay),
    "label-smoothing": String(c.labelSmoothing),
    warmup: String(c.warmupEpochs),
    "val-split": String(request.valSplit),
    seed: String(c.seed),
    out: c.outDir,
    "log-every": String(c.logEvery),
    "max-steps": String(c.maxSteps),
    "eval-batches": String(c.evalBatches),
    "stop-after": String(c.stopAfter),
  };
  for (const [flag, value] of Object.entries(expected)) {
    assert.equal(Number(shown.get(flag)) || shown.get(flag), Number(value) || value, `--${flag}`);
  }
  assert.equal(shown.get("checkpoint-every"), formatCheckpointEvery(c.checkpointEvery));
});
