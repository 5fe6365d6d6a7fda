/**
 * What the paired REINFORCE search's comparisons say about each layer's choice. Every
 * paired architecture step compares, in some layers, the context's candidate i with an
 * alternative j on one held-out batch, all else equal (src/search/paired_reinforce.ts):
 * one sample of loss_i − loss_j. This file keeps those samples' running sums per layer
 * and candidate pair, in blocks of architecture steps, and tests the leader of the last
 * quarter of the steps (the argmax when it began, the window of `DECIDED_SHARE`) against
 * every other candidate on the window's comparisons alone.
 *
 * A held argmax can be chance (a random walk's leader is sticky); a leader that beats
 * every rival on held-out loss, each at one-sided 5%, is an informed choice. Requiring
 * every test to pass is an intersection–union test, so no multiplicity correction is
 * needed for the claim "better than all". The cost term is left out: what is tested is
 * what the data says. The window's leader was chosen on earlier comparisons, but it
 * also survived the window's, which biases its tests a little in its favour: the
 * random-label twin of a search (`--random-labels`) measures that chance level.
 *
 * The gradient search (proxyless_g.ts) feeds the same tests from its gate gradients
 * (`recordComparisons`): in one architecture step two active candidates' ∂L/∂g differ by
 * ⟨∂L/∂y, y_a − y_b⟩, the first-order estimate of loss_a − loss_b on that held-out batch.
 * Its "informed" asks the same question of those estimates, and its window needed says how
 * long G would have to run for its own signal to single out the leader.
 */
import { DECIDED_SHARE } from "./architecture_logits.ts";
import type { Path } from "./expected_cost.ts";
import type { CandidateComparison } from "../supernet/comparison_evidence.ts";
import { LEVEL, studentTCdf, studentTQuantile } from "../util/paired_statistics.ts";

/** Running sums of loss_lo − loss_hi for one layer's candidate pair (lo < hi). */
interface PairMoments {
  n: number;
  sum: number;
  sumSquares: number;
}

/** Comparisons of one run of consecutive architecture steps. */
interface Block {
  /** Index of its first architecture step. */
  start: number;
  /** Each layer's argmax before that step. */
  leaders: number[];
  /** By `pairKey`. */
  pairs: Record<string, PairMoments>;
}

/** Saved form (checkpoints). */
export interface PairedEvidenceState {
  blockSize: number;
  blocks: Block[];
}

/** The leader against one rival over the window. */
export interface RivalEvidence {
  readonly candidate: number;
  /** Comparisons in the window. */
  readonly n: number;
  /** Mean of loss_leader − loss_rival (negative: the leader does better). */
  readonly mean: number;
  /** Its standard error (NaN under 2 comparisons). */
  readonly se: number;
  /** Two-sided `LEVEL` t-interval of the mean (NaN bounds under 2 comparisons). */
  readonly low: number;
  readonly high: number;
  /** One-sided p of "the leader's loss is not lower" (1 under `MIN_COMPARISONS`). */
  readonly p: number;
}

/** One searchable layer's evidence. */
export interface LayerEvidence {
  /** The argmax when the window began. */
  readonly leader: number;
  /** Every other candidate, in index order. */
  readonly rivals: RivalEvidence[];
  /** Whether the leader beat every rival, each at one-sided `EVIDENCE_ALPHA`. */
  readonly informed: boolean;
  /** The rival with the largest p: the comparison that decides `informed`. */
  readonly weakest: RivalEvidence | null;
  /**
   * Architecture steps a window would need for the weakest comparison to pass at the
   * same effect and spread (the window's steps scaled by (z / t)²); null where the leader
   * is not ahead of it or it was compared fewer than `MIN_COMPARISONS` times.
   */
  readonly windowStepsNeeded: number | null;
}

/**
 * What the comparisons measure: held-out losses of paths (the paired REINFORCE search) or
 * gate-gradient differences, their first-order estimate (the gradient search).
 */
export type EvidenceBasis = "loss" | "gate gradients";

/** The window's figures for every searchable layer. */
export interface PairedEvidenceSummary {
  /** Absent in results written before the gradient search kept them: "loss". */
  readonly basis?: EvidenceBasis;
  /** Architecture steps in the window (the last quarter, to a block's edge). */
  readonly windowSteps: number;
  readonly archSteps: number;
  readonly layers: LayerEvidence[];
  /**
   * Layers informed in each quarter of the run, each quarter tested on its own comparisons
   * with the leader at its start (null: a quarter without comparisons). The first
   * quarter's leader is the argmax of untrained logits, index 0 by the tie.
   */
  readonly informedByQuarter: (number | null)[];
}

/** The one-sided level of each comparison. */
export const EVIDENCE_ALPHA = 0.05;

/** A rival compared fewer times than this is not tested (its p is 1). */
export const MIN_COMPARISONS = 5;

/** Blocks kept at most: adjacent pairs merge (the block size doubles) beyond it. */
const MAX_BLOCKS = 64;

const pairKey = (layer: number, a: number, b: number) =>
  `${layer}:${Math.min(a, b)}:${Math.max(a, b)}`;

