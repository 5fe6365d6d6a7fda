/**
 * What a fidelity run writes: sample.json (the sampled networks) and fidelity.json (the
 * ground truth, the noise ceiling and every setting's agreement by scored epoch).
 */
import type { SupernetSetting } from "./config.ts";
import type { SampledPath } from "./sample.ts";
import type { Agreement, NoiseCeiling } from "./statistics.ts";

/** One sampled network, as sample.json lists it. */
export interface SampleEntry extends SampledPath {
  readonly id: string;
  readonly file: string;
  readonly params: number;
}

/** sample.json. */
export interface SampleFile {
  readonly definition: Record<string, unknown>;
  readonly networks: SampleEntry[];
}

/** A setting's statistics after one scored epoch. */
export interface EpochAgreement {
  readonly epoch: number;
  readonly steps: number;
  /** Held-out top-1 in the supernet (after BN recalibration) against stand-alone top-1. */
  readonly heldOut: Agreement;
  /** Σ log p against stand-alone top-1 (settings that learn α). */
  readonly logP: Agreement | null;
  readonly scores: number[];
  readonly logPScores: number[] | null;
}

/** fidelity.json. */
export interface FidelityResult {
  readonly definition: Record<string, unknown>;
  readonly networks: (SampleEntry & { standaloneTop1: number[]; meanTop1: number })[];
  /** Seed vs seed, and what a perfect predictor reaches against the seeds' mean. */
  readonly noiseCeiling: NoiseCeiling | null;
  /** What size alone predicts: MAdds and weights against stand-alone top-1. */
  readonly sizeBaselines: { readonly madds: Agreement; readonly weights: Agreement };
  readonly settings: {
    readonly setting: SupernetSetting;
    readonly command: string;
    readonly finished: boolean;
    readonly seconds: number | null;
    readonly epochs: EpochAgreement[];
  }[];
  /** One stand-alone training as a command. */
  readonly standaloneCommand: string;
}
