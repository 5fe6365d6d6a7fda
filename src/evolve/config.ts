/**
 * Hyper-parameters of the differentiable evolutionary algorithm (paper §3.2) and the
 * `deno task evolve` flags that set them.
 *
 * The paper leaves population size, tournament size, f, ε, τ and most schedules open;
 * each default below says why it was chosen. The default run is sized for this
 * project's 2-core CPU adapter (llvmpipe): Fashion-MNIST at 28×28 on the
 * `compact-28` backbone in about an hour, assuming one supernet step (batch 64)
 * takes 0.3–1 s:
 *
 *   (1 warmup + 6 evolution epochs) × 300 steps (19,200 images / 64) = 2,100 weight steps
 *   + 1,800 / 3 = 600 fitness (α) steps                                 ≈ 2,700 steps
 *   ≈ 15–45 min of steps, plus supernet rebuilds every f steps and evaluation.
 *
 * Precedence: defaults, then `--preset imagenet`, then `--quick`, then explicit flags.
 */
import { parseDataSpec } from "../data/data_spec.ts";
import {
  builtinBackbone,
  type Cell,
  cellMAdds,
  EDGE_OP_SHORT,
  EDGE_OPS,
  type EdgeOp,
  OPEN_SPACE_OPS,
  REFERENCE_CELL,
  searchableLayers,
} from "../space/mod.ts";
import type { ChildFitnessRule } from "./fitness.ts";
import { type FitnessMode, parseFitnessMode } from "./fitness_mode.ts";
import type { LayerPopulationShape } from "./population.ts";
import { type NumberRule, oneOf, parseCount, parseFlags, readNumber } from "../util/flag_rules.ts";
import {
  CHECKPOINT_EVERY_USAGE,
  SUPERNET_NUMBER_FLAGS,
  type SupernetRunSettings,
} from "../supernet/run_settings.ts";
import { parseCheckpointEvery } from "../util/checkpoint_every.ts";
import { parsePathSampling, type PathSampling } from "../supernet/path_sampling.ts";

/** Backbones the evolution runs on (src/space/backbone.ts). */
export const EVOLVE_BACKBONES = ["compact-28", "proxyless-28", "proxyless-224"] as const;
/** One of `EVOLVE_BACKBONES`. */
export type EvolveBackbone = typeof EVOLVE_BACKBONES[number];

/** `--reference`: the paper's inverted-residual reference DAG, or none. */
export const REFERENCE_NAMES = ["inverted-residual", "none"] as const;
/** One of `REFERENCE_NAMES`. */
export type ReferenceName = typeof REFERENCE_NAMES[number];

/**
 * Eq. 1's per-cell MAdds_max: a multiple of the reference cell's MAdds at the same
 * layer ("2x"), an absolute count ("5M", "5000000"), or none.
 */
export type MAddsMax =
  | { readonly kind: "relative"; readonly factor: number }
  | { readonly kind: "absolute"; readonly madds: number }
  | { readonly kind: "none" };

/**
 * Every hyper-parameter of an evolution run (the data, optimisers and bookkeeping it
 * shares with the searches are in `SupernetRunSettings`; α is the fitness score).
 */
export interface EvolveConfig extends SupernetRunSettings {
  /** Which settings were the starting point: the CPU default or the ImageNet preset. */
  readonly preset: "default" | "imagenet";
  /** Whether `--quick` (a minutes-long smoke run) was applied. */
  readonly quick: boolean;
  readonly backbone: EvolveBackbone;
  /** L: searchable layers of the backbone (derived, not a flag). */
  readonly layers: number;
  /** K: cells per supernet layer (paths), and cells per layer in the output space. */
  readonly k: number;
  /** Initial population size per layer. */
  readonly populationSize: number;
  /** Largest population per layer; eviction keeps it there. */
  readonly maxPopulation: number;
  readonly tournamentSize: number;
  /** Children mutated from the winners at each regeneration. */
  readonly childrenPerRegeneration: number;
  /** f: supernet iterations (weight steps) between regenerations. */
  readonly regenerateEvery: number;
  /** ε of Eq. 5. */
  readonly epsilon: number;
  /** τ of Eq. 2 (mutations stay closer than τ to the reference). */
  readonly tau: number;
  readonly reference: ReferenceName;
  /** Fraction of the evolution iterations under the reference constraint (paper: half). */
  readonly referenceFraction: number;
  /** Evolution epochs (after warmup). */
  readonly epochs: number;
  /** Weight-only epochs before fitness training starts. */
  readonly warmupEpochs: number;
  readonly maddsMax: MAddsMax;
  /** Allow the zero cell in populations of layers that may be skipped. */
  readonly allowZeroCells: boolean;
  /** α of the initial population. */
  readonly initFitness: number;
  /** α of a new child (see fitness.ts). */
  readonly childFitness: ChildFitnessRule;
  /** Cap of Eq. 4's n/n′. */
  readonly compensationCap: number;
  /** Paths run per fitness step: 1, or 2 (ProxylessNAS's two-path gates). */
  readonly activePaths: 1 | 2;
  /** The path each weight step trains (src/supernet/path_sampling.ts). */
  readonly pathSampling: PathSampling;
  /** Edge ops that new cells and mutations draw from (the open space's vocabulary). */
  readonly edgeOps: readonly EdgeOp[];
  /** What the trained score α* of Eq. 5's fold measures (src/evolve/fitness_mode.ts). */
  readonly fitness: FitnessMode;
}

