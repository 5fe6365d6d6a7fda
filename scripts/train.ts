/**
 * `deno task train --arch <network> --data <data>` — trains a network from scratch
 * and writes metrics.jsonl, loss/accuracy curves, checkpoints and model.onnx.
 * Flags and defaults: `deno task train --help` (src/train/train_command.ts).
 */
import {
  parseTrainArgs,
  prepareTraining,
  runTraining,
  TRAIN_USAGE,
} from "../src/train/train_command.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { removeEmptyFoldersOnFailure } from "../src/util/output_folder.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(TRAIN_USAGE);
  Deno.exit(0);
}

await runCli("train", async () => {
  const prepared = await prepareTraining(parseTrainArgs(Deno.args));
  const gpu = await initEngine();
  const [first, ...rest] = prepared.summary;
  console.log(`train: ${first} — adapter: ${gpu.info.description}`);
  for (const line of rest) console.log(`train: ${line}`);
  try {
    const out = prepared.request.config.outDir;
    await removeEmptyFoldersOnFailure(out, () => runTraining(prepared));
  } finally {
    await shutdownEngine();
  }
});
