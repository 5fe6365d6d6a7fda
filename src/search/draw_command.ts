/**
 * `deno task draw` as a library entry point: a uniform random network of a search space
 * at a given MAdds (src/search/equal_madds_draw.ts) — the control a found network is
 * measured against. The space is fitted to the data exactly as a search fits it
 * (`adaptSpecToData`: the images' size and channels, the classes), so that MAdds are
 * counted where the found network's were; the target is a number (`--madds`) or the MAdds
 * of a found network (`--match network.json`).
 *
 * It writes what a search writes for a network (network.json for `deno task train --arch`,
 * net.config, choices.json, cells/), draw.json (the target, window and draws), and the
 * result.json and report.md that `deno task experiment` reads of a search stage — with no
 * held-out accuracy (null): no supernet is trained, so there is none to report.
 *
 * `parseDrawArgs` reads flags only; `prepareDraw` loads the space, the data's image shape
 * and the target and checks them (nothing written); `runDraw` draws and writes.
 */
import { openData, parseDataSpec } from "../data/data_spec.ts";
import { adaptSpecToData } from "../networks/adapt.ts";
import { countNetwork, formatMAdds, formatParams } from "../space/counting.ts";
import { loadTarget } from "../space/load.ts";
import { networkFromChoices, type SearchSpaceSpec } from "../space/search_space_spec.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import {
  type ConfigCommand,
  configHelp,
  COUNT,
  numberFlag,
  optionalFlag,
  parseConfigLine,
  parseCount,
  readFolder,
  readNumber,
  textFlag,
} from "../util/cli_command.ts";
import { Rng } from "../util/rng.ts";
import { DEFAULT_SEARCH_CONFIG } from "./config.ts";
import {
  DEFAULT_DRAW_TOLERANCE,
  drawAtMAdds,
  formatDrawMAdds,
  maddsRange,
} from "./equal_madds_draw.ts";
import {
  type LayerChoice,
  layerChoices,
  type SearchResult,
  writeNetworkOutputs,
} from "./outputs.ts";
import { loadSearchSpace, type SearchInput } from "./space_input.ts";
import { fullChoices, type SpaceCosts, spaceCosts } from "./space_costs.ts";

const percent = (fraction: number) => `${Number((100 * fraction).toFixed(2))}%`;

/** What `deno task draw` was asked. */
export interface DrawConfig {
  readonly space: string;
  readonly backbone: string;
  /** The network whose MAdds to draw at (`--match`), or null with `--madds`. */
  readonly match: string | null;
  /** `--madds`, or null with `--match`. */
  readonly madds: number | null;
  readonly tolerance: number;
  readonly seed: number;
  readonly data: string;
  readonly out: string;
}

/** `deno task draw` without flags (a space and a target must be given). */
export const DEFAULT_DRAW_CONFIG: DrawConfig = {
  space: "",
  backbone: DEFAULT_SEARCH_CONFIG.backbone,
  match: null,
  madds: null,
  tolerance: DEFAULT_DRAW_TOLERANCE,
  seed: 0,
  data: DEFAULT_SEARCH_CONFIG.data,
  out: "runs/draw",
};

/** A count of MAdds ("5M"); one line naming the flag otherwise. */
function readMAddsTarget(text: string, flag: string): number {
  const madds = parseCount(text);
  if (madds === null) {
    throw new Error(
      `--${flag} must be a count of MAdds such as "5M", "300k" or 5000000, got "${text}"`,
    );
  }
  return madds;
}

/** A fraction below 1; one line naming the flag otherwise. */
function readTolerance(text: string, flag: string): number {
  const tolerance = readNumber(flag, text, { min: 0 });
  if (!(tolerance < 1)) {
    throw new Error(`--${flag} must be below 1 (a fraction: 0.03 is ±3%), got ${tolerance}`);
  }
  return tolerance;
}