/** The CPU default: Fashion-MNIST, compact-28, about an hour on 2 cores. */
export const DEFAULT_EVOLVE_CONFIG: EvolveConfig = {
  preset: "default",
  quick: false,
  backbone: "compact-28", // 28×28 inputs, 7 searchable layers: an hour on 2 CPU cores (proxyless-28
  // has the ProxylessNAS widths and 21 layers, ~5× the MAdds)
  layers: 7, // derived from the backbone
  data: "fashion-mnist", // the project's CPU dataset (installed by `deno task setup`)
  trainImages: 19_200, // a third of Fashion-MNIST: 300 steps an epoch at batch 64
  valSplit: 0.1, // 6,000 held-out images for α, as ProxylessNAS trains α on held-out data
  valImages: 0, // all of them: 600 α steps × 64 ≈ 6 passes
  batchSize: 64, // the step size the hour budget was measured at
  k: 4, // Figure 2's K; 4^21 paths per supernet; K = 9 (paper) costs 2× the cells' memory
  populationSize: 16, // 4× K: room for tournament pressure, each cell still sampled often
  maxPopulation: 32, // 2× the start: children accumulate, the worst unsampled ones go
  tournamentSize: 4, // a quarter of the start population: moderate selection pressure
  childrenPerRegeneration: 2, // the 2 fittest winners mutate: half of the K slots can turn
  // over per regeneration (children inherit high α, so they are soon sampled), yet each
  // cell is scored several times in the run's ~60 regenerations.
  regenerateEvery: 30, // f: 1,800 evolution steps / 30 = 60 regenerations, 10 α steps each
  epsilon: 0.8, // α* starts from the stored α (cells and scores are sampled in pairs), so
  // Eq. 5 only damps one supernet's change; 0.8 keeps most of a short run's scarce signal
  tau: 0.5, // children differ from the reference on at most 2 of 6 edges (r_H steps of 1/6)
  reference: "inverted-residual", // the paper's reference DAG (0 -dw3-> 1 -id-> 2 -id-> 3)
  referenceFraction: 0.5, // paper: the reference constraint holds for the first half
  epochs: 6, // evolution epochs: 1,800 steps
  warmupEpochs: 1, // ProxylessNAS warms the weights up before α moves (40 of 160 epochs)
  maddsMax: { kind: "relative", factor: 2 }, // the released learned cells cost at most
  // 1.97× the reference cell of their layer (search_space.config, counted at 224)
  allowZeroCells: false, // the learned-space reader adds the skip itself where allowed
  initFitness: 0, // p uniform at the start; Table 6: the ranking does not depend on it
  childFitness: "parent", // a one-gene child is close to its parent (see fitness.ts)
  compensationCap: 10, // new cells have n′ = 0: bound their first steps to 10×
  weightLr: 0.05, // SGD+Nesterov, cosine; ProxylessNAS's 0.025 at batch 256, short run
  momentum: 0.9, // ProxylessNAS
  weightDecay: 4e-5, // ProxylessNAS
  labelSmoothing: 0.1, // ProxylessNAS
  archLr: 0.03, // ~250× fewer α steps than ProxylessNAS (1e-3): Adam moves α ≲ lr a step,
  // so 10 steps per supernet shift a score by up to ~0.3
  archBeta1: 0, // ProxylessNAS
  archBeta2: 0.999, // ProxylessNAS
  archEps: 1e-8, // ProxylessNAS
  archUpdateEvery: 3, // ProxylessNAS uses 5; 3 gives each supernet 10 α steps at f = 30
  activePaths: 2, // two-path gates compare two cells per α step; the 2nd path only runs
  // on α steps (a third of the steps), so it costs ~15% more time
  pathSampling: "uniform", // measured: the supernet's scores (held-out top-1 and Σ log p)
  // rank networks best with uniform weight steps (docs/fidelity.md); ∝ p trains the leader
  // most, so its α grows because it was trained (docs/experiments.md, rank)
  edgeOps: OPEN_SPACE_OPS, // the paper's five basic operators (§3.1)
  fitness: "alpha", // the paper's Eq. 3–5, until the fitness-vs-null experiments choose
  seed: 0,
  out: "runs/evolve",
  resume: false,
  logEvery: 20, // each readback waits for the GPU: ≥ 11 ms in Deno, even when idle
  stopAfter: 0, // tests interrupt a run with it, then --resume
};