const argmax = (xs: readonly number[]) => xs.reduce((best, x, i) => (x > xs[best] ? i : best), 0);

function addInto(into: Record<string, PairMoments>, from: Record<string, PairMoments>) {
  for (const [key, m] of Object.entries(from)) {
    const t = (into[key] ??= { n: 0, sum: 0, sumSquares: 0 });
    t.n += m.n;
    t.sum += m.sum;
    t.sumSquares += m.sumSquares;
  }
}

/** Adds d = loss_a − loss_b to the block's sums of layer `l`'s pair, kept as loss_lo − loss_hi. */
function addComparison(block: Block, l: number, a: number, b: number, d: number): void {
  const m = (block.pairs[pairKey(l, a, b)] ??= { n: 0, sum: 0, sumSquares: 0 });
  const lowFirst = a < b ? d : -d;
  m.n++;
  m.sum += lowFirst;
  m.sumSquares += lowFirst * lowFirst;
}

export class PairedEvidence {
  private blockSize = 1;
  private blocks: Block[] = [];

  constructor(
    private readonly choices: readonly number[],
    private readonly basis: EvidenceBasis = "loss",
  ) {}

  /**
   * One step that scored, per layer, the context with that layer switched to each of its
   * `variations` (losses in `variationPaths` order, the context's first). Every pair of
   * a layer's candidates measured in that step is one comparison: with one alternative a
   * layer that is the context against it, with every alternative (`paired-all`) every pair.
   */
  record(
    step: number,
    alphas: readonly (readonly number[])[],
    context: Path,
    variations: readonly (readonly number[])[],
    losses: readonly number[],
  ): void {
    const block = this.blockAt(step, alphas);
    let next = 1;
    variations.forEach((alternatives, l) => {
      const measured = [{ k: context[l], loss: losses[0] }];
      for (const j of alternatives) measured.push({ k: j, loss: losses[next++] });
      for (let a = 0; a < measured.length; a++) {
        for (let b = a + 1; b < measured.length; b++) {
          addComparison(
            block,
            l,
            measured[a].k,
            measured[b].k,
            measured[a].loss - measured[b].loss,
          );
        }
      }
    });
    if (next !== losses.length) {
      throw new RangeError(`PairedEvidence: ${losses.length} losses for ${next} paths`);
    }
  }

  /**
   * One step's comparisons given directly, per layer: each `d` estimates loss_a − loss_b
   * (the gradient search's gate-gradient differences).
   */
  recordComparisons(
    step: number,
    alphas: readonly (readonly number[])[],
    comparisons: readonly (readonly CandidateComparison[])[],
  ): void {
    if (comparisons.length !== this.choices.length) {
      throw new RangeError(
        `PairedEvidence: comparisons for ${comparisons.length} layers, not ${this.choices.length}`,
      );
    }
    const block = this.blockAt(step, alphas);
    comparisons.forEach((list, l) => {
      for (const { a, b, d } of list) {
        if (a === b || !Number.isFinite(d)) {
          throw new RangeError(`PairedEvidence: layer ${l} comparison ${a} vs ${b} of ${d}`);
        }
        addComparison(block, l, a, b, d);
      }
    });
  }

  /** The block step `step` falls in, opened (with the leaders `alphas` give) if new. */
  private blockAt(step: number, alphas: readonly (readonly number[])[]): Block {
    if (this.blocks.length > 0 && step < this.blocks[this.blocks.length - 1].start) {
      throw new RangeError(`PairedEvidence: step ${step} before the last block's start`);
    }
    let index = Math.floor(step / this.blockSize);
    let last = this.blocks[this.blocks.length - 1];
    if (!last || Math.floor(last.start / this.blockSize) !== index) {
      if (this.blocks.length === MAX_BLOCKS) {
        this.mergeAdjacent();
        index = Math.floor(step / this.blockSize);
        last = this.blocks[this.blocks.length - 1];
      }
      if (!last || Math.floor(last.start / this.blockSize) !== index) {
        last = { start: step, leaders: alphas.map(argmax), pairs: {} };
        this.blocks.push(last);
      }
    }
    return last;
  }

  /** Halves the block count: each even block absorbs the next; the block size doubles. */
  private mergeAdjacent() {
    this.blockSize *= 2;
    const merged: Block[] = [];
    for (const block of this.blocks) {
      const into = merged[merged.length - 1];
      if (
        into && Math.floor(into.start / this.blockSize) === Math.floor(block.start / this.blockSize)
      ) {
        addInto(into.pairs, block.pairs);
      } else {
        merged.push({ start: block.start, leaders: block.leaders, pairs: { ...block.pairs } });
      }
    }
    this.blocks = merged;
  }

