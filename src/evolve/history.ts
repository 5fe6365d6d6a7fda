/**
 * history.jsonl of an evolution: one line per regeneration (Figure 2), with the
 * supernet's loss and accuracy since the previous one and every layer's population.
 */
/** One layer's part of a regeneration line. */
export interface LayerRegenerationRecord {
  layer: number;
  sampled: { id: string; alpha: number }[];
  population: number;
  children: number;
  evicted: number;
  /** The whole population after the regeneration: [id, α, n′, times sampled]. */
  members: [string, number, number, number][];
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
