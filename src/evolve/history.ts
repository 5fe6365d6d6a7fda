/**
 * One line of an evolution's `history.jsonl`: the supernet's metrics at a
 * regeneration and what happened to each searchable layer's population. Written
 * by evolve.ts, read by its report and by scripts/plot_evolve_runs.ts.
 */
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
  layers: {
    layer: number;
    sampled: { id: string; alpha: number }[];
    population: number;
    children: number;
    evicted: number;
    /** The whole population after the regeneration: [id, α, n′, times sampled]. */
    members: [string, number, number, number][];
  }[];
}