/** The flags of `deno task draw`, each setting one field of `DrawConfig`. */
export const DRAW_COMMAND: ConfigCommand<DrawConfig> = {
  usage: "deno task draw --space SPACE (--match NETWORK.json | --madds X) [flags]",
  summary: "Draws a network of a search space uniformly at random among those whose MAdds lie\n" +
    "within --tolerance of a target: --madds X, or the MAdds of a found network (--match, the\n" +
    "network.json of deno task search). The space is fitted to --data as a search fits it.\n" +
    "Writes OUT/network.json (for deno task train --arch), net.config, choices.json, cells/,\n" +
    "draw.json (target, tolerance, draws, MAdds, params, choices), result.json and report.md.",
  flags: {
    space: optionalFlag(
      textFlag(
        "space",
        "SPACE",
        "a learned search_space.json, a search_space.config or baseline:NAME",
      ),
      "required",
    ),
    match: optionalFlag(
      textFlag(
        "match",
        "NETWORK.json",
        "draw at this network's MAdds (counted on --data's images)",
        (
          text,
        ) => {
          if (text.trim() === "") {
            throw new Error("--match must name a network file, got an empty value");
          }
        },
      ),
      "none",
    ),
    madds: optionalFlag(
      {
        key: "madds",
        arg: "X",
        help: 'draw at X MAdds ("5M", "300k", 5000000)',
        read: readMAddsTarget,
      },
      "none",
    ),
    tolerance: {
      key: "tolerance",
      arg: "F",
      help: "the drawn network's MAdds lie within (1 ± F) × the target",
      read: readTolerance,
    },
    seed: numberFlag("seed", "N", COUNT, "seed of the draws"),
    data: textFlag(
      "data",
      "DATA",
      "fashion-mnist[:DIR], cifar10:DIR or imagenet:DIR: the images the space is\n" +
        "fitted to (their size and channels, the classes)",
    ),
    backbone: textFlag("backbone", "NAME", "backbone that a search_space.config is laid on"),
    out: textFlag("out", "DIR", "output folder", (text, flag) => void readFolder(flag, text)),
  },
};

/** `deno task draw --help`. */
export const DRAW_USAGE: string = configHelp(DRAW_COMMAND, DEFAULT_DRAW_CONFIG);

/** Reads `deno task draw` flags; one line naming the bad flag. Nothing is read from disk. */
export function parseDrawArgs(args: readonly string[]): DrawConfig {
  const line = parseConfigLine(DRAW_COMMAND, args, DEFAULT_DRAW_CONFIG);
  const { config } = line;
  if (config.space.trim() === "") {
    throw new Error(
      "--space is required: a learned search_space.json (deno task evolve), a " +
        "search_space.config, or baseline:compact-28 / baseline:proxyless-224",
    );
  }
  if ((config.match === null) === (config.madds === null)) {
    throw new Error(
      "give one target: --match NETWORK.json (a found network's MAdds) or --madds X" +
        (config.match === null ? "" : ", not both"),
    );
  }
  parseDataSpec(config.data); // one line on a bad --data
  return config;
}

/** A draw checked and ready: the space fitted to the data, its costs and the target. */
export interface PreparedDraw {
  readonly cfg: DrawConfig;
  readonly input: SearchInput;
  /** The space fitted to the data. */
  readonly space: SearchSpaceSpec;
  readonly costs: SpaceCosts;
  /** The MAdds to draw at. */
  readonly target: number;
}

/**
 * Loads the space and fits it to the data's images and classes (as a search does), and
 * the target: `--madds`, or the matched network's MAdds, which must take the same images.
 */
