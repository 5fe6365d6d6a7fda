/**
 * What the gradient search's gate gradients said, per candidate: the running mean and
 * spread of ∂L/∂g_k over the architecture steps where candidate k ran idle (gate 0: the
 * first-order estimate of what swapping it in would do) and where it was the drawn path
 * (gate 1). A search whose α does not settle shows here whether its gradients were small,
 * noisy or heavy-tailed, and which candidate they favoured (the most negative mean). Each
 * step's idle − drawn differences are also kept as comparisons, so that the last quarter's
 * can be tested for candidates told apart (src/supernet/comparison_evidence.ts).
 */
import {
  type CandidateComparison,
  type ComparisonEvidence,
  comparisonEvidence,
} from "../supernet/comparison_evidence.ts";
import { DECIDED_SHARE } from "./architecture_logits.ts";

/** Running sums of one candidate's gate gradients in one role. */
interface Moments {
  n: number;
  sum: number;
  sumSquares: number;
}

/** One candidate's summary. */
export interface CandidateGateGradients {
  /** Mean, standard deviation and count of ∂L/∂g over the steps it ran idle. */
  readonly idle: { readonly mean: number; readonly sd: number; readonly n: number };
  /** Mean and count over the steps it was the drawn path. */
  readonly drawn: { readonly mean: number; readonly n: number };
}

/** Saved form (checkpoints). */
export interface GateStatisticsState {
  idle: Moments[][];
  drawn: Moments[][];
  /** Per layer, [step, idle candidate, drawn candidate, ∂L/∂g idle − drawn] (absent: none). */
  comparisons?: [number, number, number, number][][];
  /** Per layer, the steps added (absent: none). */
  steps?: number[];
}

const empty = (choices: readonly number[]): Moments[][] =>
  choices.map((k) => Array.from({ length: k }, () => ({ n: 0, sum: 0, sumSquares: 0 })));

function add(m: Moments, x: number): void {
  m.n++;
  m.sum += x;
  m.sumSquares += x * x;
}

/**
 * Every pair of one layer's active candidates in one step as a comparison: ∂L/∂g_a −
 * ∂L/∂g_b = ⟨∂L/∂y, y_a − y_b⟩, the first-order estimate of loss_a − loss_b on the step's
 * batch (both gates' gradients are taken at the same drawn network). Two active paths
 * give one pair; `--gate-paths all` gives every pair of the layer.
 */
export function gatePairComparisons(
  active: readonly number[],
  grads: ArrayLike<number>,
): CandidateComparison[] {
  if (active.length !== grads.length) {
    throw new RangeError(`gatePairComparisons: ${active.length} paths, ${grads.length} gradients`);
  }
  const out: CandidateComparison[] = [];
  for (let i = 0; i < active.length; i++) {
    for (let j = i + 1; j < active.length; j++) {
      out.push({ a: active[i], b: active[j], d: grads[i] - grads[j] });
    }
  }
  return out;
}

export class GateGradientStatistics {
  private idle: Moments[][];
  private drawn: Moments[][];
  private comparisons: [number, number, number, number][][];
  private steps: number[];

  constructor(private readonly choices: readonly number[]) {
    this.idle = empty(choices);
    this.drawn = empty(choices);
    this.comparisons = choices.map(() => []);
    this.steps = choices.map(() => 0);
  }

  /** One layer's step: the paths that ran, their gates (one 1) and ∂L/∂g of each. */
  add(
    layer: number,
    active: readonly number[],
    gates: readonly number[],
    grads: ArrayLike<number>,
  ) {
    if (active.length !== gates.length || active.length !== grads.length) {
      throw new RangeError(
        `GateGradientStatistics: ${active.length} paths, ${gates.length} gates, ` +
          `${grads.length} gradients`,
      );
    }
    active.forEach((k, j) => add((gates[j] === 0 ? this.idle : this.drawn)[layer][k], grads[j]));
    const drawn = gates.indexOf(1);
    const step = this.steps[layer]++;
    if (drawn < 0) return;
    active.forEach((k, j) => {
      if (j !== drawn) {
        this.comparisons[layer].push([step, k, active[drawn], grads[j] - grads[drawn]]);
      }
    });
  }

  /**
   * Per searchable layer, the test of its last `share` of steps' comparisons (the window
   * the decision is read over); null where they are too few for it.
   */
  evidence(share = DECIDED_SHARE): (ComparisonEvidence | null)[] {
    return this.choices.map((_, l) => {
      const from = Math.floor(this.steps[l] * (1 - share));
      const window = this.comparisons[l].filter(([step]) => step >= from)
        .map(([, a, b, d]) => ({ a, b, d }));
      return comparisonEvidence(window, this.steps[l] - from);
    });
  }

  /** Per searchable layer, per candidate. */
  summary(): CandidateGateGradients[][] {
    return this.choices.map((_, l) =>
      this.idle[l].map((m, k) => {
        const mean = m.n > 0 ? m.sum / m.n : 0;
        const d = this.drawn[l][k];
        return {
          idle: {
            mean,
            sd: m.n > 1 ? Math.sqrt(Math.max(0, m.sumSquares / m.n - mean * mean)) : 0,
            n: m.n,
          },
          drawn: { mean: d.n > 0 ? d.sum / d.n : 0, n: d.n },
        };
      })
    );
  }

  getState(): GateStatisticsState {
    return structuredClone({
      idle: this.idle,
      drawn: this.drawn,
      comparisons: this.comparisons,
      steps: this.steps,
    });
  }

  /** Restores `state`; a checkpoint written without it starts the sums afresh. */
  setState(state: GateStatisticsState | undefined): void {
    this.idle = state ? structuredClone(state.idle) : empty(this.choices);
    this.drawn = state ? structuredClone(state.drawn) : empty(this.choices);
    this.comparisons = state?.comparisons
      ? structuredClone(state.comparisons)
      : this.choices.map(() => []);
    this.steps = state?.steps ? [...state.steps] : this.choices.map(() => 0);
  }
}
