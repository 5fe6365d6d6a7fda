/**
 * Step "evolve": a short `deno task evolve --quick` into OUT/evolve, timed on the wall
 * clock, with its final lines and last metrics in evolve.json. The run's folder (a
 * dozen files and a folder of drawings) is then packed into evolve.tar.gz, so that the
 * output folder stays within the few files a device tool brings back.
 */
import { atomicWrite } from "../util/atomic_write.ts";
import { type CheckStep, runScriptStep, type StepContext, type StepOutcome } from "./step.ts";

export const EVOLVE_FILE = "evolve.json";
export const EVOLVE_ARCHIVE = "evolve.tar.gz";

/** evolve's flags; quick checks halve --quick's training images. */
export function evolveArgs(out: string, data: string | undefined, quick: boolean): string[] {
  return [
    "--quick",
    "--out",
    out,
    ...(data ? ["--data", `fashion-mnist:${data}`] : []),
    ...(quick ? ["--train-images", "256"] : []),
  ];
}

export const evolveStep: CheckStep = {
  name: "evolve",
  timeoutSeconds: 150, // 60 s on lavapipe with 2 busy cores
  async run(ctx: StepContext): Promise<StepOutcome> {
    const folder = `${ctx.out}/evolve`;
    const args = evolveArgs(folder, ctx.data, ctx.quick);
    const { r, exit } = await runScriptStep(ctx, "scripts/evolve.ts", args);
    const spaceWritten = await Deno.stat(`${folder}/search_space.json`).then(
      () => true,
      () => false,
    );
    const metrics = await lastHistoryRecord(`${folder}/history.jsonl`);
    const speed = r.tail.map((l) => /([\d.]+) img\/s/.exec(l)?.[1]).filter(Boolean).at(-1);
    const record = {
      command: ["evolve", ...args].join(" "),
      wallSeconds: r.seconds,
      exitCode: r.code,
      timedOut: r.timedOut,
      imagesPerSecond: speed === undefined ? null : Number(speed),
      metrics,
      finalLines: r.tail,
      archive: await archive(ctx.out, "evolve") ? EVOLVE_ARCHIVE : null,
    };
    await atomicWrite(`${ctx.out}/${EVOLVE_FILE}`, JSON.stringify(record, null, 2) + "\n");
    const error = exit.error ?? (spaceWritten ? undefined : "no search_space.json written");
    return {
      ...exit,
      ok: error === undefined,
      error,
      lastLine: r.tail.find((l) => l.startsWith("evolve: wrote")) ?? exit.lastLine,
      file: EVOLVE_FILE,
      details: { wallSeconds: r.seconds, imagesPerSecond: record.imagesPerSecond, metrics },
    };
  },
};

/** The numbers of history.jsonl's last record (its per-layer detail left out). */
async function lastHistoryRecord(path: string): Promise<Record<string, unknown> | null> {
  const lines = (await Deno.readTextFile(path).catch(() => "")).trim().split("\n");
  try {
    const last = JSON.parse(lines.at(-1) ?? "");
    return Object.fromEntries(Object.entries(last).filter(([, v]) => typeof v !== "object"));
  } catch {
    return null;
  }
}

/** Packs `dir/name` into `dir/name.tar.gz` and removes it; false (and kept) when tar fails. */
async function archive(dir: string, name: string): Promise<boolean> {
  if (!(await Deno.stat(`${dir}/${name}`).then(() => true, () => false))) return false;
  try {
    const tar = await new Deno.Command("tar", {
      args: ["czf", `${name}.tar.gz`, name],
      cwd: dir,
      stdout: "null",
      stderr: "null",
    }).output();
    if (!tar.success) return false;
  } catch {
    return false;
  }
  await Deno.remove(`${dir}/${name}`, { recursive: true });
  return true;
}