export async function prepareDraw(cfg: DrawConfig): Promise<PreparedDraw> {
  const input = await loadSearchSpace(cfg.space, { backbone: cfg.backbone });
  const data = await openData(cfg.data, { valSplit: 0, augment: false });
  const space = adaptSpecToData(input.space, data.shape, data.numClasses);
  const costs = spaceCosts(space);
  let target = cfg.madds;
  if (cfg.match !== null) {
    const loaded = await loadTarget(cfg.match).catch((err: Error) => {
      throw new Error(`--match ${err.message}`);
    });
    if (loaded.kind !== "network") {
      throw new Error(
        `--match ${cfg.match}: is a search space, not a network (give the network.json a ` +
          "search wrote)",
      );
    }
    const { input: matched } = loaded.spec;
    const { input: used } = space;
    if (matched.size !== used.size || matched.channels !== used.channels) {
      throw new Error(
        `--match ${cfg.match}: the network takes ${matched.size}×${matched.size}×` +
          `${matched.channels} images, the data ${used.size}×${used.size}×${used.channels}; ` +
          "its MAdds would not compare (give the --data it was searched on)",
      );
    }
    target = countNetwork(loaded.spec).total.madds;
  }
  return { cfg, input, space, costs, target: target! };
}

/** What a prepared draw is, for the log. */
export function describeDraw(prepared: PreparedDraw): string {
  const { cfg, costs, target } = prepared;
  const range = maddsRange(costs.madds);
  return `${cfg.space} (${costs.searchable.length} searchable layers, networks of ` +
    `${formatDrawMAdds(range.min)}–${formatDrawMAdds(range.max)} MAdds on ${cfg.data}): ` +
    `${formatDrawMAdds(target)} MAdds ±${percent(cfg.tolerance)}` +
    (cfg.match === null ? "" : ` (the MAdds of ${cfg.match})`) + `, seed ${cfg.seed}`;
}

/** What draw.json holds. */
export interface DrawRecord {
  readonly space: string;
  readonly data: string;
  readonly input: SearchSpaceSpec["input"];
  readonly seed: number;
  /** The MAdds drawn at, and the network they were read from (null: `--madds`). */
  readonly target: number;
  readonly matched: string | null;
  readonly tolerance: number;
  /** [(1 − tolerance)·target, (1 + tolerance)·target]. */
  readonly window: [number, number];
  /** The cheapest and the most expensive network of the space on this data. */
  readonly range: { min: number; max: number };
  /** Uniform paths drawn until one fell in the window (the kept one included). */
  readonly draws: number;
  readonly madds: number;
  /** Conv and linear weights. */
  readonly params: number;
  /** Per searchable layer, the chosen candidate (as in choices.json). */
  readonly path: number[];
  /** Per layer of the space, the chosen candidate (0 where there is one). */
  readonly choices: number[];
  /** The chosen block of each searchable layer. */
  readonly blocks: string[];
}

/**
 * result.json of a draw: a search's numbers where they have a meaning, null where they
 * have none (no supernet: no held-out accuracy, no p, no λ), and the draw.
 */
export type DrawResult = Omit<SearchResult, "network" | "heldOut"> & {
  readonly algo: "random-draw";
  readonly heldOut: null;
  readonly draw: Pick<DrawRecord, "target" | "matched" | "tolerance" | "draws">;
};