/** `--preset imagenet`: the paper's ImageNet setting on proxyless-224 (needs --data). */
const IMAGENET_PRESET: Partial<EvolveConfig> = {
  preset: "imagenet",
  backbone: "proxyless-224", // 21 searchable layers at 224×224 (paper, ProxylessNAS)
  trainImages: 0, // all of ImageNet
  valSplit: 0.04, // ProxylessNAS holds out 50,000 of 1.28M training images
  batchSize: 256, // ProxylessNAS
  k: 9, // paper: "we evaluate 9 cells", 9^21 networks per supernet
  populationSize: 64, // ~7× K
  maxPopulation: 128,
  tournamentSize: 8,
  childrenPerRegeneration: 4,
  regenerateEvery: 1000, // ~5 regenerations an epoch at 4,800 steps an epoch
  epochs: 120, // paper: reference for the first 60 epochs = the first half
  warmupEpochs: 40, // ProxylessNAS
  weightLr: 0.025, // ProxylessNAS
  archLr: 1e-3, // ProxylessNAS
  archUpdateEvery: 5, // ProxylessNAS
  logEvery: 100,
};

/** `--quick`: a smoke run of a few minutes on a tiny subset. */
const QUICK_PRESET: Partial<EvolveConfig> = {
  quick: true,
  trainImages: 512, // 16 steps an epoch at batch 32
  valImages: 256,
  batchSize: 32,
  k: 2,
  populationSize: 6,
  maxPopulation: 10,
  tournamentSize: 2,
  childrenPerRegeneration: 1,
  regenerateEvery: 8, // 4 regenerations in 32 evolution steps
  epochs: 2,
  warmupEpochs: 1,
  archUpdateEvery: 2,
  logEvery: 4,
};

/** The flags of `parseEvolveArgs` with their defaults, for `--help`. */
export const EVOLVE_USAGE = (() => {
  const d = DEFAULT_EVOLVE_CONFIG;
  return `usage: deno task evolve [flags]

The differentiable evolutionary algorithm (paper §3.2): evolves a population of cells per
layer inside a supernet and writes the best K cells per layer as a search space (OUT/
search_space.json, history.jsonl, curves, cell drawings, report.md). Defaults are the CPU
setting (about an hour on 2 cores); --preset imagenet starts from the paper's ImageNet one.

flags (default in brackets):
  --preset default|imagenet  starting point [default]; imagenet needs --data imagenet:DIR
  --quick                    a minutes-long smoke run on a tiny subset
  --backbone ${EVOLVE_BACKBONES.join("|")}  [${d.backbone}]
  --data fashion-mnist[:DIR]|cifar10:DIR|imagenet:DIR  [${d.data}]
  --train-images N           training images per epoch, 0 = all [${d.trainImages}]
  --val-split F              held-out fraction for the fitness steps [${d.valSplit}]
  --val-images N             held-out images used, 0 = all [${d.valImages}]
  --batch N [${d.batchSize}]  --epochs E [${d.epochs}]  --warmup E [${d.warmupEpochs}]  --seed N [${d.seed}]
  -K, --k N                  cells per layer (paths) [${d.k}]
  --population N [${d.populationSize}]  --max-population N [${d.maxPopulation}]  --tournament N [${d.tournamentSize}]
  --children N               children per regeneration [${d.childrenPerRegeneration}]
  -f, --regenerate-every N   weight steps between regenerations [${d.regenerateEvery}]
  --epsilon E                Eq. 5 [${d.epsilon}]
  --tau T                    Eq. 2 threshold [${d.tau}]
  --reference inverted-residual|none  [${d.reference}]
  --reference-fraction F     share of the run under the reference constraint [${d.referenceFraction}]
  --madds-max 2x|5M|none     Eq. 1's per-cell MAdds cap [${formatMAddsMax(d.maddsMax)}]
  --edge-ops LIST            edge ops of the open space, a comma list of
                             ${formatEdgeOps(EDGE_OPS)} (- is zero) or full names
                             [${formatEdgeOps(d.edgeOps)}: the paper's five]
  --zero-cells               allow the zero cell where a layer may be skipped [off]
  --init-fitness A [${d.initFitness}]  --child-fitness parent|init [${d.childFitness}]
  --compensation-cap C       cap of Eq. 4's n/n' [${d.compensationCap}]
  --lr [${d.weightLr}]  --momentum [${d.momentum}]  --wd [${d.weightDecay}]  --label-smoothing [${d.labelSmoothing}]
  --arch-lr [${d.archLr}]  --arch-beta1 [${d.archBeta1}]  --arch-beta2 [${d.archBeta2}]  --arch-eps [${d.archEps}]
  --arch-every N             weight steps per fitness step [${d.archUpdateEvery}]
  --active-paths 1|2         paths per fitness step [${d.activePaths}]
  --path-sampling MODE       the path a weight step trains: proportional (∝ p), uniform,
                             fair (each cell once per group of K steps, one update), or
                             balanced (fair's order, an update every step) [${d.pathSampling}]
  --fitness MODE             what a cell's trained score α* measures: alpha (Eq. 4's
                             binary-gate logit, the paper), accuracy (held-out loss of
                             single paths through the cell), or mixed (the mean of the
                             two steps) [${d.fitness}]
  --out DIR [${d.out}]  --resume  --log-every N [${d.logEvery}]
  --stop-after N             stop as if interrupted, for resume tests [${d.stopAfter}: off]
${CHECKPOINT_EVERY_USAGE}
  -h, --help                 print this text and exit`;
})();