  /** The window's tests after `archSteps` architecture steps; null before any comparison. */
  summary(archSteps: number): PairedEvidenceSummary | null {
    // At least the last step, so that a run of under four steps still reports its layers.
    const from = Math.min(Math.ceil((1 - DECIDED_SHARE) * archSteps), archSteps - 1);
    const last = this.windowSummary(archSteps, from, archSteps);
    if (!last) return null;
    const informedByQuarter = this.quarters(archSteps)
      .map((q) => (q ? q.layers.filter((l) => l.informed).length : null));
    return { basis: this.basis, ...last, informedByQuarter };
  }

  /**
   * The same tests in each quarter of the run, each on its own comparisons with the leader
   * at its start: whether the comparisons backed the leaders early in the run (when the
   * candidates differ in how fast they learn) rather than at its end. Null for a quarter
   * without comparisons.
   */
  quarters(archSteps: number): (Omit<PairedEvidenceSummary, "informedByQuarter"> | null)[] {
    return [0, 1, 2, 3].map((q) =>
      this.windowSummary(
        archSteps,
        Math.ceil((q / 4) * archSteps),
        q === 3 ? archSteps : Math.ceil(((q + 1) / 4) * archSteps),
      )
    );
  }

  /** The tests over the blocks starting in [from, to) (to a block's edge). */
  private windowSummary(
    archSteps: number,
    from: number,
    to: number,
  ): Omit<PairedEvidenceSummary, "informedByQuarter"> | null {
    const inWindow = this.blocks.filter((b) => b.start >= from && b.start < to);
    if (inWindow.length === 0) return null;
    const pairs: Record<string, PairMoments> = {};
    for (const block of inWindow) addInto(pairs, block.pairs);
    const next = this.blocks.find((b) => b.start >= to);
    const windowSteps = Math.min(next?.start ?? archSteps, archSteps) - inWindow[0].start;
    const layers = this.choices.map((k, l): LayerEvidence => {
      const leader = inWindow[0].leaders[l];
      const rivals: RivalEvidence[] = [];
      for (let c = 0; c < k; c++) {
        if (c === leader) continue;
        const m = pairs[pairKey(l, leader, c)] ?? { n: 0, sum: 0, sumSquares: 0 };
        // Stored as loss_lo − loss_hi: turn it into loss_leader − loss_c.
        const sign = leader < c ? 1 : -1;
        rivals.push(rivalEvidence(c, m.n, sign * m.sum, m.sumSquares));
      }
      const weakest = rivals.reduce<RivalEvidence | null>(
        (w, r) => (w === null || r.p > w.p ? r : w),
        null,
      );
      return {
        leader,
        rivals,
        informed: k > 1 && rivals.every((r) => r.p < EVIDENCE_ALPHA),
        weakest,
        windowStepsNeeded: weakest ? stepsNeeded(weakest, windowSteps) : null,
      };
    });
    return { windowSteps, archSteps, layers };
  }

  getState(): PairedEvidenceState {
    return structuredClone({ blockSize: this.blockSize, blocks: this.blocks });
  }

  /** From `getState`; undefined (a checkpoint written before the evidence) starts empty. */
  setState(state: PairedEvidenceState | undefined): void {
    this.blockSize = state?.blockSize ?? 1;
    this.blocks = structuredClone(state?.blocks ?? []);
  }
}

/**
 * The median over `layers` of the window needed (rounded up; layers without a figure left
 * out), or null where none has one.
 */
export function medianWindowNeeded(layers: readonly LayerEvidence[]): number | null {
  const needed = layers.map((e) => e.windowStepsNeeded).filter((n) => n !== null)
    .sort((a, b) => a - b);
  if (needed.length === 0) return null;
  const mid = needed.length / 2;
  return needed.length % 2
    ? needed[Math.floor(mid)]
    : Math.ceil((needed[mid - 1] + needed[mid]) / 2);
}

/** The t-test of one rival from the sums of its n differences (loss_leader − loss_rival). */
function rivalEvidence(
  candidate: number,
  n: number,
  sum: number,
  sumSquares: number,
): RivalEvidence {
  const mean = n > 0 ? sum / n : 0;
  if (n < 2) return { candidate, n, mean, se: NaN, low: NaN, high: NaN, p: 1 };
  const variance = Math.max(0, (sumSquares - n * mean * mean) / (n - 1));
  const se = Math.sqrt(variance / n);
  const half = studentTQuantile(0.5 + LEVEL / 2, n - 1) * se;
  // H1: mean < 0 (the leader's loss is lower); a spread of 0 leaves only the sign.
  const p = n < MIN_COMPARISONS ? 1 : se > 0 ? studentTCdf(mean / se, n - 1) : mean < 0 ? 0 : 1;
  return { candidate, n, mean, se, low: mean - half, high: mean + half, p };
}

/** Window steps for `r`'s t to reach the one-sided normal quantile at the same effect. */
function stepsNeeded(r: RivalEvidence, windowSteps: number): number | null {
  if (r.n < MIN_COMPARISONS || !(r.mean < 0)) return null;
  if (!(r.se > 0)) return windowSteps;
  const t = -r.mean / r.se;
  const z = 1.6448536269514722; // the normal's 95th percentile: one-sided 5%
  return Math.ceil(windowSteps * Math.max(1, (z / t) ** 2));
}
