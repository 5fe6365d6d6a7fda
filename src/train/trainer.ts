/**
 * Training a network from scratch: SGD with Nesterov momentum, cosine learning rate
 * with linear warmup, weight decay on conv and linear weights only, label
 * smoothing; evaluation every epoch; metrics.jsonl, curves, checkpoints and resume.
 *
 * Checkpoints: at each epoch's end, every `checkpointEvery` (steps or wall time), and
 * when a signal stops the run (src/util/interrupt.ts: the step in progress finishes, an
 * evaluation in progress is abandoned). A run resumed from any of them, mid-epoch
 * included, ends bit-identical to an uninterrupted one: the data order is a function of
 * (seed, epoch, position), the dropout masks of (seed, step), and the checkpoint holds
 * the weights, BN statistics, momenta, counters and the metric sums as they stand.
 *
 * Loss and accuracy stay on the GPU (accumulateMetrics) and are read back every
 * `logEvery` steps, so a step never waits for the device.
 */
import type { Batch } from "../data/dataset.ts";
import type { DecodeStats } from "../data/decode_meter.ts";
import { DataLoader } from "../data/loader.ts";
import type { OpenedData } from "../data/data_spec.ts";
import { paramGroups } from "../nn/module.ts";
import { Sgd } from "../nn/optimizers.ts";
import type { Network } from "../networks/network.ts";
import { accumulateMetrics, softmaxCrossEntropy } from "../ops/cross_entropy.ts";
import { backward } from "../tensor/autograd.ts";
import { fillInto, fromArray, upload, zeros } from "../tensor/creation.ts";
import { tidy } from "../tensor/engine.ts";
import { writeLineChart } from "../report/line_chart.ts";
import { Progress } from "../util/progress.ts";
import { type EvalResult, evaluate, EvaluationStopped, metricsFrom } from "./evaluate.ts";
import { cosineLr, epochProgressPlan } from "./schedule.ts";
import {
  embeddedNetworkJson,
  openOnnxFile,
  readCheckpoint,
  writeCheckpoint,
} from "../onnx/checkpoint.ts";
import { exportOnnx } from "../onnx/export_network.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import {
  CheckpointClock,
  type CheckpointEvery,
  timedCheckpoint,
} from "../util/checkpoint_every.ts";
import {
  checkInterrupt,
  InterruptedError,
  interruptRequested,
  type InterruptSignal,
  testSignalPoint,
  watchInterrupts,
} from "../util/interrupt.ts";

export interface TrainConfig {
  epochs: number;
  batchSize: number;
  lr: number;
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
  labelSmoothing: number;
  warmupEpochs: number;
  seed: number;
  outDir: string;
  /** Read metrics back (one host sync) every this many steps. */
  logEvery: number;
  /**
   * Steps or wall time between step checkpoints (besides each epoch's end and a signal's);
   * `{ steps: 0 }`: none.
   */
  checkpointEvery: CheckpointEvery;
  resume: boolean;
  /** Stop after this many steps in total (tests and smoke runs); 0 = no limit. */
  maxSteps?: number;
  /**
   * Stop as an interruption would after this many steps: a checkpoint there, no epoch
   * record, no export.
   */
  stopAfter?: number;
  /** Evaluate on at most this many batches (smoke runs); 0 = all. */
  evalBatches?: number;
  quiet?: boolean;
}

/** One line of metrics.jsonl. */
export interface EpochRecord {
  epoch: number;
  steps: number;
  lr: number;
  trainLoss: number;
  trainTop1: number;
  val?: EvalResult;
  test: EvalResult;
  epochSeconds: number;
  imagesPerSecond: number;
  /** Seconds the training steps waited for the next batch (decoding or reading data). */
  dataWaitSeconds?: number;
}

/** What a checkpoint stores beside the weights. */
interface Counters {
  epoch: number;
  stepInEpoch: number;
  globalStep: number;
  optimizerSteps: number;
  trainSums: number[];
  /** The GPU's metric sums of the steps since the last readback (absent: none pending). */
  pendingMetrics?: number[];
  history: EpochRecord[];
  configSeed: number;
}

export class NonFiniteLossError extends Error {
  override name = "NonFiniteLossError";
}

