/**
 * The four stages of `deno task autospace`, each as its own command's library entry
 * point called in this process: what marks a stage finished (the files it writes
 * last), where its checkpoint is, and how it runs.
 *
 * In-process rather than one subprocess per stage: the engine's GPU is one device per
 * process (`initEngine` hands every stage the same one, and the stage scripts only add
 * starting and stopping it), compiled pipelines carry over to the stages that use the
 * same kernels, and what a stage leaves in the buffer pool is trimmed before the next
 * one starts. A stage's error comes out worded for the autospace command line.
 */
import { evolve, evolveCheckpointPath } from "../evolve/evolve.ts";
import {
  describeSearch,
  prepareSearch,
  runSearch,
  searchCheckpointPath,
} from "../search/search.ts";
import { openExport, writeExport } from "../train/export_command.ts";
import { prepareTraining, runTraining } from "../train/train_command.ts";
import { trainCheckpointPath } from "../train/trainer.ts";
import { removeEmptyFoldersOnFailure } from "../util/output_folder.ts";
import { type AutospaceConfig, stageLayout } from "./config.ts";
import { autospaceWording, type StageName } from "./stage_flags.ts";

/** The files a finished stage has written last: all present = the stage is done. */
export function doneMarkers(stage: StageName, out: string): string[] {
  const p = stageLayout(out);
  switch (stage) {
    case "evolve":
      return [p.space, `${p.evolve}/report.md`];
    case "search":
      return [p.network, `${p.search}/result.json`, `${p.search}/report.md`];
    case "train":
      return [`${p.train}/metrics.jsonl`, `${p.train}/model.onnx`];
    case "export":
      return [p.model];
  }
}

/** Where the stage's own `--resume` continues from (null: the stage has none). */
export function checkpointOf(stage: StageName, out: string): string | null {
  const p = stageLayout(out);
  switch (stage) {
    case "evolve":
      return evolveCheckpointPath(p.evolve);
    case "search":
      return searchCheckpointPath(p.search);
    case "train":
      return trainCheckpointPath(p.train);
    case "export":
      return null;
  }
}

/**
 * Runs one stage with the command's settings (`resume`: from its checkpoint); the
 * engine must be started. Returns when the stage ends or stops early (`--STAGE.stop-after`);
 * `doneMarkers` tells which.
 */
export async function runStage(
  stage: StageName,
  config: AutospaceConfig,
  resume: boolean,
  log: (line: string) => void,
): Promise<void> {
  try {
    await runStageCommand(stage, config, resume, log);
  } catch (err) {
    const message = autospaceWording(stage, (err as Error).message);
    throw new Error(message.startsWith(`${stage}:`) ? message : `${stage}: ${message}`);
  }
}

async function runStageCommand(
  stage: StageName,
  config: AutospaceConfig,
  resume: boolean,
  log: (line: string) => void,
): Promise<void> {
  switch (stage) {
    case "evolve": {
      const cfg = { ...config.evolve, resume };
      // A refusal (bad data, say) leaves no empty folder, as `deno task evolve`.
      await removeEmptyFoldersOnFailure(cfg.out, () => evolve(cfg, log));
      return;
    }
    case "search": {
      const prepared = await prepareSearch({ ...config.search, resume });
      for (const line of describeSearch(prepared)) log(`search: ${line}`);
      await removeEmptyFoldersOnFailure(prepared.cfg.out, () => runSearch(prepared, log));
      return;
    }
    case "train": {
      const request = config.train;
      const prepared = await prepareTraining({
        ...request,
        config: { ...request.config, resume },
      });
      for (const line of prepared.summary) log(`train: ${line}`);
      await removeEmptyFoldersOnFailure(request.config.outDir, () => runTraining(prepared));
      return;
    }
    case "export": {
      const opened = await openExport(config.export);
      const bytes = await writeExport(opened);
      log(
        `export: wrote ${opened.request.out} (${(bytes / 1024).toFixed(1)} KiB, opset 13, ` +
          `BN folded, batch ${opened.request.batch})`,
      );
      return;
    }
  }
}