const NUMBER_FLAGS: Readonly<Record<string, NumberRule<keyof EvolveConfig>>> = {
  ...SUPERNET_NUMBER_FLAGS,
  epochs: { key: "epochs", above: 0 },
  warmup: { key: "warmupEpochs", min: 0 },
  k: { key: "k", integer: true, min: 1 },
  population: { key: "populationSize", integer: true, min: 1 },
  "max-population": { key: "maxPopulation", integer: true, min: 1 },
  tournament: { key: "tournamentSize", integer: true, min: 1 },
  children: { key: "childrenPerRegeneration", integer: true, min: 0 },
  "regenerate-every": { key: "regenerateEvery", integer: true, min: 1 },
  epsilon: { key: "epsilon", min: 0, max: 1 },
  tau: { key: "tau", above: 0, max: 1 },
  "reference-fraction": { key: "referenceFraction", min: 0, max: 1 },
  "init-fitness": { key: "initFitness" },
  "compensation-cap": { key: "compensationCap", min: 1 },
  "active-paths": { key: "activePaths", integer: true, min: 1, max: 2 },
};

/** The flags of `deno task evolve`: those that take a value, and switches. */
export const EVOLVE_FLAGS = {
  values: [
    ...Object.keys(NUMBER_FLAGS),
    "preset",
    "backbone",
    "data",
    "reference",
    "madds-max",
    "child-fitness",
    "out",
    "path-sampling",
    "edge-ops",
    "fitness",
    "checkpoint-every",
  ],
  switches: ["quick", "resume", "zero-cells"],
} as const;

/**
 * Parses `--edge-ops`: a comma list of edge ops by short name ("dw5", "-" for zero) or
 * full name ("dwconv5x5"), each at most once, at least one of them not zero.
 */
export function parseEdgeOps(text: string): EdgeOp[] {
  const byName = new Map<string, EdgeOp>();
  for (const op of EDGE_OPS) {
    byName.set(op, op);
    byName.set(EDGE_OP_SHORT[op], op);
  }
  const names = text.split(",").map((name) => name.trim()).filter((name) => name !== "");
  const ops: EdgeOp[] = [];
  for (const name of names) {
    const op = byName.get(name) ?? byName.get(name.toLowerCase());
    if (op === undefined) {
      throw new Error(
        `--edge-ops: unknown op "${name}"; ops: ${formatEdgeOps(EDGE_OPS)}`,
      );
    }
    if (ops.includes(op)) throw new Error(`--edge-ops: ${name} is listed twice`);
    ops.push(op);
  }
  if (ops.every((op) => op === "zero")) {
    throw new Error(`--edge-ops needs at least one op other than zero, got "${text}"`);
  }
  // One order per set, so that the same set always draws the same cells from one seed;
  // the paper's five come out as OPEN_SPACE_OPS, the default's own order.
  const drawOrder = [...OPEN_SPACE_OPS, ...EDGE_OPS.filter((op) => !OPEN_SPACE_OPS.includes(op))];
  return drawOrder.filter((op) => ops.includes(op));
}

