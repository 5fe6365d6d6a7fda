/**
 * What the four searches plug into the shared run (src/search/search.ts): how a weight
 * step picks its path, the architecture step (gradient and RL searches), the path
 * distribution the history records, and the derivation of the found network. Each
 * algorithm is one file (proxyless_g.ts, proxyless_rl.ts, spos.ts, random.ts).
 */
import type { Batch, ImageShape } from "../data/dataset.ts";
import type { ComparisonEvidence } from "../supernet/comparison_evidence.ts";
import type { MetricsAccumulator } from "../supernet/metrics_accumulator.ts";
import type { Supernet } from "../supernet/supernet.ts";
import type { SearchSpaceSpec } from "../space/search_space_spec.ts";
import type { Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import type { LayerDecision } from "./architecture_logits.ts";
import type { CandidateGateGradients } from "./gate_statistics.ts";
import type { PairedEvidenceSummary } from "./paired_evidence.ts";
import type { ScoredPath } from "./shortlist.ts";
import type { SearchConfig } from "./config.ts";
import type { PathScorer } from "./path_scorer.ts";
import type { SearchCost, SpaceCosts } from "./space_costs.ts";
import type { PathSearchRecord } from "./history.ts";

/** What a driver may use. */
export interface SearchContext {
  readonly cfg: SearchConfig;
  readonly space: SearchSpaceSpec;
  readonly costs: SpaceCosts;
  /** The cost Eq. 6's term and the cap act on (MAdds). */
  readonly cost: SearchCost;
  readonly supernet: Supernet;
  readonly rng: Rng;
  /** [C, H, W] of the held-out images. */
  readonly imageShape: ImageShape;
  /** Held-out loss and accuracy of the architecture steps. */
  readonly valMetrics: MetricsAccumulator;
  /** Every weight and BN statistic of the supernet (frozen during gate steps). */
  readonly weights: () => Tensor[];
  /** The scorer of single paths (BN recalibration + held-out accuracy), made on first use. */
  readonly scorer: () => Promise<PathScorer>;
  /** Runs `path` (a candidate per searchable layer) in the supernet's mixed layers. */
  choosePath(path: readonly number[]): void;
  /** The choice of every layer of the space (fixed layers 0) for a searchable-layer path. */
  fullChoices(path: readonly number[]): number[];
  /** Shows the path search's progress: `done` of `total` paths scored, best score so far. */
  progress(done: number, total: number, best: number): void;
  /** Writes the checkpoint now (the driver's `getState` included). */
  checkpoint(): Promise<void>;
  /** Adds a line to history.jsonl (written with the next checkpoint). */
  record(line: PathSearchRecord): void;
  readonly log: (line: string) => void;
}

/** The found network, before its final evaluation. */
export interface Derivation {
  /** Candidate per searchable layer. */
  readonly path: number[];
  /** p of the chosen candidate per searchable layer (null where there is no distribution). */
  readonly probabilities: (number | null)[];
  /** Searchable layers the cap repair changed from the argmax. */
  readonly repairedLayers: number[];
  /** Lines for the report. */
  readonly notes: string[];
  /** `--derive scored`: every shortlisted path with its held-out score, the best first. */
  readonly shortlist?: readonly ScoredPath[];
  /**
   * `--derive scored`: the network the argmax derivation would have found (argmax per
   * layer, repaired under the cap), written beside the found one so both can be trained.
   */
  readonly argmax?: { readonly path: number[]; readonly probabilities: (number | null)[] };
}

/** One search algorithm. */
export interface SearchDriver {
  /** The path of the next weight step (candidate per searchable layer). */
  trainingPath(): number[];
  /** One architecture step on a held-out batch; absent for single-path training. */
  archStep?(batch: Batch): Promise<void>;
  /** The distribution weight steps sample from, per searchable layer (for the history). */
  distribution(): number[][];
  /** How settled each layer's argmax is (searches that learn α), for the report. */
  decisions?(): LayerDecision[];
  /** What the gradient search's gate gradients said, per layer and candidate. */
  gateGradients?(): CandidateGateGradients[][];
  /** Whether its last quarter's gate comparisons told each layer's candidates apart. */
  gateEvidence?(): (ComparisonEvidence | null)[];
  /** What the paired search's comparisons say of each choice (null before any). */
  pairedEvidence?(): PairedEvidenceSummary | null;
  /** λ of Eq. 6 now (null without a cost term). */
  lambda(): number | null;
  /** After training: the network found. */
  derive(): Promise<Derivation>;
  /** The driver's state for checkpoints (JSON). */
  getState(): unknown;
  setState(state: unknown): void;
  /** Frees what the driver holds on the GPU. */
  dispose?(): void;
}
