/**
 * Slurm and munge for the one-node cluster that the cluster test starts (Debian's
 * slurm-wlm and munge). Installed like lavapipe: with apt-get, when set-up runs as root;
 * elsewhere nothing is installed and the reason is one line that the test prints when
 * it skips.
 */
import { hasCommand, isRoot, run } from "./adapter.ts";

/** The programs the cluster test runs: the two daemons, munge's, and the clients. */
export const SLURM_PROGRAMS = [
  "munged",
  "slurmctld",
  "slurmd",
  "sbatch",
  "scancel",
  "squeue",
  "sinfo",
] as const;

const PACKAGES = ["slurm-wlm", "munge"];

/** The programs of `SLURM_PROGRAMS` not on PATH. */
export async function missingSlurmPrograms(): Promise<string[]> {
  const missing: string[] = [];
  for (const name of SLURM_PROGRAMS) if (!(await hasCommand(name))) missing.push(name);
  return missing;
}

/**
 * Makes sure Slurm and munge are installed, installing slurm-wlm and munge with apt-get
 * when they are not and this process may (root with apt-get, and `allowInstall`).
 * Returns null when they are there, else one line saying why they are not. A one-node
 * cluster needs root as well (its daemons run as root), so that is checked first.
 */
export async function ensureSlurm(
  log: (msg: string) => void,
  allowInstall = true,
): Promise<string | null> {
  if (Deno.build.os !== "linux") return `Slurm runs on Linux, this is ${Deno.build.os}`;
  if (!isRoot()) return "a one-node Slurm cluster needs root (its daemons run as root)";
  let missing = await missingSlurmPrograms();
  if (missing.length === 0) return null;
  const what = `${missing.join(", ")} not found; install ${PACKAGES.join(" and ")}`;
  if (!allowInstall || !(await hasCommand("apt-get"))) return `${what} (apt-get install -y ...)`;
  log(`setup: installing ${PACKAGES.join(" and ")} with apt-get (for the cluster test) ...`);
  const install = ["install", "-y", "--no-install-recommends", ...PACKAGES];
  if (!(await run("apt-get", install))) {
    await run("apt-get", ["update"]);
    await run("apt-get", install);
  }
  missing = await missingSlurmPrograms();
  return missing.length === 0 ? null : `apt-get did not provide ${missing.join(", ")}`;
}
