/**
 * The latency table of a search space: the measured forward time of every candidate
 * of every layer at its input shape, plus the fixed parts, so that for the network
 * that picks `choices[l]` in layer l
 *
 *   latency(N) ≈ fixed + Σ_l perLayer[l][choices[l]]          (fixed = stem + head)
 *
 * `perLayer` has the shape of the space's candidate lists — the same shape as a
 * per-layer, per-candidate MAdds table — so Eq. 6's cost term can use it as is:
 * E[latency] = fixed + Σ_l Σ_i p_li · perLayer[l][i] under p = softmax(α). A fixed
 * layer of the backbone is a one-candidate row, as it is in the space;
 * `tableOnLayers` keeps the searchable rows and folds the others into `fixed` (the
 * search's `CostModel` layout).
 *
 * Entries come from the cache when this device measured them before; only the
 * missing ones are measured (and saved after each, so an interrupted run keeps them),
 * in `rounds` rounds where the machine's load drifts (rounds.ts).
 * Each entry keeps the median and the minimum over its repetitions; `statistic`
 * picks which one the table holds.
 */
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import type { LatencyCache, LatencyEntry } from "./cache.ts";
import type { LatencyDevice } from "./device_key.ts";
import type { PartMeasurer } from "./measure_gpu.ts";
import { distinctParts, type LatencyPart, spaceParts } from "./parts.ts";
import { measureInRounds } from "./rounds.ts";

/** Which per-repetition statistic of a measurement a table holds. */
export type LatencyStatistic = "median" | "min";

/**
 * The median by default: in the prediction checks on the project's shared 2-core
 * machine (docs/results/latency_prediction*.json) the minimum of the pooled
 * repetitions was the noisier estimate (one lucky repetition sets it).
 */
export const DEFAULT_LATENCY_STATISTIC: LatencyStatistic = "median";

/** Rounds by default (rounds.ts): one pass over the parts is at the mercy of load drift. */
export const DEFAULT_LATENCY_ROUNDS = 3;

/** The value of an entry under `statistic`. */
export function entryMs(entry: LatencyEntry, statistic: LatencyStatistic): number {
  return statistic === "min" ? entry.minMs : entry.ms;
}

/** A search space's measured latencies, in milliseconds. */
export interface LatencyTable {
  readonly unit: "ms";
  readonly space: string;
  readonly batch: number;
  readonly device: LatencyDevice;
  readonly statistic: LatencyStatistic;
  /** Stem + head: the time every network of the space spends outside its layers. */
  readonly fixed: number;
  readonly stemMs: number;
  readonly headMs: number;
  /** perLayer[l][i]: candidate i of layer l (0 for identity skips). */
  readonly perLayer: readonly (readonly number[])[];
  /** Distinct parts measured in this call, and those taken from the cache. */
  readonly measured: number;
  readonly reused: number;
}

/** Where entries come from and go. */
export interface LatencyTableOptions {
  batch: number;
  cache: LatencyCache;
  device: LatencyDevice;
  measure: PartMeasurer;
  /** Median (default) or minimum over the repetitions of each measurement. */
  statistic?: LatencyStatistic;
  /** Measure each missing part this many times, round after round, pooled (default 3). */
  rounds?: number;
  /** Measure every part again, replacing cached entries. */
  refresh?: boolean;
  /** Called before each measurement (`total`: missing parts × rounds), and once at the end. */
  onProgress?: (done: number, total: number, part: LatencyPart | null) => void;
}

/** The distinct parts of `space` at `batch` the cache lacks for `device` (all when `refresh`). */
export function partsToMeasure(
  space: SearchSpaceSpec,
  options: Pick<LatencyTableOptions, "batch" | "cache" | "device" | "refresh">,
): LatencyPart[] {
  const all = distinctParts(spaceParts(space, options.batch));
  return options.refresh ? all : all.filter((p) => !options.cache.get(options.device, p.key));
}

/**
 * The table of `space` from the cache alone (every part must be there); `measured`
 * of its distinct parts were measured by the caller just now.
 */
export function tableFromCache(
  space: SearchSpaceSpec,
  options: Pick<LatencyTableOptions, "batch" | "cache" | "device" | "statistic">,
  measured: number,
): LatencyTable {
  const { cache, device, batch } = options;
  const parts = spaceParts(space, batch);
  const statistic = options.statistic ?? DEFAULT_LATENCY_STATISTIC;
  const ms = (part: LatencyPart | null) => {
    if (part === null) return 0;
    const entry = cache.get(device, part.key);
    if (!entry) throw new Error(`latency: "${part.key}" is not measured on this device`);
    return entryMs(entry, statistic);
  };
  const stemMs = ms(parts.stem);
  const headMs = ms(parts.head);
  return {
    unit: "ms",
    space: space.name,
    batch,
    device,
    statistic,
    fixed: stemMs + headMs,
    stemMs,
    headMs,
    perLayer: parts.layers.map((row) => row.map(ms)),
    measured,
    reused: distinctParts(parts).length - measured,
  };
}

/** Builds the table of `space` at `options.batch`, measuring only what the cache lacks. */
export async function latencyTable(
  space: SearchSpaceSpec,
  options: LatencyTableOptions,
): Promise<LatencyTable> {
  const { cache, device } = options;
  const missing = partsToMeasure(space, options);
  await measureInRounds(missing, options.rounds ?? DEFAULT_LATENCY_ROUNDS, options.measure, {
    name: (part) => `"${part.key}"`,
    onProgress: options.onProgress,
    done: async (i, entry) => {
      cache.set(device, missing[i].key, entry);
      await cache.save();
    },
  });
  return tableFromCache(space, options, missing.length);
}

/** The table's latency of the network choosing `choices[l]` in layer l: fixed + Σ chosen. */
export function predictLatency(
  table: Pick<LatencyTable, "fixed" | "perLayer">,
  choices: readonly number[],
): number {
  if (choices.length !== table.perLayer.length) {
    throw new RangeError(
      `predictLatency: ${choices.length} choices for ${table.perLayer.length} layers`,
    );
  }
  return choices.reduce((sum, choice, l) => {
    const ms = table.perLayer[l][choice];
    if (ms === undefined) {
      throw new RangeError(
        `predictLatency: layer ${l} has ${table.perLayer[l].length} candidates, ` +
          `choice ${choice} is out of range`,
      );
    }
    return sum + ms;
  }, table.fixed);
}

/**
 * The table as a cost over the `searchable` layers only (the layout of the search's
 * per-layer cost tables): their rows, with every other layer's single candidate folded
 * into `fixed`, so fixed + Σ chosen is unchanged.
 */
export function tableOnLayers(
  table: Pick<LatencyTable, "fixed" | "perLayer">,
  searchable: readonly number[],
): { perLayer: number[][]; fixed: number } {
  const chosen = new Set(searchable);
  let fixed = table.fixed;
  table.perLayer.forEach((row, l) => {
    if (chosen.has(l)) return;
    if (row.length !== 1) {
      throw new RangeError(
        `tableOnLayers: layer ${l} has ${row.length} candidates but is not listed as searchable`,
      );
    }
    fixed += row[0];
  });
  return {
    perLayer: searchable.map((l) => {
      const row = table.perLayer[l];
      if (!row) throw new RangeError(`tableOnLayers: no layer ${l}`);
      return [...row];
    }),
    fixed,
  };
}