/** Where a training run keeps its checkpoint (what `--resume` continues from). */
export function trainCheckpointPath(outDir: string): string {
  return `${outDir}/checkpoint.onnx`;
}

/** Trains `net` on `data`; returns the per-epoch records. */
export async function train(
  net: Network,
  data: OpenedData,
  cfg: TrainConfig,
): Promise<EpochRecord[]> {
  const run = await TrainingRun.open(net, data, cfg);
  using _watch = watchInterrupts("train");
  try {
    if (cfg.resume) await run.resume();
    return await run.epochs();
  } finally {
    run.dispose();
  }
}

/** How an epoch's steps ended: all run, or the run stopped (its records returned). */
type EpochSteps =
  | { readonly stopped: EpochRecord[] }
  | {
    readonly stopped: null;
    readonly trained: number;
    readonly lastLoss: number;
    readonly seconds: number;
  };

/**
 * A training run in progress: the loader, the optimiser, the metric sums on the GPU and
 * the counters a checkpoint holds. `epochs()` runs what is left, one epoch at a time:
 * its steps, its evaluation, its record and checkpoint.
 */
class TrainingRun {
  readonly log: (line: string) => void;
  readonly ckptPath: string;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** `--max-steps`, or Infinity. */
  readonly maxSteps: number;
  readonly clock: CheckpointClock;
  readonly trainMetrics = zeros([4], { name: "train.metrics", persistent: true });
  counters: Counters;

  private constructor(
    readonly net: Network,
    readonly data: OpenedData,
    readonly cfg: TrainConfig,
    readonly loader: DataLoader,
    readonly opt: Sgd,
  ) {
    this.log = cfg.quiet ? () => {} : (s: string) => console.log(s);
    this.ckptPath = trainCheckpointPath(cfg.outDir);
    this.stepsPerEpoch = loader.stepsPerEpoch;
    this.totalSteps = cfg.epochs * this.stepsPerEpoch;
    this.maxSteps = cfg.maxSteps && cfg.maxSteps > 0 ? cfg.maxSteps : Infinity;
    this.clock = new CheckpointClock(cfg.checkpointEvery);
    this.counters = {
      epoch: 0,
      stepInEpoch: 0,
      globalStep: 0,
      optimizerSteps: 0,
      trainSums: [0, 0, 0, 0],
      history: [],
      configSeed: cfg.seed,
    };
  }

  /** Checks what can be checked, then makes the output folder; nothing is trained yet. */
  static async open(net: Network, data: OpenedData, cfg: TrainConfig): Promise<TrainingRun> {
    const ckptPath = trainCheckpointPath(cfg.outDir);
    // Refusals come before the output folder exists, so they leave nothing behind.
    if (cfg.resume && !(await exists(ckptPath))) {
      throw new Error(`--resume: no checkpoint at ${ckptPath}; start without --resume`);
    }
    const loader = new DataLoader(data.train, {
      batchSize: cfg.batchSize,
      seed: cfg.seed,
      shuffle: true,
      dropLast: true, // one batch shape: kernels are compiled once (skipped images are refilled)
      prefetch: 3,
      unreadableListFile: `${cfg.outDir}/skipped_images.txt`,
    });
    if (loader.stepsPerEpoch < 1) {
      throw new Error(
        `train: ${data.train.length} training examples make no batch of ${cfg.batchSize}; lower --batch`,
      );
    }
    const opt = new Sgd(paramGroups(net.parameters(), cfg.weightDecay), {
      lr: cfg.lr,
      momentum: cfg.momentum,
      nesterov: cfg.nesterov,
    });
    await Deno.mkdir(cfg.outDir, { recursive: true });
    return new TrainingRun(net, data, cfg, loader, opt);
  }

  /** Continues from the checkpoint: weights, momenta, counters and the pending metrics. */
  async resume(): Promise<void> {
    const { cfg, ckptPath, opt } = this;
    await checkSameInput(ckptPath, this.net);
    this.counters = (await readCheckpoint(ckptPath, this.net, opt.state())) as unknown as Counters;
    if (this.counters.configSeed !== cfg.seed) {
      throw new Error(
        `--resume: checkpoint was made with seed ${this.counters.configSeed}, not ${cfg.seed}`,
      );
    }
    opt.stepCount = this.counters.optimizerSteps;
    const pending = this.counters.pendingMetrics;
    if (pending) upload(this.trainMetrics, Float32Array.from(pending));
    this.log(
      `resumed from ${ckptPath} at epoch ${this.counters.epoch + 1}, ` +
        `step ${this.counters.stepInEpoch}`,
    );
  }

