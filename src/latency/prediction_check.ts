/**
 * Does the table predict a network's latency? Samples networks of a space (one
 * candidate per layer, uniformly), measures each whole network's forward pass on
 * the same device with the same timer, and compares with fixed + Σ chosen entries.
 * Parts the cache lacks are measured in the same rounds as the networks; parts it
 * holds were measured earlier, under whatever load the machine had then.
 * Relative error = (predicted − measured) / measured; the report gives the mean of
 * |error|, the worst |error| and the mean signed error (a bias the table would
 * carry into a search), for both statistics a measurement keeps: the median and
 * the minimum over its repetitions (table and network under the same one).
 */
import { countNetwork } from "../space/counting.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import { networkFromChoices, type SearchSpaceSpec } from "../space/search_space_spec.ts";
import { spearman } from "../util/rank_correlation.ts";
import { Rng } from "../util/rng.ts";
import type { LatencyCache } from "./cache.ts";
import type { LatencyDevice } from "./device_key.ts";
import type { LatencyMeasurers } from "./measure_gpu.ts";
import { measureInRounds } from "./rounds.ts";
import type { LatencyPart } from "./parts.ts";
import {
  DEFAULT_LATENCY_ROUNDS,
  entryMs,
  type LatencyStatistic,
  partsToMeasure,
  predictLatency,
  tableFromCache,
} from "./table.ts";

/** What the check measures: a part of the table, or a whole sampled network. */
type CheckItem = { part: LatencyPart } | { spec: NetworkSpec };

/** The statistics the check compares, each on both sides. */
export const CHECK_STATISTICS: readonly LatencyStatistic[] = ["median", "min"];

/** Predicted and measured latency under one statistic. */
export interface Prediction {
  readonly predictedMs: number;
  readonly measuredMs: number;
  /** (predicted − measured) / measured. */
  readonly relError: number;
}

/** One sampled network at one batch. */
export interface PredictionRow {
  readonly choices: readonly number[];
  readonly madds: number;
  readonly median: Prediction;
  readonly min: Prediction;
  /** The network's per-call time of each repetition. */
  readonly samplesMs: readonly number[];
}

/** Error summary over the sampled networks. */
export interface ErrorStats {
  readonly meanAbsRelError: number;
  readonly worstAbsRelError: number;
  readonly meanRelError: number;
}

/** How well a score orders the networks by measured latency (Spearman's ρ). */
export interface RankAgreement {
  /** The table's prediction. */
  readonly table: number;
  /** MAdds, the cost the table replaces. */
  readonly madds: number;
}

/** The check at one batch. */
export interface BatchCheck {
  readonly batch: number;
  readonly partsMeasured: number;
  readonly partsReused: number;
  readonly rows: readonly PredictionRow[];
  readonly errors: Readonly<Record<LatencyStatistic, ErrorStats>>;
  readonly rankCorrelation: Readonly<Record<LatencyStatistic, RankAgreement>>;
  /** 1-minute load average before and after (CPU adapters share the cores). */
  readonly loadavg?: readonly number[];
}

/** The whole check, as written by `--json`. */
export interface PredictionCheck {
  readonly format: "autospace.latency-check/v1";
  readonly space: string;
  readonly device: LatencyDevice;
  readonly seed: number;
  readonly batches: readonly BatchCheck[];
}

export interface PredictionCheckOptions {
  batches: readonly number[];
  networks: number;
  seed: number;
  cache: LatencyCache;
  measurers: LatencyMeasurers;
  refresh?: boolean;
  /** Rounds of measurement, for the table's parts and for the networks (default 3). */
  rounds?: number;
  /** Progress of a stage ("table b64", "networks b64"): `done` of `total`. */
  onProgress?: (stage: string, done: number, total: number) => void;
}

/**
 * `count` distinct choice vectors drawn uniformly per layer (fewer when the space
 * holds fewer networks than that).
 */
export function sampleChoices(space: SearchSpaceSpec, count: number, rng: Rng): number[][] {
  const seen = new Set<string>();
  const out: number[][] = [];
  for (let tries = 0; out.length < count && tries < 100 * count; tries++) {
    const choices = space.layers.map((layer) => rng.int(layer.candidates.length));
    const key = choices.join(",");
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(choices);
  }
  return out;
}

