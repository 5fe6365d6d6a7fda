/**
 * Pass-through flags of `deno task autospace`: `--STAGE.FLAG VALUE` (or
 * `--STAGE.FLAG=VALUE`, or `--STAGE.SWITCH`) gives FLAG to one stage exactly as
 * `deno task STAGE` takes it. Names are checked against each stage's own flag list
 * here; values are checked by the stage's own parser, whose one-line error is then
 * reworded to name the flag as the user wrote it (`--evolve.epochs`, not `--epochs`).
 */
import { EVOLVE_COMMAND } from "../evolve/config.ts";
import { SEARCH_COMMAND } from "../search/config.ts";
import { EXPORT_COMMAND } from "../train/export_command.ts";
import { TRAIN_COMMAND } from "../train/train_command.ts";
import type { ConfigFlag } from "../util/cli_command.ts";

/** The stages, in the order they run. */
export const STAGES = ["evolve", "search", "train", "export"] as const;
/** One of `STAGES`. */
export type StageName = typeof STAGES[number];

/** A stage's flags: those that take a value and switches. */
interface StageFlagNames {
  readonly values: readonly string[];
  readonly switches: readonly string[];
}

function fromConfigFlags<C>(flags: Readonly<Record<string, ConfigFlag<C>>>): StageFlagNames {
  const names = Object.entries(flags);
  return {
    values: names.filter(([, f]) => f.arg !== undefined).map(([name]) => name),
    switches: names.filter(([, f]) => f.arg === undefined).map(([name]) => name),
  };
}

/** Every flag of every stage's command (its own `--help`). */
const STAGE_FLAGS: Readonly<Record<StageName, StageFlagNames>> = {
  evolve: fromConfigFlags(EVOLVE_COMMAND.flags),
  search: fromConfigFlags(SEARCH_COMMAND.flags),
  train: fromConfigFlags(TRAIN_COMMAND.flags),
  export: fromConfigFlags(EXPORT_COMMAND.flags),
};

/**
 * Stage flags that autospace sets itself, and what sets them: a top-level flag (which
 * the stage's error messages then name) or the folder layout.
 */
export const SET_BY_AUTOSPACE: Readonly<
  Record<StageName, Readonly<Record<string, { flag?: string; why: string }>>>
> = {
  evolve: {
    data: { flag: "--data", why: "use --data" },
    quick: { flag: "--quick", why: "use --quick" },
    resume: { flag: "--resume", why: "use --resume" },
    out: { flag: "--out", why: "it is OUT/evolve (use --out)" },
  },
  search: {
    data: { flag: "--data", why: "use --data" },
    quick: { flag: "--quick", why: "use --quick" },
    resume: { flag: "--resume", why: "use --resume" },
    out: { flag: "--out", why: "it is OUT/search (use --out)" },
    "madds-max": { flag: "--madds-max", why: "use --madds-max" },
    space: { why: "it is the evolve stage's OUT/evolve/search_space.json" },
  },
  train: {
    data: { flag: "--data", why: "use --data" },
    quick: { flag: "--quick", why: "use --quick" },
    resume: { flag: "--resume", why: "use --resume" },
    out: { flag: "--out", why: "it is OUT/train (use --out)" },
    arch: { why: "it is the search stage's OUT/search/network.json" },
  },
  export: {
    checkpoint: { why: "it is the train stage's OUT/train/checkpoint.onnx" },
    out: { flag: "--out", why: "it is OUT/model.onnx (use --out)" },
    arch: { why: "it is the network the checkpoint carries" },
  },
};

/** The flags a user may pass to `stage` (its own, less those autospace sets). */
export function passableFlags(stage: StageName): StageFlagNames {
  const own = STAGE_FLAGS[stage];
  const free = (name: string) => !(name in SET_BY_AUTOSPACE[stage]);
  return { values: own.values.filter(free), switches: own.switches.filter(free) };
}

/** A command line split into autospace's own flags and each stage's. */
export interface SplitArgs {
  /** Everything that is not a `--STAGE.FLAG`, for autospace's own parser. */
  readonly own: string[];
  /** Per stage, its flags as the stage's parser takes them ("--epochs=3", "--zero-cells"). */
  readonly stages: Record<StageName, string[]>;
}

const STAGE_FLAG = /^--([a-z]+)\.([^=]*)(?:=([\s\S]*))?$/;

/**
 * Splits `args`; throws one line for an unknown stage, a flag its stage does not
 * have, a flag autospace sets itself, or a missing value.
 */
export function splitStageArgs(args: readonly string[]): SplitArgs {
  const own: string[] = [];
  const stages = Object.fromEntries(STAGES.map((s) => [s, [] as string[]])) as Record<
    StageName,
    string[]
  >;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    const match = STAGE_FLAG.exec(arg);
    if (!match) {
      own.push(arg);
      continue;
    }
    const [, stageText, flag, inline] = match;
    const written = `--${stageText}.${flag}`;
    if (!(STAGES as readonly string[]).includes(stageText)) {
      throw new Error(
        `${written}: there is no stage "${stageText}"; the stages are ${STAGES.join(", ")}`,
      );
    }
    const stage = stageText as StageName;
    const reserved = SET_BY_AUTOSPACE[stage][flag];
    if (reserved) throw new Error(`${written} is set by autospace: ${reserved.why}`);
    const { values, switches } = STAGE_FLAGS[stage];
    if (switches.includes(flag)) {
      // A value is the stage parser's to refuse ("does not take an argument").
      stages[stage].push(inline === undefined ? `--${flag}` : `--${flag}=${inline}`);
    } else if (values.includes(flag)) {
      const value = inline ?? args[i + 1];
      if (value === undefined || (inline === undefined && value.startsWith("--"))) {
        throw new Error(`${written} needs a value (see deno task ${stage} --help)`);
      }
      if (inline === undefined) i++;
      stages[stage].push(`--${flag}=${value}`);
    } else {
      throw new Error(
        `${written}: deno task ${stage} has no flag --${flag} (see deno task ${stage} --help)`,
      );
    }
  }
  return { own, stages };
}

/**
 * Runs a stage's parser on the flags autospace built for it; its error comes back as
 * one line that names the flags the way the autospace command line spells them.
 */
export function parseStageArgs<T>(
  stage: StageName,
  args: readonly string[],
  parse: (args: readonly string[]) => T,
): T {
  try {
    return parse(args);
  } catch (err) {
    throw new Error(autospaceWording(stage, (err as Error).message));
  }
}

/** `message` of `stage`'s parser with `--FLAG` as `--STAGE.FLAG` (or the top-level flag). */
export function autospaceWording(stage: StageName, message: string): string {
  const { values, switches } = STAGE_FLAGS[stage];
  return message
    .replace(/\(see --help\)/g, `(see deno task ${stage} --help)`)
    .replace(/--([a-z][a-z0-9-]*)/gi, (text, flag: string) => {
      const reserved = SET_BY_AUTOSPACE[stage][flag];
      if (reserved) return reserved.flag ?? text;
      return values.includes(flag) || switches.includes(flag) ? `--${stage}.${flag}` : text;
    });
}