  /** The epochs left, then the ONNX export; the records of every epoch. */
  async epochs(): Promise<EpochRecord[]> {
    const { cfg, counters } = this;
    this.net.train();
    for (let epoch = counters.epoch; epoch < cfg.epochs; epoch++) {
      const steps = await this.epochSteps(epoch);
      if (steps.stopped) return steps.stopped;
      const stopped = await this.endEpoch(epoch, steps.trained, steps.seconds);
      if (stopped) return stopped;
      if (this.counters.globalStep >= this.maxSteps) break;
    }
    const onnx = await exportOnnx(this.net, { foldBn: true });
    await atomicWrite(`${cfg.outDir}/model.onnx`, onnx);
    this.log(`wrote ${cfg.outDir}/model.onnx, metrics.jsonl, loss.png, accuracy.png`);
    return this.counters.history;
  }

  /** The training steps of epoch `epoch` (from where a resumed run stands). */
  private async epochSteps(epoch: number): Promise<EpochSteps> {
    const { cfg, counters } = this;
    const plan = epochProgressPlan({
      epoch,
      startStep: counters.stepInEpoch,
      globalStep: counters.globalStep,
      stepsPerEpoch: this.stepsPerEpoch,
      epochs: cfg.epochs,
      maxSteps: this.maxSteps,
    });
    const progress = new Progress({
      label: `epoch ${epoch + 1}/${plan.lastEpoch}`,
      total: plan.steps,
      unitsPerStep: cfg.batchSize,
      unitName: "img",
      ...(cfg.quiet ? { write: () => {} } : {}),
    });
    const epochStart = performance.now();
    this.data.train.decodeMeter?.reset(); // the epoch's own decode counts (evaluation adds)
    const startStep = counters.stepInEpoch;
    let lastLoss = NaN;
    for await (const batch of this.loader.epoch(epoch, startStep)) {
      const lr = this.step(batch);
      if (counters.stepInEpoch % cfg.logEvery === 0) {
        lastLoss = await this.drainMetrics();
        const s = counters.trainSums;
        progress.update(counters.stepInEpoch - startStep, {
          loss: lastLoss,
          acc: s[1] ? s[2] / s[1] : 0,
          lr,
        });
      }
      const signal = await checkInterrupt();
      if (signal || (cfg.stopAfter && counters.globalStep >= cfg.stopAfter)) {
        return { stopped: await this.stop(signal) };
      }
      if (this.clock.due(counters.globalStep)) {
        await timedCheckpoint(this.clock, () => this.saveCheckpoint());
      }
      if (counters.globalStep >= this.maxSteps) break;
    }
    await this.drainMetrics();
    const seconds = (performance.now() - epochStart) / 1000;
    const decode = this.loader.decodeStats();
    if (decode) this.log(imageInputLine(this.loader.stats.waitSeconds, seconds, decode));
    const trained = counters.stepInEpoch - startStep;
    if (trained > 0) progress.update(trained, { loss: lastLoss }, true);
    return { stopped: null, trained, lastLoss, seconds };
  }

  /** One SGD step on `batch` at the schedule's learning rate; returns that rate. */
  private step(batch: Batch): number {
    const { cfg, counters, opt, net } = this;
    const [c, h, w] = this.data.shape;
    const lr = cosineLr({
      baseLr: cfg.lr,
      totalSteps: this.totalSteps,
      warmupSteps: Math.round(cfg.warmupEpochs * this.stepsPerEpoch),
    }, counters.globalStep);
    opt.lr = lr;
    tidy(() => {
      const x = fromArray([batch.n, c, h, w], batch.x, { name: "images" });
      const y = fromArray([batch.n], batch.labels, { name: "labels" });
      opt.zeroGrad();
      // The dropout mask is a function of (seed, step): a resumed run redraws it exactly.
      net.dropout.seed = cfg.seed;
      net.dropout.step = counters.globalStep;
      const logits = net.forward(x);
      const loss = softmaxCrossEntropy(logits, y, { labelSmoothing: cfg.labelSmoothing });
      accumulateMetrics(this.trainMetrics, loss, logits, y, Math.min(5, logits.shape[1]));
      backward(loss);
      opt.step();
    });
    counters.globalStep++;
    counters.stepInEpoch++;
    testSignalPoint("step", counters.globalStep);
    return lr;
  }