/** Summary statistics of signed relative errors. */
export function errorStats(relErrors: readonly number[]): ErrorStats {
  const n = Math.max(1, relErrors.length);
  const abs = relErrors.map(Math.abs);
  return {
    meanAbsRelError: abs.reduce((s, v) => s + v, 0) / n,
    worstAbsRelError: Math.max(0, ...abs),
    meanRelError: relErrors.reduce((s, v) => s + v, 0) / n,
  };
}

/** Spearman's ρ of the table's predictions, and of MAdds, with the measured latencies. */
function rankAgreement(
  rows: readonly PredictionRow[],
  pick: (row: PredictionRow) => Prediction,
): RankAgreement {
  const measured = rows.map((r) => pick(r).measuredMs);
  return {
    table: spearman(rows.map((r) => pick(r).predictedMs), measured),
    madds: spearman(rows.map((r) => r.madds), measured),
  };
}

/** Samples networks of `space` and compares table predictions with measurements. */
export async function checkLatencyPrediction(
  space: SearchSpaceSpec,
  options: PredictionCheckOptions,
): Promise<PredictionCheck> {
  const { measurers, onProgress, cache } = options;
  const device = measurers.device;
  const samples = sampleChoices(space, options.networks, new Rng(options.seed));
  const batches: BatchCheck[] = [];
  for (const batch of options.batches) {
    const load0 = loadavg1();
    const specs = samples.map((choices, i) =>
      networkFromChoices(space, choices, `${space.name}-sample${i}`)
    );
    // Missing parts and the networks are measured in the same rounds, so both
    // sides of the comparison see the same stretches of the machine's load.
    const parts = partsToMeasure(space, { batch, cache, device, refresh: options.refresh });
    const items: CheckItem[] = [
      ...parts.map((part): CheckItem => ({ part })),
      ...specs.map((spec): CheckItem => ({ spec })),
    ];
    const entries = await measureInRounds(
      items,
      options.rounds ?? DEFAULT_LATENCY_ROUNDS,
      (item) => "part" in item ? measurers.part(item.part) : measurers.network(item.spec, batch),
      {
        name: (item) =>
          "part" in item ? `"${item.part.key}"` : `network ${item.spec.name} at batch ${batch}`,
        onProgress: (done, total) => onProgress?.(`b${batch} parts + networks`, done, total),
        done: async (i, entry) => {
          const item = items[i];
          if (!("part" in item)) return;
          cache.set(device, item.part.key, entry);
          await cache.save();
        },
      },
    );
    const measured = entries.slice(parts.length);
    const tables = CHECK_STATISTICS.map((statistic) =>
      tableFromCache(space, { batch, cache, device, statistic }, parts.length)
    );
    const rows = samples.map((choices, i): PredictionRow => {
      const [median, min] = tables.map((table): Prediction => {
        const predictedMs = predictLatency(table, choices);
        const measuredMs = entryMs(measured[i], table.statistic);
        return { predictedMs, measuredMs, relError: (predictedMs - measuredMs) / measuredMs };
      });
      return {
        choices,
        madds: countNetwork(specs[i]).total.madds,
        median,
        min,
        samplesMs: measured[i].samplesMs,
      };
    });
    const load1 = loadavg1();
    batches.push({
      batch,
      partsMeasured: tables[0].measured,
      partsReused: tables[0].reused,
      rows,
      errors: {
        median: errorStats(rows.map((r) => r.median.relError)),
        min: errorStats(rows.map((r) => r.min.relError)),
      },
      rankCorrelation: {
        median: rankAgreement(rows, (r) => r.median),
        min: rankAgreement(rows, (r) => r.min),
      },
      ...(load0 !== undefined && load1 !== undefined ? { loadavg: [load0, load1] } : {}),
    });
  }
  return {
    format: "autospace.latency-check/v1",
    space: space.name,
    device: measurers.device,
    seed: options.seed,
    batches,
  };
}

function loadavg1(): number | undefined {
  try {
    return Deno.loadavg()[0];
  } catch {
    return undefined; // no --allow-sys
  }
}
