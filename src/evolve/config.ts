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
import { FITNESS_MODES, type FitnessMode, parseFitnessMode } from "./fitness_mode.ts";
import type { LayerPopulationShape } from "./population.ts";
import {
  applyConfigArgs,
  choiceFlag,
  type ConfigCommand,
  type ConfigFlag,
  configHelp,
  COUNT,
  numberFlag,
  parseCount,
  POSITIVE,
  readConfigArgs,
  switchFlag,
} from "../util/cli_command.ts";
import {
  DEFAULT_SUPERNET_SETTINGS,
  SUPERNET_FLAGS,
  type SupernetRunSettings,
} from "../supernet/run_settings.ts";

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
  /** Edge ops that new cells and mutations draw from (the open space's vocabulary). */
  readonly edgeOps: readonly EdgeOp[];
  /** What the trained score α* of Eq. 5's fold measures (src/evolve/fitness_mode.ts). */
  readonly fitness: FitnessMode;
}

/** Flag builders typed for `EvolveConfig` (the table is `EVOLVE_COMMAND`). */
const num = numberFlag<EvolveConfig>;
const choice = choiceFlag<EvolveConfig>;
const toggle = switchFlag<EvolveConfig>;

/** The CPU default: Fashion-MNIST, compact-28, about an hour on 2 cores. */
export const DEFAULT_EVOLVE_CONFIG: EvolveConfig = {
  ...DEFAULT_SUPERNET_SETTINGS, // data, subsets, optimisers, path sampling, bookkeeping
  preset: "default",
  quick: false,
  backbone: "compact-28", // 28×28 inputs, 7 searchable layers: an hour on 2 CPU cores (proxyless-28
  // has the ProxylessNAS widths and 21 layers, ~5× the MAdds)
  layers: 7, // derived from the backbone
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
  archLr: 0.03, // ~250× fewer α steps than ProxylessNAS (1e-3): Adam moves α ≲ lr a step,
  // so 10 steps per supernet shift a score by up to ~0.3
  archUpdateEvery: 3, // ProxylessNAS uses 5; 3 gives each supernet 10 α steps at f = 30
  // (600 α steps × 64 ≈ 6 passes over the held-out images)
  activePaths: 2, // two-path gates compare two cells per α step; the 2nd path only runs
  // on α steps (a third of the steps), so it costs ~15% more time
  edgeOps: OPEN_SPACE_OPS, // the paper's five basic operators (§3.1)
  fitness: "alpha", // the paper's Eq. 3–5, until the fitness-vs-null experiments choose
  out: "runs/evolve",
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

/** The flags of `deno task evolve`, each declared once; defaults come from the config. */
export const EVOLVE_COMMAND: ConfigCommand<EvolveConfig> = {
  usage: "deno task evolve [flags]",
  summary:
    "The differentiable evolutionary algorithm (paper §3.2): evolves a population of cells per\n" +
    "layer inside a supernet and writes the best K cells per layer as a search space (OUT/\n" +
    "search_space.json, history.jsonl, curves, cell drawings, report.md). Defaults are the CPU\n" +
    "setting (about an hour on 2 cores); --preset imagenet starts from the paper's ImageNet one.",
  flags: {
    preset: choice(
      "preset",
      ["default", "imagenet"],
      "starting point; imagenet needs --data imagenet:DIR",
    ),
    quick: toggle("quick", "a minutes-long smoke run on a tiny subset"),
    backbone: choice("backbone", EVOLVE_BACKBONES, "the supernet's backbone"),
    ...SUPERNET_FLAGS,
    epochs: num("epochs", "E", { above: 0 }, "evolution epochs (after warmup)"),
    warmup: num("warmupEpochs", "E", { min: 0 }, "weight-only epochs before the fitness steps"),
    k: {
      ...num("k", "N", POSITIVE, "cells per layer (paths)"),
      short: "K",
    },
    population: num("populationSize", "N", POSITIVE, "initial population per layer"),
    "max-population": num("maxPopulation", "N", POSITIVE, "largest population per layer"),
    tournament: num("tournamentSize", "N", POSITIVE, "tournament size"),
    children: num("childrenPerRegeneration", "N", COUNT, "children per regeneration"),
    "regenerate-every": {
      ...num("regenerateEvery", "N", POSITIVE, "weight steps between regenerations"),
      short: "f",
    },
    epsilon: num("epsilon", "E", { min: 0, max: 1 }, "Eq. 5's ε"),
    tau: num("tau", "T", { above: 0, max: 1 }, "Eq. 2's threshold τ"),
    reference: choice("reference", REFERENCE_NAMES, "the reference DAG"),
    "reference-fraction": num(
      "referenceFraction",
      "F",
      { min: 0, max: 1 },
      "share of the run under the reference constraint",
    ),
    "madds-max": {
      key: "maddsMax",
      arg: "2x|5M|none",
      help: "Eq. 1's per-cell MAdds cap",
      read: (text: string) => parseMAddsMax(text),
      show: (max: MAddsMax) => formatMAddsMax(max),
    },
    "edge-ops": {
      key: "edgeOps",
      arg: "LIST",
      help: `edge ops of the open space, a comma list of\n${
        formatEdgeOps(EDGE_OPS)
      } (- is zero) or full names; the default is the paper's five`,
      read: (text: string) => parseEdgeOps(text),
      show: (ops: readonly EdgeOp[]) => formatEdgeOps(ops),
    },
    "zero-cells": toggle("allowZeroCells", "allow the zero cell where a layer may be skipped"),
    "init-fitness": num("initFitness", "A", {}, "α of the initial population"),
    "child-fitness": choice(
      "childFitness",
      ["parent", "init"],
      "α of a new child: its parent's, or --init-fitness",
    ),
    "compensation-cap": num("compensationCap", "C", { min: 1 }, "cap of Eq. 4's n/n'"),
    "active-paths": num(
      "activePaths",
      "N",
      { integer: true, min: 1, max: 2 },
      "paths per fitness step (1 or 2)",
    ),
    fitness: {
      ...choice(
        "fitness",
        FITNESS_MODES,
        "what a cell's trained score α* measures: alpha (Eq. 4's binary-gate logit, the\n" +
          "paper), accuracy (held-out loss of single paths through the cell), mixed (the\n" +
          "mean of the two steps), or paired (held-out loss against the layer's other cells\n" +
          "in the same network and batch)",
        "MODE",
      ),
      read: (text: string) => parseFitnessMode(text),
    },
  } satisfies Record<string, ConfigFlag<EvolveConfig>>,
};

/** `deno task evolve --help`. */
export const EVOLVE_USAGE = configHelp(EVOLVE_COMMAND, DEFAULT_EVOLVE_CONFIG, [
  ["--quick", { ...DEFAULT_EVOLVE_CONFIG, ...QUICK_PRESET }],
]);

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
 * Reads `deno task evolve` flags into a config (see `EVOLVE_USAGE`); `set` holds the
 * settings a caller fixes itself (autospace: the data, the folder, `--quick`), typed,
 * over the flags. Throws an Error with one line naming the bad flag or combination.
 */
export function parseEvolveArgs(
  args: readonly string[],
  set: Partial<Pick<EvolveConfig, "quick" | "data" | "out">> = {},
): EvolveConfig {
  const values: Record<string, string | boolean | undefined> = readConfigArgs(EVOLVE_COMMAND, args);
  if (set.quick) values.quick = true;
  const preset = values.preset === undefined
    ? "default"
    : EVOLVE_COMMAND.flags.preset.read!(values.preset as string, "preset");
  if (preset === "imagenet" && values.data === undefined && set.data === undefined) {
    throw new Error("--preset imagenet needs --data imagenet:DIR (the ImageNet folder)");
  }
  const base = {
    ...DEFAULT_EVOLVE_CONFIG,
    ...(preset === "imagenet" ? IMAGENET_PRESET : {}),
    ...(values.quick ? QUICK_PRESET : {}),
  };
  const config = { ...applyConfigArgs(EVOLVE_COMMAND, values, base), ...set };
  const layers = searchableLayers(builtinBackbone(config.backbone)!).length;
  return validateEvolveConfig({ ...config, layers });
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
  // The paper's ops and the paper's fitness are left out, so that a run of the paper's
  // method records the same settings whatever flags exist (autospace --resume compares
  // these settings); how often checkpoints were written does not change the result.
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
