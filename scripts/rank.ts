/**
 * `deno task rank` — the paper's fitness-robustness experiment (Table 6): the true
 * ranking of three networks of one block type and different depths, then the
 * differentiable fitness of §3.2 learned over the three as the paths of a supernet from
 * every initial α of Table 6; writes rank.json, report.md and α charts.
 * Flags: `deno task rank --help`; defaults and their reasons: src/rank/config.ts.
 */
import { parseDataSpec } from "../src/data/data_spec.ts";
import {
  DEFAULT_RANK_CONFIG as D,
  QUICK_RANK_CONFIG as Q,
  type RankConfig,
  validateRankConfig,
} from "../src/rank/config.ts";
import { checkOutFolder, runRank } from "../src/rank/rank.ts";
import { parsePathSampling } from "../src/supernet/path_sampling.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { removeEmptyFoldersOnFailure } from "../src/util/output_folder.ts";
import { type CliFlag, cliNumber, parseCli, runCli } from "./_cli.ts";

/** A flag whose default is the config's (and, where it differs, --quick's). */
function flag(key: keyof RankConfig, arg: string, help: string): CliFlag {
  const text = (v: unknown) => Array.isArray(v) ? v.join(",") : String(v);
  const quick = key in Q ? `; --quick: ${text(Q[key])}` : "";
  return { type: "string", arg, help, defaultText: `${text(D[key])}${quick}` };
}

const RANK = {
  usage: "deno task rank [flags]",
  summary: "The paper's fitness-robustness experiment (Table 6): trains three networks of one\n" +
    "block type and different depths standalone (the true ranking), then learns their fitness\n" +
    "scores α as the K = 3 paths of a supernet (§3.2, Eq. 4) from each initial α of Table 6\n" +
    "(row 3 is the reverse of the true order) and reports after how many epochs α orders them\n" +
    "correctly for good. Writes OUT/rank.json, OUT/report.md, OUT/order_margin_x<scale>.png,\n" +
    "OUT/alpha_row<S/N>-x<scale>.png. Defaults and their reasons: src/rank/config.ts.",
  flags: {
    quick: {
      type: "boolean",
      default: false,
      help: "a smoke run of about a minute (tiny subsets, rows 2 and 3, one seed)",
    },
    out: flag("out", "DIR", "output folder"),
    resume: {
      type: "boolean",
      default: false,
      help: "skip finished trainings and fitness runs in OUT, continue the rest",
    },
    data: flag("data", "DATA", "fashion-mnist[:DIR] or cifar10:DIR"),
    depths: flag("depths", "A,B,C", "inverted residual blocks per stage of the three networks"),
    "train-images": flag(
      "trainImages",
      "N",
      "training images, the same subset every epoch, both stages (0: all)",
    ),
    "val-split": flag("valSplit", "F", "fraction of the training set held out for the α steps"),
    "val-images": flag("valImages", "N", "held-out images the α steps draw from (0: all)"),
    "test-images": flag("testImages", "N", "test images of the true accuracies (0: all)"),
    "path-eval-images": flag(
      "pathEvalImages",
      "N",
      "held-out images each network is scored on after a fitness run",
    ),
    batch: flag("batchSize", "N", "images per step"),
    "true-epochs": flag("trueEpochs", "E", "epochs of each standalone training"),
    "true-seeds": flag(
      "trueSeeds",
      "N",
      "standalone trainings per network (seeds seed, seed+1, ...)",
    ),
    epochs: flag("epochs", "E", "epochs of each fitness run"),
    "fitness-images": flag(
      "fitnessImages",
      "N",
      "images of a fitness-run epoch, a subset of the training images (0: all of them)",
    ),
    warmup: flag("warmupEpochs", "E", "of those, weight-only epochs before α moves"),
    lr: flag("lr", "LR", "peak weight learning rate (SGD Nesterov, cosine), both stages"),
    "lr-warmup": flag("lrWarmupEpochs", "EPOCHS", "linear learning-rate warmup"),
    momentum: flag("momentum", "M", "SGD momentum"),
    wd: flag("weightDecay", "WD", "weight decay of conv and linear weights"),
    "label-smoothing": flag("labelSmoothing", "E", "label smoothing of the weight steps"),
    "arch-lr": flag("archLr", "LR", "Adam learning rate of α (β1 = 0)"),
    "arch-beta2": flag("archBeta2", "B", "Adam β2 of α"),
    "arch-eps": flag("archEps", "EPS", "Adam ε of α"),
    "arch-every": flag("archEvery", "N", "weight steps per α (fitness) step"),
    rows: flag("rows", "LIST", "Table 6 rows to start from (row 3: the reverse order)"),
    "alpha-scales": flag(
      "alphaScales",
      "LIST",
      "factors on Table 6's printed α, each row runs at each (the paper's units are 1e-3:\n" +
        "0.001 gives the paper's α)",
    ),
    "path-sampling": flag(
      "pathSampling",
      "MODE",
      "the path of a weight step: proportional (∝ softmax(α), ProxylessNAS), uniform,\n" +
        "fair (each network once per 3 steps, one update), or balanced (fair's order, an\n" +
        "update every step)",
    ),
    seed: flag("seed", "N", "seed of the data subsets, weights and path sampling"),
    "log-every": flag("logEvery", "N", "weight steps between progress readbacks"),
  },
} as const;

/** "1,2,3" → [1, 2, 3] with each entry checked as an integer ≥ min. */
function intList(name: string, text: string, min: number): number[] {
  return text.split(",").map((p) => cliNumber(name, p.trim(), { integer: true, min }));
}

await runCli("rank", async () => {
  const { values } = parseCli(RANK, Deno.args);
  const cfg: Record<string, unknown> = { ...D, ...(values.quick ? Q : {}) };
  const str = (name: keyof typeof RANK.flags) => values[name] as string | undefined;
  const num = (
    name: keyof typeof RANK.flags,
    key: keyof RankConfig,
    rule: Parameters<typeof cliNumber>[2],
  ) => {
    if (str(name) !== undefined) cfg[key] = cliNumber(name, str(name), rule);
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
  num("fitness-images", "fitnessImages", { integer: true, min: 0 });
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
  num("seed", "seed", { integer: true, min: 0 });
  num("log-every", "logEvery", { integer: true, min: 1 });
  if (str("depths") !== undefined) cfg.depths = intList("depths", str("depths")!, 1);
  if (str("rows") !== undefined) cfg.rows = intList("rows", str("rows")!, 1);
  if (str("alpha-scales") !== undefined) {
    cfg.alphaScales = str("alpha-scales")!.split(",").map((p) =>
      cliNumber("alpha-scales", p.trim(), { min: 1e-9 })
    );
  }
  if ((cfg.rows as number[]).some((r) => r > 5)) {
    throw new Error(`--rows: Table 6 has rows 1..5, got ${cfg.rows}`);
  }
  const sampling = str("path-sampling");
  if (sampling !== undefined) {
    cfg.pathSampling = parsePathSampling(sampling);
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
  const images = config.trainImages || "all";
  console.log(
    `rank: ${config.quick ? "quick smoke run, " : ""}depths ${config.depths.join(", ")}; ` +
      `${config.trueSeeds} seed(s) × ${config.trueEpochs} epochs standalone; Table 6 rows ` +
      `${config.rows.join(", ")} × α scales ${config.alphaScales.join(", ")}, ` +
      `${config.epochs} epochs each; ${images} training images — adapter: ${gpu.info.description}`,
  );
  try {
    await removeEmptyFoldersOnFailure(config.out, () => runRank(config));
  } finally {
    await shutdownEngine();
  }
});
