/**
 * Every task's `--help` prints the defaults the task runs with: each flag's default in
 * the help text equals the field it sets in the config parsed from no flags (and, where
 * the help names a variant such as `--quick`, in that variant's config).
 */
import assert from "node:assert/strict";
import { AUTOSPACE_COMMAND, AUTOSPACE_USAGE, parseAutospaceArgs } from "../src/autospace/config.ts";
import {
  BENCH_COMMAND,
  BENCH_USAGE,
  KERNEL_BATCH,
  LATENCY_BATCH,
  parseBenchArgs,
} from "../src/bench/command.ts";
import { EVOLVE_COMMAND, EVOLVE_USAGE, parseEvolveArgs } from "../src/evolve/config.ts";
import {
  NULL_EVOLVE_COMMAND,
  NULL_EVOLVE_USAGE,
  parseNullEvolveArgs,
} from "../src/evolve/null_evolve_command.ts";
import {
  EXPERIMENT_COMMAND,
  EXPERIMENT_USAGE,
  parseExperimentArgs,
} from "../src/experiments/command.ts";
import {
  FIDELITY_COMMAND,
  FIDELITY_USAGE,
  fidelityFlagsOf,
  parseFidelityArgs,
} from "../src/fidelity/command.ts";
import type { FidelityConfig } from "../src/fidelity/config.ts";
import { GPU_CHECK_COMMAND, GPU_CHECK_USAGE, parseGpuCheckArgs } from "../src/gpu_check/command.ts";
import { parseRankArgs, RANK_COMMAND, RANK_USAGE } from "../src/rank/config.ts";
import { parseSearchArgs, SEARCH_COMMAND, SEARCH_USAGE } from "../src/search/config.ts";
import { DRAW_COMMAND, DRAW_USAGE, parseDrawArgs } from "../src/search/draw_command.ts";
import { INSPECT_COMMAND, INSPECT_USAGE, parseInspectArgs } from "../src/space/inspect_command.ts";
import { COMPARE_COMMAND, COMPARE_USAGE, parseCompareArgs } from "../src/space/compare_command.ts";
import { PACK_COMMAND, PACK_USAGE, parsePackArgs } from "../src/setup/pack_command.ts";
import { parseSetupArgs, SETUP_COMMAND, SETUP_USAGE } from "../src/setup/setup_command.ts";
import { EXPORT_COMMAND, EXPORT_USAGE, parseExportArgs } from "../src/train/export_command.ts";
import {
  parseTrainArgs,
  parseTrainSettings,
  TRAIN_COMMAND,
  TRAIN_USAGE,
} from "../src/train/train_command.ts";
import { type ConfigCommand, helpDefaults, shownDefault } from "../src/util/cli_command.ts";

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
    ["spos/random", { ...parseSearchArgs([...space, "--algo", "spos"]), algo: "proxyless-rl" }],
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

Deno.test("gpu-check --help: every default is the request gpu-check runs with", () => {
  checkDefaults(GPU_CHECK_COMMAND, GPU_CHECK_USAGE, parseGpuCheckArgs([]), []);
  assert.equal(parseGpuCheckArgs([]).data, undefined, "no --data: evolve's own");
});

Deno.test("null-evolve --help: every default is the request null-evolve runs with", () => {
  checkDefaults(
    NULL_EVOLVE_COMMAND,
    NULL_EVOLVE_USAGE,
    parseNullEvolveArgs(["runs/evolve", "--out", "runs/null"]),
    [],
  );
});

Deno.test("experiment --help: every default is the request experiment runs with", () => {
  checkDefaults(EXPERIMENT_COMMAND, EXPERIMENT_USAGE, parseExperimentArgs(["tiny"]), []);
  const request = parseExperimentArgs(["tiny"]);
  assert.deepEqual(request.only, [], "no --only: every run");
  assert.equal(request.shards, undefined, "no --shards: one per shard group");
});

Deno.test("inspect --help: every default is the request inspect runs with", () => {
  const request = parseInspectArgs(["mobilenetv2-28"]);
  checkDefaults(INSPECT_COMMAND, INSPECT_USAGE, request, []);
  assert.equal(request.inputSize, undefined, "no --input: the spec's input size");
  assert.equal(request.draw, undefined, "no --draw: nothing drawn");
});