  /**
   * Evaluates the epoch, records it, writes metrics.jsonl, the curves and the
   * checkpoint; the records when a signal stopped the run here, else null.
   */
  private async endEpoch(
    epoch: number,
    trained: number,
    epochSeconds: number,
  ): Promise<EpochRecord[] | null> {
    const { cfg, counters } = this;
    const evaluated = await this.evaluateEpoch();
    if ("stopped" in evaluated) return evaluated.stopped;
    const { val, test } = evaluated;
    const train = metricsFrom(counters.trainSums);
    const record: EpochRecord = {
      epoch: epoch + 1,
      steps: counters.globalStep,
      lr: this.opt.lr,
      trainLoss: train.loss,
      trainTop1: train.top1,
      ...(val ? { val } : {}),
      test,
      epochSeconds,
      imagesPerSecond: (trained * cfg.batchSize) / epochSeconds,
      dataWaitSeconds: this.loader.stats.waitSeconds,
    };
    counters.history.push(record);
    this.log(
      `epoch ${epoch + 1}: train loss ${train.loss.toFixed(4)} top-1 ${pct(train.top1)}` +
        (val ? ` | val loss ${val.loss.toFixed(4)} top-1 ${pct(val.top1)}` : "") +
        ` | test loss ${test.loss.toFixed(4)} top-1 ${pct(test.top1)} top-5 ${pct(test.top5)}` +
        ` | ${epochSeconds.toFixed(0)} s, ${record.imagesPerSecond.toFixed(1)} img/s`,
    );
    counters.epoch = epoch + 1;
    counters.stepInEpoch = 0;
    counters.trainSums = [0, 0, 0, 0];
    await writeHistory(cfg.outDir, counters.history);
    await timedCheckpoint(this.clock, () => this.saveCheckpoint());
    const signal = await checkInterrupt();
    if (signal && counters.epoch < cfg.epochs && counters.globalStep < this.maxSteps) {
      throw new InterruptedError(
        signal,
        `${signal}: stopped after ${this.where()}; checkpoint ${this.ckptPath}`,
      );
    }
    return null;
  }

  /**
   * Validation (where there is a split) and test. A signal abandons the evaluation: the
   * checkpoint is the end of the epoch's steps, and the resumed run evaluates again.
   */
  private async evaluateEpoch(): Promise<
    { val: EvalResult | undefined; test: EvalResult } | { stopped: EpochRecord[] }
  > {
    const { cfg, data, net } = this;
    const evalOpts = {
      labelSmoothing: 0,
      maxBatches: cfg.evalBatches,
      shouldStop: async () => (await checkInterrupt()) !== null,
    };
    try {
      const val = data.val ? await evaluate(net, data.val, cfg.batchSize, evalOpts) : undefined;
      const test = await evaluate(net, data.test, cfg.batchSize, evalOpts);
      return { val, test };
    } catch (err) {
      if (err instanceof EvaluationStopped) {
        return { stopped: await this.stop(interruptRequested()!) };
      }
      throw err;
    }
  }

  /**
   * Writes the checkpoint. The metrics of the steps since the last readback stay on the
   * GPU (read, not drained: when checkpoints fall must not change how the sums round).
   */
  async saveCheckpoint(): Promise<void> {
    this.counters.optimizerSteps = this.opt.stepCount;
    this.counters.pendingMetrics = Array.from(await this.trainMetrics.read());
    await writeCheckpoint(this.ckptPath, this.net, {
      optimizerState: this.opt.state(),
      counters: this.counters as unknown as Record<string, unknown>,
    });
  }

  /** Folds the GPU training metrics into the host sums (one sync); the window's loss. */
  private async drainMetrics(): Promise<number> {
    const m = await this.trainMetrics.read();
    fillInto(this.trainMetrics, 0);
    for (let i = 0; i < 4; i++) this.counters.trainSums[i] += m[i];
    const lossNow = m[1] > 0 ? m[0] / m[1] : NaN;
    if (m[1] > 0 && !Number.isFinite(lossNow)) {
      throw new NonFiniteLossError(
        `loss became ${lossNow} by step ${this.counters.globalStep}; last good checkpoint: ` +
          (await exists(this.ckptPath) ? this.ckptPath : "none yet"),
      );
    }
    return lossNow;
  }

