/**
 * Measuring in rounds: every item is measured once per round, round after round, and
 * its entries are pooled. On a machine whose load drifts (a CPU adapter shares its
 * cores with everything else), one measurement per item sees whatever load was
 * there at that moment; rounds spread each item over the whole run, so items
 * measured early and late, and the networks compared with their parts, see the
 * same mix of quiet and busy stretches.
 */
import { median } from "../gpu/timing.ts";
import type { LatencyEntry } from "./cache.ts";

/** One entry from several measurements of the same thing: samples pooled. */
export function pooledEntry(entries: readonly LatencyEntry[]): LatencyEntry {
  if (entries.length === 0) throw new Error("pooledEntry: no entries");
  if (entries.length === 1) return entries[0];
  const samplesMs = entries.flatMap((e) => e.samplesMs);
  const last = entries[entries.length - 1];
  return {
    ...last,
    ms: median(samplesMs),
    minMs: Math.min(...entries.map((e) => e.minMs)),
    samplesMs,
    rounds: entries.length,
  };
}

/** Checks that a measurement is a usable time. */
function checked(entry: LatencyEntry, what: string): LatencyEntry {
  if (!(entry.ms >= 0 && entry.minMs >= 0 && Number.isFinite(entry.ms + entry.minMs))) {
    throw new Error(`latency: measuring ${what} gave ${entry.ms} ms`);
  }
  return entry;
}

/**
 * Measures `items` in `rounds` rounds. `done(i, entry)` receives item i's pooled
 * entry as soon as its last round is measured (to cache it at once).
 */
export async function measureInRounds<T>(
  items: readonly T[],
  rounds: number,
  measure: (item: T) => Promise<LatencyEntry>,
  options: {
    name: (item: T) => string;
    onProgress?: (done: number, total: number, item: T | null) => void;
    done?: (index: number, entry: LatencyEntry) => Promise<void> | void;
  },
): Promise<LatencyEntry[]> {
  if (!Number.isInteger(rounds) || rounds < 1) {
    throw new RangeError(`latency: rounds must be an integer ≥ 1, got ${rounds}`);
  }
  const measured: LatencyEntry[][] = items.map(() => []);
  const total = items.length * rounds;
  let step = 0;
  for (let round = 0; round < rounds; round++) {
    for (const [i, item] of items.entries()) {
      options.onProgress?.(step++, total, item);
      measured[i].push(checked(await measure(item), options.name(item)));
      if (round === rounds - 1) await options.done?.(i, pooledEntry(measured[i]));
    }
  }
  options.onProgress?.(total, total, null);
  return measured.map(pooledEntry);
}