/** `--edge-ops` written back in short names. */
export function formatEdgeOps(ops: readonly EdgeOp[]): string {
  return ops.map((op) => EDGE_OP_SHORT[op]).join(",");
}

/** True when `ops` is the paper's five basic operators (in any order). */
export function isPaperEdgeOps(ops: readonly EdgeOp[]): boolean {
  return ops.length === OPEN_SPACE_OPS.length && OPEN_SPACE_OPS.every((op) => ops.includes(op));
}

/** Parses `--madds-max`: "2x" (× the reference cell), "5M"/"300k"/"5000000", or "none". */
export function parseMAddsMax(text: string): MAddsMax {
  const t = text.trim().toLowerCase();
  if (t === "none") return { kind: "none" };
  const relative = /^([0-9]*\.?[0-9]+)x$/.exec(t);
  if (relative) {
    const factor = Number(relative[1]);
    if (factor > 0) return { kind: "relative", factor };
  }
  const madds = parseCount(t);
  if (madds !== null) return { kind: "absolute", madds };
  throw new Error(
    `--madds-max must be a multiple of the reference cell ("2x"), a count ("5M") or "none", ` +
      `got "${text}"`,
  );
}

/** `--madds-max` written back as text. */
export function formatMAddsMax(max: MAddsMax): string {
  return max.kind === "none" ? "none" : max.kind === "relative" ? `${max.factor}x` : `${max.madds}`;
}

/**
 * Reads `deno task evolve` flags into a config (see `EVOLVE_USAGE`). Throws an Error
 * with one line naming the bad flag or combination.
 */
export function parseEvolveArgs(args: readonly string[]): EvolveConfig {
  const values = parseFlags(args, EVOLVE_FLAGS.values, EVOLVE_FLAGS.switches, {
    K: "k",
    f: "regenerate-every",
  });
  const str = (flag: string) => values[flag] as string | undefined;

  const preset = oneOf("preset", str("preset") ?? "default", ["default", "imagenet"] as const);
  const config: Record<string, unknown> = { ...DEFAULT_EVOLVE_CONFIG };
  if (preset === "imagenet") Object.assign(config, IMAGENET_PRESET);
  if (values.quick) Object.assign(config, QUICK_PRESET);

  for (const [flag, rule] of Object.entries(NUMBER_FLAGS)) {
    const text = str(flag);
    if (text !== undefined) config[rule.key] = readNumber(flag, text, rule);
  }
  if (str("backbone") !== undefined) {
    config.backbone = oneOf("backbone", str("backbone")!, EVOLVE_BACKBONES);
  }
  if (str("reference") !== undefined) {
    config.reference = oneOf("reference", str("reference")!, REFERENCE_NAMES);
  }
  if (str("child-fitness") !== undefined) {
    config.childFitness = oneOf("child-fitness", str("child-fitness")!, ["parent", "init"]);
  }
  if (str("madds-max") !== undefined) config.maddsMax = parseMAddsMax(str("madds-max")!);
  if (str("path-sampling") !== undefined) {
    config.pathSampling = parsePathSampling(str("path-sampling")!);
  }
  if (str("edge-ops") !== undefined) config.edgeOps = parseEdgeOps(str("edge-ops")!);
  if (str("fitness") !== undefined) config.fitness = parseFitnessMode(str("fitness")!);
  if (str("out") !== undefined) {
    if (str("out")!.trim() === "") throw new Error("--out must name a folder, got an empty value");
    config.out = str("out");
  }
  if (values.resume) config.resume = true;
  const every = str("checkpoint-every");
  if (every !== undefined) config.checkpointEvery = parseCheckpointEvery(every);
  if (values["zero-cells"]) config.allowZeroCells = true;
  if (str("data") !== undefined) {
    config.data = str("data");
  } else if (preset === "imagenet") {
    throw new Error("--preset imagenet needs --data imagenet:DIR (the ImageNet folder)");
  }
  parseDataSpec(config.data as string); // throws one line on a bad --data

  const backbone = builtinBackbone(config.backbone as string)!;
  config.layers = searchableLayers(backbone).length;
  return validateEvolveConfig(config as unknown as EvolveConfig);
}

