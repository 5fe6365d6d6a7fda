/**
 * `deno task fidelity`: how well a supernet's scores rank networks the way stand-alone
 * training does (Kendall τ, Spearman ρ, top-k overlap, with the noise ceiling of the
 * ground truth itself). Four stages, each resumable:
 *
 *   sample: N networks of the space, stratified over its MAdds range (sample.ts),
 *     written as network specs under OUT/networks/;
 *   ground truth: each trained alone on every seed (ground_truth.ts), once;
 *   supernets: each setting (search loop × path sampling) trained over the space, the
 *     sample scored in it after each of its last epochs (supernet_scores.ts);
 *   summary: the statistics of every setting found in OUT (statistics.ts), written as
 *     fidelity.json, report.md and charts (report.ts).
 *
 * `rewriteFidelityReport` redoes only the summary, from the accuracies and scores that
 * fidelity.json holds (no training, no adapter): the statistics of a committed run can be
 * recomputed when the statistics change.
 */
import { prepareSearch } from "../search/search.ts";
import { fullChoices } from "../search/space_costs.ts";
import { countNetwork } from "../space/counting.ts";
import { networkToJson } from "../space/network_spec.ts";
import { networkFromChoices } from "../space/search_space_spec.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { pathExists } from "../util/output_folder.ts";
import { type FidelityConfig, groundTruthDefinition } from "./config.ts";
import { groundTruth, networkId, standaloneArgs, standaloneFolder } from "./ground_truth.ts";
import { stratifiedPaths } from "./sample.ts";
import {
  readSettingScores,
  scoreSetting,
  type SettingScores,
  settingSearchConfig,
} from "./supernet_scores.ts";
import { agreement, meanOverSeeds, noiseCeiling } from "./statistics.ts";
import type { EpochAgreement, FidelityResult, SampleEntry, SampleFile } from "./result.ts";
import { writeFidelityReport } from "./report.ts";
import { watchInterrupts } from "../util/interrupt.ts";

/** Refuses an OUT that holds a run unless resuming it, and a resume of another run. */
export async function checkFidelityOut(cfg: FidelityConfig): Promise<void> {
  const sampleFile = `${cfg.out}/sample.json`;
  const exists = await pathExists(sampleFile);
  if (exists && !cfg.resume) {
    throw new Error(
      `${cfg.out} holds a fidelity run already; add --resume to continue it (or add settings), ` +
        `or choose another --out`,
    );
  }
  if (!exists && cfg.resume) {
    throw new Error(`--resume: no fidelity run in ${cfg.out} (no sample.json); start without it`);
  }
  if (exists) {
    const saved = JSON.parse(await Deno.readTextFile(sampleFile)) as SampleFile;
    const want = JSON.stringify(groundTruthDefinition(cfg));
    if (JSON.stringify(saved.definition) !== want) {
      throw new Error(
        `--resume: ${cfg.out} was sampled and trained with ${JSON.stringify(saved.definition)}; ` +
          `give the same space, data, --networks, --sample-seed and stand-alone recipe`,
      );
    }
  }
}

/** The sample: read from OUT, or drawn and written. */
async function sampleStage(cfg: FidelityConfig, log: (l: string) => void): Promise<SampleFile> {
  const sampleFile = `${cfg.out}/sample.json`;
  if (await pathExists(sampleFile)) {
    return JSON.parse(await Deno.readTextFile(sampleFile)) as SampleFile;
  }
  const probe = settingSearchConfig(cfg, cfg.settings[0]);
  const { space, costs } = await prepareSearch(probe);
  const sampled = stratifiedPaths(costs.choices, costs.madds, cfg.networks, cfg.sampleSeed);
  await Deno.mkdir(`${cfg.out}/networks`, { recursive: true });
  const networks: SampleEntry[] = [];
  for (const [i, s] of sampled.entries()) {
    const id = networkId(i);
    const spec = networkFromChoices(space, fullChoices(space, costs, s.path), `fidelity-${id}`);
    const file = `${cfg.out}/networks/${id}.json`;
    await atomicWrite(file, JSON.stringify(networkToJson(spec), null, 1));
    networks.push({ ...s, id, file, params: countNetwork(spec).total.weights });
  }
  const result: SampleFile = { definition: groundTruthDefinition(cfg), networks };
  await atomicWrite(sampleFile, JSON.stringify(result, null, 1));
  log(
    `fidelity: sampled ${networks.length} networks of ${cfg.space}, ` +
      `${(networks[0].madds / 1e6).toFixed(2)}M to ${
        (networks.at(-1)!.madds / 1e6).toFixed(2)
      }M MAdds`,
  );
  return result;
}

/** Every setting's scores file in OUT (this run's settings and earlier ones), by name. */
async function allSettingScores(out: string): Promise<SettingScores[]> {
  const found: SettingScores[] = [];
  if (!await pathExists(`${out}/supernet`)) return found;
  for await (const entry of Deno.readDir(`${out}/supernet`)) {
    if (!entry.isDirectory) continue;
    const s = await readSettingScores(`${out}/supernet/${entry.name}/scores.json`);
    if (s) found.push(s);
  }
  return found.sort((a, b) => a.setting.name.localeCompare(b.setting.name));
}

