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
  /** The GPU's metric sums of the steps since the last readback (absent in older files). */
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
  const log = cfg.quiet ? () => {} : (s: string) => console.log(s);
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
  const stepsPerEpoch = loader.stepsPerEpoch;
  if (stepsPerEpoch < 1) {
    throw new Error(
      `train: ${data.train.length} training examples make no batch of ${cfg.batchSize}; lower --batch`,
    );
  }
  const totalSteps = cfg.epochs * stepsPerEpoch;
  const params = net.parameters();
  const opt = new Sgd(paramGroups(params, cfg.weightDecay), {
    lr: cfg.lr,
    momentum: cfg.momentum,
    nesterov: cfg.nesterov,
  });
  await Deno.mkdir(cfg.outDir, { recursive: true });
  const trainMetrics = zeros([4], { name: "train.metrics", persistent: true });
  let counters: Counters = {
    epoch: 0,
    stepInEpoch: 0,
    globalStep: 0,
    optimizerSteps: 0,
    trainSums: [0, 0, 0, 0],
    history: [],
    configSeed: cfg.seed,
  };
  if (cfg.resume) {
    await checkSameInput(ckptPath, net);
    counters = (await readCheckpoint(ckptPath, net, opt.state())) as unknown as Counters;
    if (counters.configSeed !== cfg.seed) {
      throw new Error(
        `--resume: checkpoint was made with seed ${counters.configSeed}, not ${cfg.seed}`,
      );
    }
    opt.stepCount = counters.optimizerSteps;
    if (counters.pendingMetrics) upload(trainMetrics, Float32Array.from(counters.pendingMetrics));
    log(`resumed from ${ckptPath} at epoch ${counters.epoch + 1}, step ${counters.stepInEpoch}`);
  }

  /**
   * Writes the checkpoint. The metrics of the steps since the last readback stay on the
   * GPU (read, not drained: when checkpoints fall must not change how the sums round).
   */
  const saveCheckpoint = async () => {
    counters.optimizerSteps = opt.stepCount;
    counters.pendingMetrics = Array.from(await trainMetrics.read());
    await writeCheckpoint(ckptPath, net, {
      optimizerState: opt.state(),
      counters: counters as unknown as Record<string, unknown>,
    });
  };
  /** Folds the GPU training metrics into the host sums (one sync). */
  const drainMetrics = async () => {
    const m = await trainMetrics.read();
    fillInto(trainMetrics, 0);
    for (let i = 0; i < 4; i++) counters.trainSums[i] += m[i];
    const lossNow = m[1] > 0 ? m[0] / m[1] : NaN;
    if (m[1] > 0 && !Number.isFinite(lossNow)) {
      throw new NonFiniteLossError(
        `loss became ${lossNow} by step ${counters.globalStep}; last good checkpoint: ` +
          (await exists(ckptPath) ? ckptPath : "none yet"),
      );
    }
    return lossNow;
  };

  const [c, h, w] = data.shape;
  const maxSteps = cfg.maxSteps && cfg.maxSteps > 0 ? cfg.maxSteps : Infinity;
  const clock = new CheckpointClock(cfg.checkpointEvery);
  /** Where the run stands, for the line that says where it stopped. */
  const where = () =>
    `step ${counters.globalStep} of ${Math.min(totalSteps, maxSteps)} (epoch ` +
    `${counters.epoch + 1}/${cfg.epochs}, ${counters.stepInEpoch}/${stepsPerEpoch})`;
  /** The checkpoint, then the end of the run: `--stop-after` returns, a signal throws. */
  const stop = async (signal: InterruptSignal | null): Promise<EpochRecord[]> => {
    await timedCheckpoint(clock, saveCheckpoint);
    if (signal) {
      throw new InterruptedError(
        signal,
        `${signal}: stopped after ${where()}; checkpoint ${ckptPath}`,
      );
    }
    log(`stopped after ${where()} (--stop-after); checkpoint ${ckptPath}; continue with --resume`);
    return counters.history;
  };
  using _watch = watchInterrupts("train");
  try {
    net.train();
    for (let epoch = counters.epoch; epoch < cfg.epochs; epoch++) {
      const plan = epochProgressPlan({
        epoch,
        startStep: counters.stepInEpoch,
        globalStep: counters.globalStep,
        stepsPerEpoch,
        epochs: cfg.epochs,
        maxSteps,
      });
      const progress = new Progress({
        label: `epoch ${epoch + 1}/${plan.lastEpoch}`,
        total: plan.steps,
        unitsPerStep: cfg.batchSize,
        unitName: "img",
        ...(cfg.quiet ? { write: () => {} } : {}),
      });
      const epochStart = performance.now();
      data.train.decodeMeter?.reset(); // the epoch's own decode counts (evaluation adds to them)
      const startStep = counters.stepInEpoch;
      let lastLoss = NaN;
      for await (const batch of loader.epoch(epoch, startStep)) {
        const lr = cosineLr({
          baseLr: cfg.lr,
          totalSteps,
          warmupSteps: Math.round(cfg.warmupEpochs * stepsPerEpoch),
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
          accumulateMetrics(trainMetrics, loss, logits, y, Math.min(5, logits.shape[1]));
          backward(loss);
          opt.step();
        });
        counters.globalStep++;
        counters.stepInEpoch++;
        testSignalPoint("step", counters.globalStep);
        if (counters.stepInEpoch % cfg.logEvery === 0) {
          lastLoss = await drainMetrics();
          const s = counters.trainSums;
          progress.update(counters.stepInEpoch - startStep, {
            loss: lastLoss,
            acc: s[1] ? s[2] / s[1] : 0,
            lr,
          });
        }
        const signal = await checkInterrupt();
        if (signal || (cfg.stopAfter && counters.globalStep >= cfg.stopAfter)) {
          return await stop(signal);
        }
        if (clock.due(counters.globalStep)) await timedCheckpoint(clock, saveCheckpoint);
        if (counters.globalStep >= maxSteps) break;
      }
      await drainMetrics();
      const epochSeconds = (performance.now() - epochStart) / 1000;
      const decode = loader.decodeStats();
      if (decode) log(imageInputLine(loader.stats.waitSeconds, epochSeconds, decode));
      const trained = counters.stepInEpoch - startStep;
      if (trained > 0) progress.update(trained, { loss: lastLoss }, true);
      // A signal abandons the evaluation: the checkpoint is the end of the epoch's steps,
      // and the resumed run evaluates again.
      const evalOpts = {
        labelSmoothing: 0,
        maxBatches: cfg.evalBatches,
        shouldStop: async () => (await checkInterrupt()) !== null,
      };
      let val: EvalResult | undefined;
      let test: EvalResult;
      try {
        val = data.val ? await evaluate(net, data.val, cfg.batchSize, evalOpts) : undefined;
        test = await evaluate(net, data.test, cfg.batchSize, evalOpts);
      } catch (err) {
        if (err instanceof EvaluationStopped) return await stop(interruptRequested()!);
        throw err;
      }
      const train = metricsFrom(counters.trainSums);
      const record: EpochRecord = {
        epoch: epoch + 1,
        steps: counters.globalStep,
        lr: opt.lr,
        trainLoss: train.loss,
        trainTop1: train.top1,
        ...(val ? { val } : {}),
        test,
        epochSeconds,
        imagesPerSecond: (trained * cfg.batchSize) / epochSeconds,
        dataWaitSeconds: loader.stats.waitSeconds,
      };
      counters.history.push(record);
      log(
        `epoch ${epoch + 1}: train loss ${train.loss.toFixed(4)} top-1 ${pct(train.top1)}` +
          (val ? ` | val loss ${val.loss.toFixed(4)} top-1 ${pct(val.top1)}` : "") +
          ` | test loss ${test.loss.toFixed(4)} top-1 ${pct(test.top1)} top-5 ${pct(test.top5)}` +
          ` | ${epochSeconds.toFixed(0)} s, ${record.imagesPerSecond.toFixed(1)} img/s`,
      );
      counters.epoch = epoch + 1;
      counters.stepInEpoch = 0;
      counters.trainSums = [0, 0, 0, 0];
      await writeHistory(cfg.outDir, counters.history);
      await timedCheckpoint(clock, saveCheckpoint);
      const signal = await checkInterrupt();
      if (signal && counters.epoch < cfg.epochs && counters.globalStep < maxSteps) {
        throw new InterruptedError(
          signal,
          `${signal}: stopped after ${where()}; checkpoint ${ckptPath}`,
        );
      }
      if (counters.globalStep >= maxSteps) break;
    }
    const onnx = await exportOnnx(net, { foldBn: true });
    await atomicWrite(`${cfg.outDir}/model.onnx`, onnx);
    log(`wrote ${cfg.outDir}/model.onnx, metrics.jsonl, loss.png, accuracy.png`);
    return counters.history;
  } finally {
    trainMetrics.dispose();
    opt.dispose();
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
