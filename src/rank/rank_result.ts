/**
 * What `deno task rank` measures, as written to rank.json: the true ranking, and per
 * initial setting the α trajectory and Table 6's "Epochs".
 */
import type { PathSampling } from "../supernet/path_sampling.ts";
import type { FitnessRunResult } from "./fitness_run.ts";
import type { InitialSetting } from "./initial_alphas.ts";
import { epochsToCorrectOrder, firstAgreement } from "./ranking.ts";
import type { TrueRanking } from "./true_ranking.ts";

/** Format tag of rank.json. */
export const RANK_RESULT_FORMAT = "autospace.rank/v1";

/** One initial setting's run and its verdict. */
export interface SettingResult extends FitnessRunResult {
  /** "row3-x1": Table 6's S/N and the scale on its numbers. */
  id: string;
  /** Table 6's S/N. */
  row: number;
  scale: number;
  /** How the weight steps picked their path. */
  pathSampling: PathSampling;
  /** Initial α by rank, worst network first (Table 6's columns). */
  byRank: number[];
  /** The true order (worst → best) the initial α was assigned by. */
  order: number[];
  /** Whether the initial α is the exact reverse of the true order. */
  reverse: boolean;
  /** Table 6's "Epochs": from this epoch on α orders the networks correctly (null: not by the end). */
  epochsToCorrectOrder: number | null;
  /** The first epoch at which the order was correct, even if it flipped later. */
  firstCorrectEpoch: number | null;
}

/** The whole of rank.json: the true ranking and every fitness run in the folder. */
export interface RankResult {
  format: typeof RANK_RESULT_FORMAT;
  config: Record<string, unknown>;
  adapter: string;
  truth: TrueRanking;
  settings: SettingResult[];
  /**
   * Training time of the standalone networks (their evaluations excluded), of all fitness
   * runs in the folder, and the wall time of the invocation that wrote the file.
   */
  seconds: { standaloneTraining: number; fitness: number; wall: number };
}

/** A fitness run with the verdicts for `order`. */
export function settingResult(
  setting: InitialSetting,
  pathSampling: PathSampling,
  order: readonly number[],
  reverse: boolean,
  run: FitnessRunResult,
): SettingResult {
  return {
    id: setting.id,
    row: setting.row,
    scale: setting.scale,
    pathSampling,
    byRank: [...setting.byRank],
    order: [...order],
    reverse,
    epochsToCorrectOrder: epochsToCorrectOrder(run.epochs, order),
    firstCorrectEpoch: firstAgreement(run.epochs, order),
    ...run,
  };
}
