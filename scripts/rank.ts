/**
 * `deno task rank` — the paper's fitness-robustness experiment (Table 6): the true
 * ranking of three networks of one block type and different depths, then the
 * differentiable fitness of §3.2 learned over the three as the paths of a supernet from
 * every initial α of Table 6; writes rank.json, report.md and α charts.
 * Flags: `deno task rank --help`; defaults and their reasons: src/rank/config.ts.
 */
import { parseArgs } from "node:util";
import { parseDataSpec } from "../src/data/data_spec.ts";
import {
  DEFAULT_RANK_CONFIG as D,
  PATH_SAMPLING,
  type PathSampling,
  QUICK_RANK_CONFIG,
  type RankConfig,
  validateRankConfig,
} from "../src/rank/config.ts";
import { checkOutFolder, runRank } from "../src/rank/rank.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { cliNumber, runCli } from "./_cli.ts";

const USAGE = `usage: deno task rank [flags]
  --quick                 a seconds-long smoke run (tiny subsets, 2 rows, 1 seed)
  --out DIR               output folder                                  [${D.out}]
  --resume                skip finished trainings and fitness runs, continue the rest
  --data SPEC             fashion-mnist[:DIR] | cifar10:DIR               [${D.data}]
  --depths A,B,C          inverted residual blocks per stage of the 3 networks [${D.depths}]
  --train-images N        training images, the same every epoch (0 = all) [${D.trainImages}]
  --val-split F           held-out fraction for the fitness steps        [${D.valSplit}]
  --val-images N          held-out images the fitness steps use (0 = all) [${D.valImages}]
  --test-images N         test images of the true accuracies (0 = all)   [${D.testImages}]
  --path-eval-images N    held-out images each network is scored on after a run [${D.pathEvalImages}]
  --batch N               [${D.batchSize}]
  --true-epochs E         epochs of each standalone training             [${D.trueEpochs}]
  --true-seeds N          standalone trainings per network (seeds seed..) [${D.trueSeeds}]
  --epochs E              epochs of each fitness run                     [${D.epochs}]
  --warmup E              of those, weight-only epochs before α moves    [${D.warmupEpochs}]
  --lr --lr-warmup --momentum --wd --label-smoothing   weight recipe, shared by both stages
                          [${D.lr}, ${D.lrWarmupEpochs} epochs, ${D.momentum}, ${D.weightDecay}, ${D.labelSmoothing}]
  --arch-lr --arch-beta2 --arch-eps   Adam on α (β1 = 0)             [${D.archLr}, ${D.archBeta2}, ${D.archEps}]
  --arch-every N          weight steps per fitness step                  [${D.archEvery}]
  --rows LIST             Table 6 rows to start from (row 3 is the reverse order) [${D.rows}]
  --alpha-scale S         × Table 6's printed numbers (paper units: 1e-3) [${D.alphaScale}]
  --path-sampling proportional|uniform   how a weight step picks its path [${D.pathSampling}]
  --seed N                data subsets, weights and sampling             [${D.seed}]
  --log-every N           weight steps between progress readbacks        [${D.logEvery}]
  --help`;

/** "1,2,3" → [1, 2, 3] with each entry checked as an integer ≥ min. */
function intList(flag: string, text: string, min: number): number[] {
  const parts = text.split(",");
  return parts.map((p) => cliNumber(flag, p.trim(), { integer: true, min }));
}

if (Deno.args.includes("--help") || Deno.args.includes("-h")) {
  console.log(USAGE);
  Deno.exit(0);
}

