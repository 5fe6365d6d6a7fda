/**
 * The true ranking of the three networks: each trained standalone with the same recipe,
 * budget and data (`deno task train`'s trainer), for every seed; ranked by their mean
 * test top-1. Each training lives in its own folder, so a resumed run skips the
 * finished ones and continues an interrupted one from its checkpoint.
 */
import { buildNetwork } from "../networks/network.ts";
import { countNetwork } from "../space/counting.ts";
import type { NetworkSpec } from "../space/network_spec.ts";
import { type EpochRecord, train } from "../train/trainer.ts";
import { DEFAULT_CHECKPOINT_EVERY, parseCheckpointEvery } from "../util/checkpoint_every.ts";
import { Rng } from "../util/rng.ts";
import type { RankConfig } from "./config.ts";
import type { RankData } from "./rank_data.ts";
import { worstToBest } from "./ranking.ts";

/** One standalone training. */
export interface StandaloneResult {
  seed: number;
  testTop1: number;
  testLoss: number;
  /** Wall time of the training epochs (evaluation excluded). */
  trainSeconds: number;
  imagesPerSecond: number;
}

/** One network of the experiment and its standalone results. */
export interface RankedNetwork {
  /** Blocks per stage; the paper's Net1..Net3 are the networks by rank, worst first. */
  depth: number;
  spec: NetworkSpec;
  madds: number;
  params: number;
  runs: StandaloneResult[];
  meanTestTop1: number;
}

/** The measured ranking. */
export interface TrueRanking {
  networks: RankedNetwork[];
  /** Network indices from the lowest mean test top-1 to the highest. */
  order: number[];
  /** Per seed, the order that seed alone gives. */
  orderBySeed: number[][];
  /** Whether every seed gives the same order. */
  seedsAgree: boolean;
  /**
   * Smallest gap in mean test top-1 between neighbours of the order, and the largest
   * spread (max − min over seeds) of any network: a gap below the spread is no
   * reliable ranking.
   */
  smallestGap: number;
  largestSpread: number;
}

/** Folder of one standalone training under the run's output folder. */
export function standaloneDir(out: string, index: number, depth: number, seed: number): string {
  return `${out}/true/net${index + 1}-depth${depth}-seed${seed}`;
}

/**
 * The finished training's epoch records, or null when it has not finished. A training
 * whose metrics.jsonl holds every epoch is finished, with or without its model.onnx
 * (docs/ keeps the metrics of a run, not its weights, and can be resumed from).
 */
async function finishedRecords(dir: string, epochs: number): Promise<EpochRecord[] | null> {
  try {
    const lines = (await Deno.readTextFile(`${dir}/metrics.jsonl`)).trim().split("\n");
    const records = lines.map((l) => JSON.parse(l) as EpochRecord);
    return records.length === epochs ? records : null;
  } catch {
    return null;
  }
}

/** Trains (or, on resume, reads) every network for every seed and ranks them. */
export async function measureTrueRanking(
  specs: readonly NetworkSpec[],
  depths: readonly number[],
  data: RankData,
  cfg: RankConfig,
  log: (line: string) => void,
): Promise<TrueRanking> {
  const seeds = Array.from({ length: cfg.trueSeeds }, (_, s) => cfg.seed + s);
  const total = specs.length * seeds.length;
  const networks: RankedNetwork[] = specs.map((spec, i) => {
    const count = countNetwork(spec);
    return {
      depth: depths[i],
      spec,
      madds: count.total.madds,
      params: count.total.params,
      runs: [],
      meanTestTop1: NaN,
    };
  });
  let done = 0;
  for (const seed of seeds) {
    for (const [i, spec] of specs.entries()) {
      done++;
      const dir = standaloneDir(cfg.out, i, depths[i], seed);
      let records = await finishedRecords(dir, cfg.trueEpochs);
      if (records) {
        log(`true ranking ${done}/${total}: ${spec.name} seed ${seed} done before, skipped`);
      } else {
        const resume = cfg.resume &&
          await Deno.stat(`${dir}/checkpoint.onnx`).then(() => true, () => false);
        log(
          `true ranking ${done}/${total}: training ${spec.name} seed ${seed} ` +
            `(${cfg.trueEpochs} epochs × ${data.train.length} images)${resume ? ", resumed" : ""}`,
        );
        const net = buildNetwork(spec, new Rng(seed));
        try {
          records = await train(net, {
            ...data.opened,
            train: data.train,
            val: null,
            test: data.test,
          }, {
            epochs: cfg.trueEpochs,
            batchSize: cfg.batchSize,
            lr: cfg.weightLr,
            momentum: cfg.momentum,
            nesterov: true,
            weightDecay: cfg.weightDecay,
            labelSmoothing: cfg.labelSmoothing,
            warmupEpochs: cfg.lrWarmupEpochs,
            seed,
            outDir: dir,
            logEvery: cfg.logEvery,
            // What kill -9 may lose (a signal checkpoints at once, whatever this says).
            checkpointEvery: parseCheckpointEvery(DEFAULT_CHECKPOINT_EVERY),
            resume,
            quiet: false,
          });
        } finally {
          net.dispose();
        }
      }
      const last = records.at(-1)!;
      networks[i].runs.push({
        seed,
        testTop1: last.test.top1,
        testLoss: last.test.loss,
        trainSeconds: records.reduce((s, r) => s + r.epochSeconds, 0),
        imagesPerSecond: records.reduce((s, r) => s + r.imagesPerSecond, 0) / records.length,
      });
    }
  }
  return rankNetworks(networks, seeds);
}

/** Means, orders and the gap-versus-spread check from the standalone results. */
export function rankNetworks(networks: RankedNetwork[], seeds: readonly number[]): TrueRanking {
  for (const n of networks) {
    n.meanTestTop1 = n.runs.reduce((s, r) => s + r.testTop1, 0) / n.runs.length;
  }
  const order = worstToBest(networks.map((n) => n.meanTestTop1));
  const orderBySeed = seeds.map((_, s) => worstToBest(networks.map((n) => n.runs[s].testTop1)));
  const seedsAgree = orderBySeed.every((o) => o.join() === order.join());
  let smallestGap = Infinity;
  for (let r = 1; r < order.length; r++) {
    smallestGap = Math.min(
      smallestGap,
      networks[order[r]].meanTestTop1 - networks[order[r - 1]].meanTestTop1,
    );
  }
  const largestSpread = Math.max(
    ...networks.map((n) => {
      const top1 = n.runs.map((r) => r.testTop1);
      return Math.max(...top1) - Math.min(...top1);
    }),
  );
  return { networks, order, orderBySeed, seedsAgree, smallestGap, largestSpread };
}
