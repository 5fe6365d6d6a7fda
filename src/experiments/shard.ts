/**
 * Shards of a plan: `--shard I/N` runs only the runs k with k mod N = I (round-robin, so
 * that the first runs of a plan, which plans order to be a comparison on their own, land
 * on different shards and finish first). Runs that must run together — a random draw and
 * the search whose found network it matches — form a group, and k then counts groups (in
 * the order of their first run): a group lands whole on one shard, in plan order. Every
 * run belongs to exactly one shard for any N ≥ 1; with N larger than the plan's groups,
 * the extra shards have nothing to do and exit at once.
 *
 * `--shard auto` takes I and N from a Slurm job array (SLURM_ARRAY_TASK_ID minus
 * SLURM_ARRAY_TASK_MIN, and SLURM_ARRAY_TASK_COUNT); `--shard auto/N` takes I from
 * SLURM_ARRAY_TASK_ID or from a Kubernetes indexed Job's JOB_COMPLETION_INDEX, and N as
 * given (Kubernetes does not tell a pod the count).
 */

/** Shard `index` of `count` (0 ≤ index < count). */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

const FORMS = `I/N with 0 ≤ I < N (e.g. 0/4), "auto" or "auto/N"`;

function wholeNumber(text: string): number | null {
  return /^[0-9]+$/.test(text.trim()) ? Number(text.trim()) : null;
}

function checked(index: number | null, count: number | null, given: string): Shard {
  if (index === null || count === null) {
    throw new Error(`--shard ${given}: expected ${FORMS}`);
  }
  if (count < 1) throw new Error(`--shard ${given}: the shard count must be at least 1`);
  if (index >= count) {
    throw new Error(`--shard ${given}: shard index ${index} is not below the count ${count}`);
  }
  return { index, count };
}

/**
 * Reads `--shard` (see the module comment); `env` looks up environment variables. Throws
 * one line naming the bad value or the missing variable.
 */
export function parseShard(text: string, env: (name: string) => string | undefined): Shard {
  const given = text.trim();
  const [head, tail, ...rest] = given.split("/");
  if (rest.length > 0) throw new Error(`--shard ${given}: expected ${FORMS}`);
  if (head !== "auto") {
    return checked(wholeNumber(head), tail === undefined ? null : wholeNumber(tail), given);
  }
  const slurmId = env("SLURM_ARRAY_TASK_ID");
  const k8sIndex = env("JOB_COMPLETION_INDEX");
  if (tail === undefined) {
    if (slurmId === undefined) {
      throw new Error(
        `--shard auto: SLURM_ARRAY_TASK_ID is not set (not a Slurm array task); ` +
          `give --shard I/N, or --shard auto/N in a Kubernetes indexed Job`,
      );
    }
    const id = wholeNumber(slurmId);
    const min = wholeNumber(env("SLURM_ARRAY_TASK_MIN") ?? "0");
    const count = wholeNumber(env("SLURM_ARRAY_TASK_COUNT") ?? "");
    return checked(
      id === null || min === null || id < min ? null : id - min,
      count,
      `auto (SLURM_ARRAY_TASK_ID=${slurmId}, SLURM_ARRAY_TASK_MIN=${
        env("SLURM_ARRAY_TASK_MIN") ?? "unset"
      }, SLURM_ARRAY_TASK_COUNT=${env("SLURM_ARRAY_TASK_COUNT") ?? "unset"})`,
    );
  }
  const source = slurmId !== undefined
    ? { name: "SLURM_ARRAY_TASK_ID", value: slurmId }
    : k8sIndex !== undefined
    ? { name: "JOB_COMPLETION_INDEX", value: k8sIndex }
    : undefined;
  if (!source) {
    throw new Error(
      `--shard ${given}: neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX is set`,
    );
  }
  return checked(
    wholeNumber(source.value),
    wholeNumber(tail),
    `${given} (${source.name}=${source.value})`,
  );
}

/** Whether group number `k` of a plan (0-based, in plan order) belongs to `shard`. */
export function inShard(k: number, shard: Shard): boolean {
  return k % shard.count === shard.index;
}

/**
 * The items of `shard`, in plan order. `groupOf` names each item's group (items of one
 * group share a shard; groups are numbered in the order they first appear); without it
 * every item is its own group.
 */
export function shardOf<T>(
  items: readonly T[],
  shard: Shard,
  groupOf?: (item: T, k: number) => string,
): T[] {
  const groups = new Map<string, number>();
  return items.filter((item, k) => {
    const key = groupOf ? groupOf(item, k) : String(k);
    if (!groups.has(key)) groups.set(key, groups.size);
    return inShard(groups.get(key)!, shard);
  });
}

/** `I/N`, as the flag takes it. */
export function formatShard(shard: Shard): string {
  return `${shard.index}/${shard.count}`;
}