await runCli("rank", async () => {
  const numberFlags = [
    "train-images",
    "val-split",
    "val-images",
    "test-images",
    "path-eval-images",
    "batch",
    "true-epochs",
    "true-seeds",
    "epochs",
    "warmup",
    "lr",
    "lr-warmup",
    "momentum",
    "wd",
    "label-smoothing",
    "arch-lr",
    "arch-beta2",
    "arch-eps",
    "arch-every",
    "alpha-scale",
    "seed",
    "log-every",
  ];
  const options: Record<string, { type: "string" | "boolean" }> = {};
  for (const f of [...numberFlags, "out", "data", "depths", "rows", "path-sampling"]) {
    options[f] = { type: "string" };
  }
  for (const f of ["quick", "resume"]) options[f] = { type: "boolean" };
  let values: Record<string, string | boolean | undefined>;
  try {
    values = parseArgs({ args: Deno.args, options, strict: true, allowPositionals: false })
      .values as Record<string, string | boolean | undefined>;
  } catch (err) {
    throw new Error(`${(err as Error).message.replace(/\s*\n\s*/g, " ")} (see --help)`);
  }
  const cfg: Record<string, unknown> = { ...D, ...(values.quick ? QUICK_RANK_CONFIG : {}) };
  const str = (flag: string) => values[flag] as string | undefined;
  const num = (flag: string, key: keyof RankConfig, rule: Parameters<typeof cliNumber>[2]) => {
    if (str(flag) !== undefined) cfg[key] = cliNumber(flag, str(flag), rule);
  };
  num("train-images", "trainImages", { integer: true, min: 0 });
  num("val-split", "valSplit", { min: 0.001, max: 0.9 });
  num("val-images", "valImages", { integer: true, min: 0 });
  num("test-images", "testImages", { integer: true, min: 0 });
  num("path-eval-images", "pathEvalImages", { integer: true, min: 1 });
  num("batch", "batchSize", { integer: true, min: 1 });
  num("true-epochs", "trueEpochs", { integer: true, min: 1 });
  num("true-seeds", "trueSeeds", { integer: true, min: 1 });
  num("epochs", "epochs", { integer: true, min: 1 });
  num("warmup", "warmupEpochs", { integer: true, min: 0 });
  num("lr", "lr", { min: 0 });
  num("lr-warmup", "lrWarmupEpochs", { min: 0 });
  num("momentum", "momentum", { min: 0, max: 0.999 });
  num("wd", "weightDecay", { min: 0 });
  num("label-smoothing", "labelSmoothing", { min: 0, max: 0.999 });
  num("arch-lr", "archLr", { min: 0 });
  num("arch-beta2", "archBeta2", { min: 0, max: 0.9999 });
  num("arch-eps", "archEps", { min: 1e-12 });
  num("arch-every", "archEvery", { integer: true, min: 1 });
  num("alpha-scale", "alphaScale", { min: 1e-9 });
  num("seed", "seed", { integer: true, min: 0 });
  num("log-every", "logEvery", { integer: true, min: 1 });
  if (str("depths") !== undefined) cfg.depths = intList("depths", str("depths")!, 1);
  if (str("rows") !== undefined) cfg.rows = intList("rows", str("rows")!, 1);
  if ((cfg.rows as number[]).some((r) => r > 5)) {
    throw new Error(`--rows: Table 6 has rows 1..5, got ${cfg.rows}`);
  }
  const sampling = str("path-sampling");
  if (sampling !== undefined) {
    if (!(PATH_SAMPLING as readonly string[]).includes(sampling)) {
      throw new Error(
        `--path-sampling must be one of ${PATH_SAMPLING.join(", ")}, got "${sampling}"`,
      );
    }
    cfg.pathSampling = sampling as PathSampling;
  }
  if (str("data") !== undefined) cfg.data = str("data");
  parseDataSpec(cfg.data as string); // one line on a bad --data
  if (str("out") !== undefined) {
    if (str("out")!.trim() === "") throw new Error("--out must name a folder, got an empty value");
    cfg.out = str("out");
  }
  if (values.resume) cfg.resume = true;
  const config = validateRankConfig(cfg as unknown as RankConfig);
  await checkOutFolder(config); // before the slow device start: a wrong --out fails at once

  const gpu = await initEngine();
  console.log(
    `rank: ${config.quick ? "quick smoke run, " : ""}depths ${config.depths.join(", ")}, ` +
      `${config.trueSeeds} seed(s) × ${config.trueEpochs} epochs standalone, rows ` +
      `${config.rows.join(", ")} × ${config.epochs} epochs of fitness, ${
        config.trainImages || "all"
      } ` +
      `training images — adapter: ${gpu.info.description}`,
  );
  try {
    await runRank(config);
  } finally {
    await shutdownEngine();
  }
});
