/**
 * OUT/autospace.json: the settings each stage of a run was started with, written when
 * the stage starts. `--resume` compares them with the command's: a stage that has
 * started (finished or interrupted) continues only under the settings it began with,
 * so a finished stage's output is never reused for other flags. Stages that have not
 * started yet may be given new settings (say, a higher `--madds-max` after a refusal).
 *
 *   { "format": "autospace.run/v1",
 *     "stages": { "evolve": { "epochs": 6, "k": 4, ... }, "search": { ... } } }
 */
import { evolveConfigToJson } from "../evolve/config.ts";
import { searchConfigToJson } from "../search/config.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import { type AutospaceConfig, stageLayout } from "./config.ts";
import { type StageName, STAGES } from "./stage_flags.ts";

/** Format tag of autospace.json. */
export const RUN_RECORD_FORMAT = "autospace.run/v1";

/** Settings of one stage, as plain JSON. */
export type StageSettings = Record<string, unknown>;

/**
 * A stage's settings that decide its output: everything its parser read, less where
 * it writes (OUT may move), whether it resumes, when it stops early and how often it
 * logs and checkpoints — which may differ between the parts of one run.
 */
export function stageSettings(config: AutospaceConfig, stage: StageName): StageSettings {
  const without = (record: Record<string, unknown>, keys: readonly string[]) =>
    Object.fromEntries(Object.entries(record).filter(([key]) => !keys.includes(key)));
  const volatile = ["out", "resume", "stopAfter", "logEvery", "checkpointEvery"];
  let settings: Record<string, unknown>;
  switch (stage) {
    case "evolve":
      settings = without(evolveConfigToJson(config.evolve), volatile);
      break;
    case "search":
      settings = without(searchConfigToJson(config.search), [...volatile, "space"]);
      break;
    case "train": {
      const { config: run, arch: _arch, data: _parsed, ...request } = config.train;
      settings = {
        ...request,
        ...without({ ...run }, [...volatile, "outDir", "quiet"]),
      };
      break;
    }
    case "export":
      settings = { batch: config.export.batch };
      break;
  }
  return JSON.parse(JSON.stringify(settings)); // as it reads back from the file
}

/** The run's record: which stages started, with what settings. */
export class RunRecord {
  private constructor(
    private readonly path: string,
    private readonly stages: Partial<Record<StageName, StageSettings>>,
  ) {}

  /**
   * The record of the run in `config.out`, checked against the command: a new run
   * needs a missing or empty folder; `--resume` needs a run whose started stages
   * have the command's settings. Reads only; throws one line.
   */
  static async open(config: AutospaceConfig): Promise<RunRecord> {
    const { out } = config;
    const path = stageLayout(out).record;
    const text = await readText(path);
    if (!config.resume) {
      if (text !== null) {
        throw new Error(
          `${out} already holds an autospace run; continue it with --resume, or choose ` +
            `another --out`,
        );
      }
      if (!(await isMissingOrEmpty(out))) {
        throw new Error(`--out ${out} exists and is not empty; choose another folder`);
      }
      return new RunRecord(path, {});
    }
    if (text === null) {
      throw new Error(`--resume: no autospace run in ${out} (no ${path}); start without --resume`);
    }
    let parsed: { format?: unknown; stages?: Partial<Record<StageName, StageSettings>> };
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      throw new Error(`${path}: not JSON (${(err as Error).message})`);
    }
    if (parsed.format !== RUN_RECORD_FORMAT || typeof parsed.stages !== "object") {
      throw new Error(`${path}: not an autospace run record (format ${RUN_RECORD_FORMAT})`);
    }
    const record = new RunRecord(path, parsed.stages ?? {});
    record.check(config);
    return record;
  }

  /** Whether `stage` has started in this run (now or in an earlier part). */
  started(stage: StageName): boolean {
    return this.stages[stage] !== undefined;
  }

  /** Throws one line at the first started stage whose settings the command changes. */
  private check(config: AutospaceConfig): void {
    for (const stage of STAGES) {
      const saved = this.stages[stage];
      if (saved === undefined) continue;
      const now = stageSettings(config, stage);
      for (const key of new Set([...Object.keys(saved), ...Object.keys(now)])) {
        const [was, is] = [JSON.stringify(saved[key]), JSON.stringify(now[key])];
        if (was !== is) {
          throw new Error(
            `--resume: the ${stage} stage of ${config.out} started with ${key} ${was}, this ` +
              `command asks for ${is}; use the flags it started with, or another --out`,
          );
        }
      }
    }
  }

  /** Records that `stage` starts with the command's settings (written at once). */
  async start(config: AutospaceConfig, stage: StageName): Promise<void> {
    this.stages[stage] = stageSettings(config, stage);
    await Deno.mkdir(config.out, { recursive: true });
    const json = { format: RUN_RECORD_FORMAT, stages: this.stages };
    await atomicWrite(this.path, JSON.stringify(json, null, 2) + "\n");
  }
}

async function readText(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return null;
    throw new Error(`cannot read ${path}: ${(err as Error).message}`);
  }
}

async function isMissingOrEmpty(dir: string): Promise<boolean> {
  try {
    for await (const _ of Deno.readDir(dir)) return false;
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return true;
    throw new Error(`--out ${dir}: ${(err as Error).message}`);
  }
}