  /** Where the run stands, for the line that says where it stopped. */
  private where(): string {
    const { counters } = this;
    return `step ${counters.globalStep} of ${Math.min(this.totalSteps, this.maxSteps)} (epoch ` +
      `${counters.epoch + 1}/${this.cfg.epochs}, ${counters.stepInEpoch}/${this.stepsPerEpoch})`;
  }

  /** The checkpoint, then the end of the run: `--stop-after` returns, a signal throws. */
  private async stop(signal: InterruptSignal | null): Promise<EpochRecord[]> {
    await timedCheckpoint(this.clock, () => this.saveCheckpoint());
    if (signal) {
      throw new InterruptedError(
        signal,
        `${signal}: stopped after ${this.where()}; checkpoint ${this.ckptPath}`,
      );
    }
    this.log(
      `stopped after ${this.where()} (--stop-after); checkpoint ${this.ckptPath}; ` +
        "continue with --resume",
    );
    return this.counters.history;
  }

  dispose(): void {
    this.trainMetrics.dispose();
    this.opt.dispose();
  }
}

/**
 * One line on image decoding for the epoch: how long the steps waited for decoded
 * batches (the number that says whether decoding limits training), and the decode
 * rate over the time decodes were in flight, which shares the CPU with training.
 */
function imageInputLine(waitSeconds: number, epochSeconds: number, decode: DecodeStats): string {
  const share = epochSeconds > 0 ? (100 * waitSeconds) / epochSeconds : 0;
  return `image input: steps waited ${waitSeconds.toFixed(1)} s of ${epochSeconds.toFixed(0)} s ` +
    `(${share.toFixed(1)}%) for decoded batches; ${decode.decoded} images decoded, ` +
    `${decode.imagesPerSecond.toFixed(1)}/s while decodes were in flight (sharing the CPU ` +
    `with training)` + (decode.failed > 0 ? `, ${decode.failed} unreadable` : "");
}

function pct(v: number): string {
  return `${(100 * v).toFixed(2)}%`;
}

/**
 * A resumed run must see images of the size it started with: the weights would load
 * at any size (global pooling), so a changed --image-size would go unnoticed.
 */
async function checkSameInput(ckptPath: string, net: Network): Promise<void> {
  const json = embeddedNetworkJson(await openOnnxFile(ckptPath));
  if (json === undefined) return;
  const saved = (JSON.parse(json) as { input?: { channels: number; size: number } }).input;
  const now = net.spec.input;
  if (saved && (saved.size !== now.size || saved.channels !== now.channels)) {
    throw new Error(
      `--resume: ${ckptPath} was trained on ${saved.channels}×${saved.size}² inputs, this run ` +
        `has ${now.channels}×${now.size}²; use the same --image-size and data`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

async function writeHistory(outDir: string, history: EpochRecord[]): Promise<void> {
  await atomicWrite(
    `${outDir}/metrics.jsonl`,
    history.map((r) => JSON.stringify(r)).join("\n") + "\n",
  );
  const xs = history.map((r) => r.epoch);
  const series = (name: string, ys: number[]) => ({
    name,
    points: xs.map((x, i) => [x, ys[i]] as [number, number]),
  });
  await writeLineChart(`${outDir}/loss`, [
    series("train", history.map((r) => r.trainLoss)),
    ...(history[0]?.val ? [series("val", history.map((r) => r.val!.loss))] : []),
    series("test", history.map((r) => r.test.loss)),
  ], { title: "Loss", xLabel: "epoch", yLabel: "cross-entropy" });
  await writeLineChart(`${outDir}/accuracy`, [
    series("train top-1", history.map((r) => r.trainTop1)),
    ...(history[0]?.val ? [series("val top-1", history.map((r) => r.val!.top1))] : []),
    series("test top-1", history.map((r) => r.test.top1)),
    series("test top-5", history.map((r) => r.test.top5)),
  ], { title: "Accuracy", xLabel: "epoch", yLabel: "fraction correct" });
}