Deno.test("train --help: every default is the config train runs with, and --quick's", () => {
  checkDefaults(TRAIN_COMMAND, TRAIN_USAGE, parseTrainSettings([]), [
    ["--quick", parseTrainSettings(["--quick"])],
  ]);
  // The request the run is given carries the settings the help shows.
  const settings = parseTrainSettings([]);
  const { config } = parseTrainArgs([]);
  assert.deepEqual(
    [config.epochs, config.batchSize, config.lr, config.weightDecay, config.checkpointEvery],
    [
      settings.epochs,
      settings.batchSize,
      settings.lr,
      settings.weightDecay,
      settings.checkpointEvery,
    ],
  );
});

Deno.test("draw --help: every default is the config draw runs with", () => {
  const config = parseDrawArgs(["--space", "baseline:compact-28", "--madds", "1M"]);
  checkDefaults(DRAW_COMMAND, DRAW_USAGE, config, []);
});

Deno.test("export --help: every default is the request export runs with", () => {
  const request = parseExportArgs(["--checkpoint", "c.onnx", "--out", "m.onnx"]);
  checkDefaults(EXPORT_COMMAND, EXPORT_USAGE, request, []);
  assert.equal(request.arch, undefined, "no --arch: the spec the checkpoint carries");
});

Deno.test("autospace --help: every default is the config autospace runs with", () => {
  const config = parseAutospaceArgs([]);
  checkDefaults(AUTOSPACE_COMMAND, AUTOSPACE_USAGE, config, []);
  assert.equal(config.maddsMax, undefined, "no --madds-max: no cap");
  assert.equal(config.search.maddsMax, null);
});

Deno.test("fidelity --help: every default is the config fidelity runs with, and --quick's", () => {
  const config = (args: string[]): FidelityConfig => {
    const request = parseFidelityArgs(args);
    assert.ok(!request.reportOnly);
    return request.config;
  };
  checkDefaults(FIDELITY_COMMAND, FIDELITY_USAGE, fidelityFlagsOf(config([])), [
    ["--quick", fidelityFlagsOf(config(["--quick"]))],
  ]);
  const report = parseFidelityArgs(["--report-only"]);
  assert.ok(
    report.reportOnly && report.out === config([]).out,
    "--report-only reads --out's default",
  );
});

Deno.test("bench --help: every default is the request bench runs with", () => {
  checkDefaults(BENCH_COMMAND, BENCH_USAGE, parseBenchArgs([]), []);
  const request = parseBenchArgs([]);
  assert.equal(request.batch, null, "no --batch: each section's own");
  const shown = helpDefaults(BENCH_USAGE).get("batch")!;
  assert.match(shown, new RegExp(`^${KERNEL_BATCH} for targets and supernet, ${LATENCY_BATCH} `));
  assert.throws(
    () => parseBenchArgs(["--sections", "targets", "--access-costs", "f.json"]),
    /needs --sections train/,
  );
  assert.throws(() => parseBenchArgs(["--refresh"]), /--refresh needs --sections latency/);
  assert.throws(() => parseBenchArgs(["--reps", "4"]), /--reps must be ≥ 5, got 4/);
});

Deno.test("compare-spaces, pack-gpu and setup --help: every default is the request they run with", () => {
  checkDefaults(COMPARE_COMMAND, COMPARE_USAGE, parseCompareArgs(["a.json", "b.json"]), []);
  assert.deepEqual(parseCompareArgs(["a.json", "b.json"]).spaces, ["a.json", "b.json"]);
  assert.throws(() => parseCompareArgs(["a.json"]), /give at least two search_space\.json/);
  checkDefaults(PACK_COMMAND, PACK_USAGE, parsePackArgs([]), []);
  assert.throws(() => parsePackArgs(["--out", "a.tgz", "--tools", "t"]), /not both/);
  checkDefaults(SETUP_COMMAND, SETUP_USAGE, parseSetupArgs([]), []);
  assert.equal(parseSetupArgs(["--no-install"]).noInstall, true);
});
