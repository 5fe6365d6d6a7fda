/**
 * A supernet run's checkpoint: every weight, BN statistic and optimizer moment by a
 * name that survives rebuilding the supernet, plus the run's own state as typed JSON,
 * in one tensor file (src/tensor/tensor_file.ts), written atomically.
 *
 * The header records the format and the command that wrote it, so `--resume` of one
 * command never reads another's checkpoint. Files written before the format tag
 * existed (evolution checkpoints) are accepted where the caller says so.
 */
import type { Sgd } from "../nn/optimizers.ts";
import { upload } from "../tensor/creation.ts";
import type { Tensor } from "../tensor/tensor.ts";
import { loadTensorFile, saveTensorFile } from "../tensor/tensor_file.ts";

/** Format tag of supernet checkpoints. */
export const SUPERNET_CHECKPOINT_FORMAT = "autospace.supernet-checkpoint/v1";

/** The header fields every checkpoint carries beside its state. */
interface CheckpointTag {
  format: typeof SUPERNET_CHECKPOINT_FORMAT;
  command: string;
}

/**
 * The optimizer's moments named after the tensors they belong to ("opt.<name>"),
 * added to `named` (a copy is returned). Tensors the optimizer holds but `named`
 * does not are skipped.
 */
export function withOptimizerState(
  named: ReadonlyMap<string, Tensor>,
  opt: Sgd,
): Map<string, Tensor> {
  const tensors = new Map(named);
  const params = opt.groups.flatMap((g) => g.params);
  const names = new Map<Tensor, string>();
  for (const [k, t] of named) names.set(t, k);
  for (const [k, t] of opt.state()) {
    const i = Number(k.slice(k.indexOf(".") + 1));
    const owner = names.get(params[i]);
    if (owner) tensors.set(`opt.${owner}`, t);
  }
  return tensors;
}

/** Writes `tensors` and `state` (plain JSON) to `path`, tagged with `command`. */
export async function saveSupernetCheckpoint<S extends object>(
  path: string,
  command: string,
  tensors: ReadonlyMap<string, Tensor>,
  state: S,
): Promise<void> {
  const tag: CheckpointTag = { format: SUPERNET_CHECKPOINT_FORMAT, command };
  await saveTensorFile(path, tensors, { ...state, ...tag });
}

/** A checkpoint read back: its state, and `restore` to upload its tensors. */
export interface LoadedSupernetCheckpoint<S> {
  readonly state: S;
  /**
   * Uploads the saved value of every tensor in `tensors` (which must all be in the
   * file, with the same sizes); throws one line naming the first that is not.
   */
  restore(tensors: ReadonlyMap<string, Tensor>): void;
}

/**
 * Reads the checkpoint at `path` written by `command`. Throws one line when there is
 * none, or when it is another command's (or, unless `acceptUntagged`, untagged).
 */
export async function loadSupernetCheckpoint<S>(
  path: string,
  command: string,
  options: { acceptUntagged?: boolean } = {},
): Promise<LoadedSupernetCheckpoint<S>> {
  try {
    await Deno.stat(path);
  } catch {
    throw new Error(`--resume: no checkpoint at ${path}; start without --resume`);
  }
  const file = await loadTensorFile(path);
  const meta = file.meta as Partial<CheckpointTag> | null;
  if (typeof meta !== "object" || meta === null) {
    throw new Error(`--resume: ${path} has no run state`);
  }
  if (
    meta.format === undefined ? !options.acceptUntagged : meta.format !== SUPERNET_CHECKPOINT_FORMAT
  ) {
    throw new Error(
      `--resume: ${path} is not a supernet checkpoint (${meta.format ?? "untagged"})`,
    );
  }
  if (meta.command !== undefined && meta.command !== command) {
    throw new Error(`--resume: ${path} was written by ${meta.command}, not ${command}`);
  }
  return {
    state: meta as S,
    restore(tensors) {
      for (const [name, t] of tensors) {
        const saved = file.tensors.get(name);
        if (!saved) throw new Error(`--resume: ${path} lacks tensor ${name}`);
        if (saved.data.length !== t.size) {
          throw new Error(
            `--resume: ${name} has ${saved.data.length} values in ${path}, ${t.size} here`,
          );
        }
        upload(t, saved.data);
      }
    },
  };
}
