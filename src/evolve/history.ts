/**
 * history.jsonl of an evolution: one line per regeneration (Figure 2), with the
 * supernet's loss and accuracy since the previous one and every layer's population.
 */
import type { ComparisonEvidence } from "../supernet/comparison_evidence.ts";

/** What Eq. 5 folded into one cell of the last supernet. */
export interface FoldRecord {
  id: string;
  /** δ = α* − α: the supernet's change to the cell's score, α its fitness when sampled. */
  delta: number;
  /**
   * `--fitness accuracy|mixed`: held-out paths through the cell since the previous
   * regeneration, and their mean loss and top-1 (absent when there were none).
   */
  paths?: number;
  loss?: number;
  top1?: number;
}

/** One layer's part of a regeneration line. */
export interface LayerRegenerationRecord {
  layer: number;
  /** The cells of the next supernet, with their fitness α. */
  sampled: { id: string; alpha: number }[];
  population: number;
  children: number;
  evicted: number;
  /** The fold of the last supernet's cells (absent on lines written before it was kept). */
  folded?: FoldRecord[];
  /** The whole population after the regeneration: [id, α, n′, times sampled]. */
  members: [string, number, number, number][];
  /**
   * Whether the last supernet's fitness steps told its cells apart (src/supernet/comparison_evidence.ts;
   * `--fitness alpha|mixed|paired`, absent on the first regeneration and on lines written
   * before it was kept).
   */
  evidence?: ComparisonEvidence;
}

/** One line of history.jsonl: the state after a regeneration. */
export interface RegenerationRecord {
  regeneration: number;
  step: number;
  epoch: number;
  trainLoss: number;
  trainTop1: number;
  valLoss: number;
  valTop1: number;
  lr: number;
  useReference: boolean;
  seconds: number;
  layers: LayerRegenerationRecord[];
}