/** Runs every stage; returns (and writes) fidelity.json's content. */
export async function runFidelity(
  cfg: FidelityConfig,
  log: (line: string) => void = console.log,
): Promise<FidelityResult> {
  await checkFidelityOut(cfg);
  await Deno.mkdir(cfg.out, { recursive: true });
  // A signal stops the training or supernet in progress after its checkpoint.
  using _watch = watchInterrupts("fidelity");
  const sample = await sampleStage(cfg, log);
  const files = sample.networks.map((n) => n.file);
  const truth = await groundTruth(cfg.out, files, cfg.standalone, log);
  const paths = sample.networks.map((n) => n.path);
  for (const setting of cfg.settings) await scoreSetting(cfg, setting, paths, log);
  return await summarize(cfg, sample, truth);
}

/** The raw numbers of a fidelity run: what its statistics are computed from. */
interface RawResult {
  readonly definition: Record<string, unknown>;
  readonly networks: readonly SampleEntry[];
  /** Stand-alone test top-1, [network][seed]. */
  readonly truth: readonly (readonly number[])[];
  readonly settings: readonly (Omit<FidelityResult["settings"][number], "epochs"> & {
    readonly epochs: readonly Pick<EpochAgreement, "epoch" | "steps" | "scores" | "logPScores">[];
  })[];
  readonly standaloneCommand: string;
}

/** Every statistic of `raw` (top-k with `k`, bootstrap seeded with `seed`). */
function fidelityStatistics(raw: RawResult, k: number, seed: number): FidelityResult {
  const mean = meanOverSeeds(raw.truth);
  const stats = { k, seed };
  return {
    definition: raw.definition,
    networks: raw.networks.map((n, i) => ({
      ...n,
      standaloneTop1: [...raw.truth[i]],
      meanTop1: mean[i],
    })),
    noiseCeiling: noiseCeiling(raw.truth, stats),
    sizeBaselines: {
      madds: agreement(raw.networks.map((n) => n.madds), mean, stats),
      weights: agreement(raw.networks.map((n) => n.params), mean, stats),
    },
    settings: raw.settings.map((s) => ({
      ...s,
      epochs: s.epochs.map((e) => ({
        epoch: e.epoch,
        steps: e.steps,
        heldOut: agreement(e.scores, mean, stats),
        logP: e.logPScores ? agreement(e.logPScores, mean, stats) : null,
        scores: e.scores,
        logPScores: e.logPScores,
      })),
    })),
    standaloneCommand: raw.standaloneCommand,
  };
}

async function writeResult(out: string, result: FidelityResult): Promise<void> {
  await atomicWrite(`${out}/fidelity.json`, JSON.stringify(result, null, 1));
  await writeFidelityReport(out, result);
}

/** The statistics of every setting in OUT against the ground truth; writes the reports. */
export async function summarize(
  cfg: FidelityConfig,
  sample: SampleFile,
  truth: number[][],
): Promise<FidelityResult> {
  const settings = (await allSettingScores(cfg.out)).map((s) => ({
    setting: s.setting,
    command: `deno task search ${s.searchArgs.join(" ")}`,
    finished: s.finished,
    seconds: s.seconds,
    epochs: s.epochs.map((e) => ({
      epoch: e.epoch,
      steps: e.steps,
      scores: e.heldOutTop1,
      logPScores: e.logP,
    })),
  }));
  const first = sample.networks[0];
  const standaloneCommand = `deno task train ${
    standaloneArgs(
      cfg.standalone,
      first.file,
      cfg.standalone.seeds[0],
      standaloneFolder(cfg.out, 0, cfg.standalone.seeds[0]),
    ).join(" ")
  }`;
  const result = fidelityStatistics(
    {
      definition: sample.definition,
      networks: sample.networks,
      truth,
      settings,
      standaloneCommand,
    },
    cfg.topK,
    cfg.sampleSeed,
  );
  await writeResult(cfg.out, result);
  return result;
}

/**
 * Recomputes every statistic of the run in `out` from its fidelity.json (the stand-alone
 * accuracies, the settings' scores, the commands, top-k's k and the sample seed as they were)
 * and rewrites fidelity.json, report.md and the charts; nothing is trained.
 */
export async function rewriteFidelityReport(out: string): Promise<FidelityResult> {
  const file = `${out}/fidelity.json`;
  if (!await pathExists(file)) {
    throw new Error(`--report-only: no fidelity.json in ${out}; run the measurement first`);
  }
  const saved = JSON.parse(await Deno.readTextFile(file)) as FidelityResult;
  const networks = saved.networks.map(({ standaloneTop1: _t, meanTop1: _m, ...n }) => n);
  const seed = Number(saved.definition.sampleSeed ?? 0);
  const result = fidelityStatistics(
    {
      definition: saved.definition,
      networks,
      truth: saved.networks.map((n) => n.standaloneTop1),
      settings: saved.settings,
      standaloneCommand: saved.standaloneCommand,
    },
    saved.sizeBaselines.madds.k,
    seed,
  );
  await writeResult(out, result);
  return result;
}
