/**
 * `deno task rank`: the fitness-robustness experiment of the paper (Table 6) end to end.
 *
 *   1. true ranking: the three networks trained standalone (true_ranking.ts);
 *   2. for every initial setting (Table 6's rows, assigned by the measured ranking), a
 *      fitness run over the three as the paths of one supernet (fitness_run.ts);
 *   3. rank.json, report.md and charts (report.ts), rewritten after every stage so that
 *      a long run shows its results as they come.
 *
 * Resume: every standalone training keeps its own folder and checkpoint, every fitness
 * run writes fitness/row<S/N>-x<scale>.json when it ends; `--resume` skips what is finished.
 */
import { engine } from "../tensor/engine.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { checkInterrupt, InterruptedError, watchInterrupts } from "../util/interrupt.ts";
import { PATH_SAMPLING_MODES } from "../supernet/path_sampling.ts";
import { type RankConfig, rankConfigToJson, resultDefiningSettings } from "./config.ts";
import { depthNetwork } from "./depth_family.ts";
import { runFitness } from "./fitness_run.ts";
import { alphaByNetwork, isReverseOrder, table6Settings } from "./initial_alphas.ts";
import { openRankData } from "./rank_data.ts";
import {
  RANK_RESULT_FORMAT,
  type RankResult,
  type SettingResult,
  settingResult,
} from "./rank_result.ts";
import { writeRankReport } from "./report.ts";
import { measureTrueRanking } from "./true_ranking.ts";

async function readJson(path: string): Promise<unknown | null> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

/**
 * Checks the output folder before anything is written: a fresh run needs a folder
 * without a previous run; `--resume` needs one made with the same settings.
 */
export async function checkOutFolder(cfg: RankConfig): Promise<void> {
  const saved = await readJson(`${cfg.out}/config.json`) as Record<string, unknown> | null;
  if (!cfg.resume) {
    if (saved) {
      throw new Error(
        `${cfg.out} already holds a rank run; pass --resume to continue it or choose another --out`,
      );
    }
    return;
  }
  if (!saved) throw new Error(`--resume: no rank run in ${cfg.out}; start without --resume`);
  const now = resultDefiningSettings(cfg);
  const before = resultDefiningSettings(saved as unknown as RankConfig);
  for (const key of Object.keys(now)) {
    if (JSON.stringify(now[key]) !== JSON.stringify(before[key])) {
      throw new Error(
        `--resume: ${cfg.out} was run with ${key} = ${JSON.stringify(before[key])}, ` +
          `this run has ${JSON.stringify(now[key])}; resume with the same flags`,
      );
    }
  }
}

/**
 * Every finished fitness run in `out` (this run's and earlier ones' made with other
 * rows, scales or path sampling), in table order: path sampling, scale, row.
 */
async function finishedSettings(out: string, order: readonly number[]): Promise<SettingResult[]> {
  const found: SettingResult[] = [];
  for await (const entry of Deno.readDir(`${out}/fitness`)) {
    if (!entry.isFile || !entry.name.endsWith(".json")) continue;
    const s = await readJson(`${out}/fitness/${entry.name}`) as SettingResult;
    if (s.order.join() === order.join()) found.push(s);
  }
  const sampling = (s: SettingResult) => PATH_SAMPLING_MODES.indexOf(s.pathSampling);
  return found.sort((a, b) => sampling(a) - sampling(b) || a.scale - b.scale || a.row - b.row);
}

/** Runs the experiment; writes everything under `cfg.out` and returns rank.json's content. */
export async function runRank(
  cfg: RankConfig,
  log: (line: string) => void = console.log,
): Promise<RankResult> {
  await checkOutFolder(cfg);
  const data = await openRankData(cfg);
  const [channels, size] = data.shape;
  const specs = cfg.depths.map((d) => depthNetwork(d, { channels, size }, data.classes));
  const settings = table6Settings(
    cfg.rows,
    cfg.alphaScales,
    cfg.pathSampling === "proportional" ? "" : `-${cfg.pathSampling}`,
  );
  await Deno.mkdir(`${cfg.out}/fitness`, { recursive: true });
  await atomicWrite(`${cfg.out}/config.json`, JSON.stringify(rankConfigToJson(cfg), null, 1));

  const t0 = performance.now();
  // A signal stops the training or fitness run in progress (src/util/interrupt.ts), or
  // the command before the next fitness run.
  using _watch = watchInterrupts("rank");
  const truth = await measureTrueRanking(specs, cfg.depths, data, cfg, log);
  const result: RankResult = {
    format: RANK_RESULT_FORMAT,
    config: rankConfigToJson(cfg),
    adapter: engine.gpu.info.description,
    truth,
    settings: await finishedSettings(cfg.out, truth.order),
    seconds: { standaloneTraining: 0, fitness: 0, wall: 0 },
  };
  const report = async () => {
    result.seconds = {
      standaloneTraining: truth.networks.flatMap((n) => n.runs).reduce(
        (s, r) => s + r.trainSeconds,
        0,
      ),
      fitness: result.settings.reduce((s, r) => s + r.seconds, 0),
      wall: (performance.now() - t0) / 1000,
    };
    await writeRankReport(cfg.out, result);
  };
  log(
    `true order (worst → best): ${
      truth.order.map((i) =>
        `${specs[i].name} ${(100 * truth.networks[i].meanTestTop1).toFixed(2)}%`
      )
        .join(" < ")
    }`,
  );
  await report();

  for (const [k, setting] of settings.entries()) {
    const signal = await checkInterrupt();
    if (signal) throw new InterruptedError(signal, `${signal}: stopped before ${setting.id}`);
    const path = `${cfg.out}/fitness/${setting.id}.json`;
    const alpha = alphaByNetwork(setting, truth.order);
    const saved = cfg.resume ? await readJson(path) as SettingResult | null : null;
    let done: SettingResult;
    if (saved && saved.order.join() === truth.order.join()) {
      log(`fitness ${k + 1}/${settings.length}: ${setting.id} done before, skipped`);
      done = saved;
    } else {
      const label = `fitness ${k + 1}/${settings.length} (${setting.id})`;
      log(`${label}: initial α ${alpha.map((a) => a.toFixed(3)).join(", ")} (by network)`);
      const run = await runFitness(specs, alpha, data, cfg, label);
      done = settingResult(
        setting,
        cfg.pathSampling,
        truth.order,
        isReverseOrder(alpha, truth.order),
        run,
      );
      await atomicWrite(path, JSON.stringify(done));
    }
    log(
      `  ${setting.id}: correct order from epoch ${done.epochsToCorrectOrder ?? "—"} ` +
        `(final α ${done.epochs.at(-1)!.alpha.map((a) => a.toFixed(2)).join(", ")})`,
    );
    result.settings = await finishedSettings(cfg.out, truth.order);
    await report();
  }
  log(`rank: wrote ${cfg.out}/rank.json, report.md, order_margin_x*.png, alpha_row*.png`);
  return result;
}
