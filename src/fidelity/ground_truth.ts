/**
 * The ground truth: every sampled network trained alone with one fixed recipe on each
 * seed, through `deno task train`'s own library (the same code a user trains with).
 * Each training has its folder; a finished one (metrics.jsonl and model.onnx written)
 * is read back instead of trained again, and an interrupted one continues from its
 * checkpoint, so a fidelity run can be stopped at any point and every later supernet
 * setting is compared against the same trainings.
 */
import {
  DEFAULT_TRAIN_SETTINGS,
  prepareTraining,
  runTraining,
  type TrainRequest,
  trainRequest,
} from "../train/train_command.ts";
import { trainCheckpointPath } from "../train/trainer.ts";
import { allPathsExist, pathExists } from "../util/output_folder.ts";
import { Progress } from "../util/progress.ts";
import type { StandaloneRecipe } from "./config.ts";

/** Where the training of network `index` on `seed` writes. */
export function standaloneFolder(out: string, index: number, seed: number): string {
  return `${out}/ground-truth/${networkId(index)}/seed-${seed}`;
}

/** "net-03". */
export function networkId(index: number): string {
  return `net-${String(index).padStart(2, "0")}`;
}

/** The `deno task train` flags of one training, for the report (what `standaloneRequest` runs). */
export function standaloneArgs(
  recipe: StandaloneRecipe,
  networkFile: string,
  seed: number,
  out: string,
): string[] {
  return [
    "--arch",
    networkFile,
    "--epochs",
    String(recipe.epochs),
    "--train-images",
    String(recipe.trainImages),
    "--batch",
    String(recipe.batchSize),
    "--eval-batches",
    String(Math.ceil(recipe.testImages / recipe.batchSize)),
    "--seed",
    String(seed),
    "--checkpoint-every",
    "0",
    "--out",
    out,
  ];
}

/**
 * The training request of one stand-alone training: `deno task train`'s defaults with the
 * recipe, the network, the seed and the folder set, typed (what `standaloneArgs` says).
 */
export function standaloneRequest(
  recipe: StandaloneRecipe,
  networkFile: string,
  seed: number,
  out: string,
  resume = false,
): TrainRequest {
  return trainRequest({
    ...DEFAULT_TRAIN_SETTINGS,
    arch: networkFile,
    trainImages: recipe.trainImages,
    epochs: recipe.epochs,
    batchSize: recipe.batchSize,
    evalBatches: Math.ceil(recipe.testImages / recipe.batchSize),
    seed,
    checkpointEvery: { steps: 0 },
    out,
    quiet: true,
    resume,
  });
}

/** The test top-1 of a finished training (the last epoch of its metrics.jsonl). */
async function finishedTop1(folder: string): Promise<number | null> {
  if (!await allPathsExist([`${folder}/metrics.jsonl`, `${folder}/model.onnx`])) return null;
  const lines = (await Deno.readTextFile(`${folder}/metrics.jsonl`)).trim().split("\n");
  const last = JSON.parse(lines[lines.length - 1]) as { test?: { top1?: number } };
  if (typeof last.test?.top1 !== "number") {
    throw new Error(`${folder}/metrics.jsonl: its last line has no test.top1`);
  }
  return last.test.top1;
}

/**
 * Trains what is missing; returns test top-1 per network and seed ([network][seed
 * index]). `networkFiles[i]` is network i's spec file.
 */
export async function groundTruth(
  out: string,
  networkFiles: readonly string[],
  recipe: StandaloneRecipe,
  log: (line: string) => void,
): Promise<number[][]> {
  const jobs = networkFiles.flatMap((file, i) =>
    recipe.seeds.map((seed, s) => ({ file, i, s, seed }))
  );
  const top1 = networkFiles.map(() => recipe.seeds.map(() => NaN));
  const missing: typeof jobs = [];
  for (const job of jobs) {
    const done = await finishedTop1(standaloneFolder(out, job.i, job.seed));
    if (done === null) missing.push(job);
    else top1[job.i][job.s] = done;
  }
  if (missing.length > 0) {
    log(
      `fidelity: ground truth — ${missing.length} of ${jobs.length} stand-alone trainings to run ` +
        `(${recipe.epochs} epoch(s) of ${recipe.trainImages} images, seeds ${
          recipe.seeds.join(",")
        })`,
    );
  }
  const progress = new Progress({
    label: "ground truth",
    total: missing.length,
    logEverySeconds: 1,
  });
  for (const [k, job] of missing.entries()) {
    const folder = standaloneFolder(out, job.i, job.seed);
    const resume = await pathExists(trainCheckpointPath(folder));
    const request = standaloneRequest(recipe, job.file, job.seed, folder, resume);
    const prepared = await prepareTraining(request);
    const epochs = await runTraining(prepared);
    top1[job.i][job.s] = epochs[epochs.length - 1].test.top1;
    progress.update(k + 1, {
      net: `${networkId(job.i)}/s${job.seed}`,
      top1: `${(100 * top1[job.i][job.s]).toFixed(2)}%`,
    }, true);
  }
  return top1;
}
