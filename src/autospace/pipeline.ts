/**
 * `deno task autospace`: evolve → search → train → export in one results folder, then
 * report.md. A stage whose last files exist is skipped with one line; with
 * `--resume`, the stage that was interrupted continues from its own checkpoint (or
 * starts over when it had written none yet); a stage stopped early by its
 * `--STAGE.stop-after`, or by a signal (after its checkpoint), ends the command, to be
 * continued with `--resume`.
 */
import { initEngine } from "../tensor/init.ts";
import { checkInterrupt, InterruptedError, watchInterrupts } from "../util/interrupt.ts";
import { allPathsExist, missingFolders } from "../util/output_folder.ts";
import { type AutospaceConfig, stageLayout } from "./config.ts";
import {
  type FoundNetwork,
  foundNetwork,
  type StageOutcome,
  writeAutospaceReport,
} from "./report.ts";
import { RunRecord } from "./run_record.ts";
import { type StageName, STAGES } from "./stage_flags.ts";
import { checkpointOf, doneMarkers, runStage } from "./stages.ts";

/** How a command ended. */
export interface AutospaceResult {
  readonly outcomes: StageOutcome[];
  /** The stage that stopped early (continue with `--resume`); null when all finished. */
  readonly stoppedIn: StageName | null;
  /** The found network's numbers, when the run finished. */
  readonly found: FoundNetwork | null;
}

/**
 * Runs the stages of `config` that are not done yet. The run's folder is checked
 * (`RunRecord.open`) before anything is written; a new run that fails before any
 * stage wrote a file leaves no folder behind.
 */
export async function runAutospace(
  config: AutospaceConfig,
  log: (line: string) => void = console.log,
): Promise<AutospaceResult> {
  const record = await RunRecord.open(config);
  const created = await missingFolders(config.out);
  const gpu = await initEngine();
  log(
    `autospace: ${config.quick ? "quick smoke run, " : ""}data ${config.data}, ` +
      `cap ${config.maddsMax ?? "none"}, folder ${config.out} — adapter: ${gpu.info.description}`,
  );
  const outcomes: StageOutcome[] = [];
  // A signal between stages stops before the next one (inside one, the stage stops itself).
  using _watch = watchInterrupts("autospace");
  try {
    for (const [index, stage] of STAGES.entries()) {
      const step = `[${index + 1}/${STAGES.length}] ${stage}`;
      const signal = await checkInterrupt();
      if (signal) {
        throw new InterruptedError(signal, `${signal}: stopped before the ${stage} stage`);
      }
      const markers = doneMarkers(stage, config.out);
      if (await allPathsExist(markers)) {
        log(`autospace: ${step}: done earlier (${markers[0]} exists), skipped`);
        outcomes.push({ stage, status: "skipped", seconds: 0 });
        continue;
      }
      const checkpoint = checkpointOf(stage, config.out);
      const resume = config.resume && checkpoint !== null && await allPathsExist([checkpoint]);
      await record.start(config, stage);
      log(`autospace: ${step}${resume ? `: resuming from ${checkpoint}` : ""}`);
      const t0 = performance.now();
      await runStage(stage, config, resume, log);
      // What the stage left pooled would otherwise add to the next stage's memory.
      await gpu.sync();
      gpu.pool.trim();
      if (!(await allPathsExist(markers))) {
        // Only --STAGE.stop-after ends a stage without its files and without an error.
        log(
          `autospace: stopped in the ${stage} stage; continue with the same flags, less ` +
            `--${stage}.stop-after, plus --resume`,
        );
        return { outcomes, stoppedIn: stage, found: null };
      }
      const seconds = (performance.now() - t0) / 1000;
      outcomes.push({ stage, status: resume ? "resumed" : "ran", seconds });
    }
  } catch (err) {
    if (!config.resume) await removeFailedStart(config, created);
    throw err;
  }
  const found = await foundNetwork(config);
  await writeAutospaceReport(config, outcomes, found);
  log(`autospace: wrote ${stageLayout(config.out).report}`);
  return { outcomes, stoppedIn: null, found };
}

/**
 * After a new run failed: when its folder holds nothing but the run record (no stage
 * wrote a file), removes the record and the folders this command created.
 */
async function removeFailedStart(config: AutospaceConfig, created: string[]): Promise<void> {
  const entries: string[] = [];
  try {
    for await (const entry of Deno.readDir(config.out)) entries.push(entry.name);
  } catch {
    return; // never created
  }
  const record = stageLayout(config.out).record;
  if (entries.length !== 1 || !record.endsWith(`/${entries[0]}`)) return;
  await Deno.remove(record);
  for (const folder of created) await Deno.remove(folder).catch(() => {});
}