/** Draws the network and writes its files under `--out`; returns draw.json's record. */
export async function runDraw(
  prepared: PreparedDraw,
  log: (line: string) => void = console.log,
): Promise<DrawRecord> {
  const { cfg, space, costs, target } = prepared;
  const t0 = performance.now();
  const drawn = drawAtMAdds(costs.madds, target, new Rng(cfg.seed), {
    tolerance: cfg.tolerance,
  });
  const choices = fullChoices(space, costs, drawn.path);
  const network = networkFromChoices(space, choices, "random-draw");
  const total = countNetwork(network).total;
  const layers = layerChoices(space, costs, drawn.path);
  const seconds = (performance.now() - t0) / 1000;
  const record: DrawRecord = {
    space: prepared.input.source,
    data: cfg.data,
    input: space.input,
    seed: cfg.seed,
    target,
    matched: cfg.match,
    tolerance: cfg.tolerance,
    window: [drawn.low, drawn.high],
    range: maddsRange(costs.madds),
    draws: drawn.draws,
    madds: total.madds,
    params: total.weights,
    path: drawn.path,
    choices,
    blocks: layers.map((l) => l.block),
  };
  await Deno.mkdir(cfg.out, { recursive: true });
  const netConfig = await writeNetworkOutputs(cfg.out, network, layers);
  await atomicWrite(`${cfg.out}/draw.json`, JSON.stringify(record, null, 2) + "\n");
  const result: DrawResult = {
    algo: "random-draw",
    space: prepared.input.source,
    layers,
    madds: total.madds,
    params: total.weights,
    maddsMax: null,
    expectedMAdds: null,
    decidedShare: null,
    cost: "MAdds",
    latencyMs: null,
    latencyMax: null,
    latencyBatch: null,
    latencyAdapter: null,
    heldOut: null,
    heldOutImages: 0,
    lambda: null,
    seconds,
    netConfig: netConfig ? "net.config" : null,
    notes: [drawSentence(record)],
    shortlist: null,
    randomLabels: false,
    gateGradients: null,
    gateEvidence: null,
    pairedEvidence: null,
    maddsMin: null,
    argmax: null,
    draw: { target, matched: cfg.match, tolerance: cfg.tolerance, draws: drawn.draws },
  };
  await atomicWrite(`${cfg.out}/result.json`, JSON.stringify(result, null, 2) + "\n");
  await atomicWrite(`${cfg.out}/report.md`, drawReport(cfg.out, record, layers));
  log(
    `draw: ${formatDrawMAdds(total.madds)} MAdds, ${total.weights} weights after ` +
      `${drawn.draws} draw(s) (target ${formatDrawMAdds(target)} ±${percent(cfg.tolerance)}) — ` +
      `${cfg.out}/network.json`,
  );
  return record;
}

/** The draw in one sentence (result.json's note, the report's first paragraph's end). */
function drawSentence(r: DrawRecord): string {
  return `A uniform random draw among the networks within ±${percent(r.tolerance)} of ` +
    `${formatDrawMAdds(r.target)} MAdds (${formatDrawMAdds(r.window[0])}–` +
    `${formatDrawMAdds(r.window[1])}` +
    `${r.matched === null ? "" : `, the MAdds of ${r.matched}`}), kept after ${r.draws} ` +
    `uniform draw(s) with seed ${r.seed}; no supernet was trained, so there is no held-out ` +
    "accuracy.";
}

/** report.md of a draw: the network, how it was drawn, each layer's candidate. */
function drawReport(out: string, r: DrawRecord, layers: readonly LayerChoice[]): string {
  const lines = [
    "# Draw report: a random network at equal MAdds",
    "",
    `Space: \`${r.space}\` (fitted to ${r.data}: ${r.input.size}×${r.input.size}×` +
    `${r.input.channels}; its networks range from ${formatMAdds(r.range.min)} to ` +
    `${formatMAdds(r.range.max)} MAdds). Drawn network: **${formatMAdds(r.madds)} MAdds**, ` +
    `**${formatParams(r.params)}** conv+linear weights.`,
    "",
    drawSentence(r),
    "",
    `Train it from scratch: \`deno task train --arch ${out}/network.json\`.`,
    "",
    "## Chosen candidate per searchable layer",
    "",
    "| layer | candidate | block | MAdds | weights | drawing |",
    "| --- | --- | --- | --- | --- | --- |",
    ...layers.map((l) =>
      `| ${l.layer} | ${l.candidate + 1}/${l.candidates} | \`${l.block}\` | ` +
      `${formatMAdds(l.madds)} | ${formatParams(l.params)} | ` +
      `${l.drawing === null ? "–" : `cells/${l.drawing}.png`} |`
    ),
    "",
    "## Files",
    "",
    "- `network.json`: the network (for `deno task train --arch`, `inspect`, `export`)",
    "- `net.config`: the same network in ProxylessNAS's format (where its blocks can say it)",
    "- `choices.json`: the table above; `draw.json`: the target, window, draws and choices",
    "- `result.json`: the numbers in the form of a search's (held-out accuracy null)",
    "",
  ];
  return lines.join("\n");
}