/** Cross-field checks; returns the config or throws one line naming the conflict. */
export function validateEvolveConfig(config: EvolveConfig): EvolveConfig {
  const { k, populationSize, maxPopulation, childrenPerRegeneration } = config;
  if (populationSize < k) {
    throw new Error(`--population ${populationSize} must be >= K (--k ${k})`);
  }
  if (maxPopulation < populationSize) {
    throw new Error(
      `--max-population ${maxPopulation} must be >= --population ${populationSize}`,
    );
  }
  if (maxPopulation < k + childrenPerRegeneration) {
    throw new Error(
      `--max-population ${maxPopulation} must be >= K + --children ` +
        `(${k} + ${childrenPerRegeneration}): sampled cells and new children are never evicted`,
    );
  }
  if (config.activePaths > k) {
    throw new Error(`--active-paths ${config.activePaths} must be <= K (--k ${k})`);
  }
  return config;
}

/** The reference DAG of a run, or undefined for `--reference none`. */
export function referenceCellOf(config: Pick<EvolveConfig, "reference">): Cell | undefined {
  return config.reference === "none" ? undefined : REFERENCE_CELL;
}

/** Eq. 1's MAdds_max for one layer (Infinity when there is none). */
export function maddsCapFor(max: MAddsMax, shape: LayerPopulationShape): number {
  if (max.kind === "none") return Infinity;
  if (max.kind === "absolute") return max.madds;
  const { cin, cout, stride, inputSize } = shape;
  return max.factor * cellMAdds(REFERENCE_CELL, cin, cout, stride, inputSize, inputSize);
}

/**
 * Whether children made at evolution iteration `iteration` (counted from the end of
 * warmup) must stay within τ of the reference: only in the first `referenceFraction`
 * of the `total` evolution iterations, and never with `--reference none`.
 */
export function useReferenceAt(
  config: Pick<EvolveConfig, "reference" | "referenceFraction">,
  iteration: number,
  total: number,
): boolean {
  return config.reference !== "none" && iteration < config.referenceFraction * total;
}

/** What a run is, in one line for the log. */
export function describeEvolveRun(cfg: EvolveConfig): string {
  return `${cfg.quick ? "quick smoke run, " : ""}backbone ${cfg.backbone} (${cfg.layers} ` +
    `searchable layers), K ${cfg.k}, population ${cfg.populationSize}, f ${cfg.regenerateEvery}, ` +
    `reference ${cfg.reference}, data ${cfg.data}` +
    (isPaperEdgeOps(cfg.edgeOps) ? "" : `, edge ops ${formatEdgeOps(cfg.edgeOps)}`) +
    (cfg.fitness === "alpha" ? "" : `, fitness ${cfg.fitness}`);
}

/** A config as plain JSON (for run metadata and resume checks). */
export function evolveConfigToJson(config: EvolveConfig): Record<string, unknown> {
  // The paper's ops and fitness are left out, so that runs from before --edge-ops and
  // --fitness read the same (autospace --resume compares these settings); how often
  // checkpoints were written does not change the result.
  const { edgeOps, fitness, checkpointEvery: _every, ...rest } = config;
  return {
    ...rest,
    maddsMax: formatMAddsMax(config.maddsMax),
    ...(isPaperEdgeOps(edgeOps) ? {} : { edgeOps: [...edgeOps] }),
    ...(fitness === "alpha" ? {} : { fitness }),
  };
}

/**
 * A config read back from `evolveConfigToJson`'s form (a learned space's meta.config):
 * fields it lacks keep their defaults, `maddsMax` is parsed from its text. Throws one
 * line when the fields do not make a valid run.
 */
export function evolveConfigFromJson(json: Record<string, unknown>): EvolveConfig {
  const maddsMax = json.maddsMax === undefined
    ? DEFAULT_EVOLVE_CONFIG.maddsMax
    : parseMAddsMax(String(json.maddsMax));
  const edgeOps = json.edgeOps === undefined
    ? DEFAULT_EVOLVE_CONFIG.edgeOps
    : parseEdgeOps((json.edgeOps as string[]).join(","));
  const fitness = json.fitness === undefined
    ? DEFAULT_EVOLVE_CONFIG.fitness
    : parseFitnessMode(String(json.fitness));
  return validateEvolveConfig(
    { ...DEFAULT_EVOLVE_CONFIG, ...json, maddsMax, edgeOps, fitness } as EvolveConfig,
  );
}
