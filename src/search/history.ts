/**
 * history.jsonl of a search: one line per supernet epoch (loss and accuracy, the
 * expected MAdds and the entropy of p per layer, the cost term's λ) and, for SPOS and
 * random search, one line per population of the path search.
 */
/** One supernet epoch. */
export interface EpochRecord {
  readonly phase: "supernet";
  readonly epoch: number;
  /** Weight steps done. */
  readonly step: number;
  readonly trainLoss: number;
  readonly trainTop1: number;
  /** Held-out loss and top-1 of the epoch's architecture steps (null when none ran). */
  readonly valLoss: number | null;
  readonly valTop1: number | null;
  /** E[MAdds] under the distribution the weight steps sample from (Eq. 6's Cost(N)). */
  readonly expectedMAdds: number;
  /** MAdds of the most likely network (argmax per layer). */
  readonly argmaxMAdds: number;
  /** `--cost latency`: E[latency] (ms) from the table under the same distribution. */
  readonly expectedLatencyMs?: number;
  /** `--cost latency`: the table's latency of the argmax network (ms). */
  readonly argmaxLatencyMs?: number;
  /** Entropy of p per searchable layer, in nats. */
  readonly entropy: number[];
  /** p per searchable layer. */
  readonly probabilities: number[][];
  /** Eq. 6's λ at the epoch's end (null without a cost term). */
  readonly lambda: number | null;
  /**
   * G and RL: architecture steps so far, and per searchable layer for how many of them the
   * current argmax has led (a layer has decided when that is ≥ `DECIDED_SHARE` of them).
   */
  readonly archSteps?: number;
  readonly heldSteps?: number[];
  readonly lr: number;
  readonly seconds: number;
}

/** One population of SPOS's evolution (or random search's single one). */
export interface PathSearchRecord {
  readonly phase: "path-search";
  readonly generation: number;
  /** Paths scored so far. */
  readonly evaluated: number;
  /** The best path so far: candidate per searchable layer, MAdds, held-out top-1. */
  readonly best: { path: number[]; madds: number; score: number };
  /** Mean and best score of this population. */
  readonly populationMean: number;
  readonly populationBest: number;
  readonly seconds: number;
}

/** A line of history.jsonl. */
export type HistoryRecord = EpochRecord | PathSearchRecord;
