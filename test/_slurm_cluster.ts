/**
 * A one-node Slurm cluster on localhost for a test: a munge key generated into a
 * temporary folder and a `munged` on its own socket there (a system munged, if any, is
 * left alone), a `slurm.conf` in that folder (free ports, state, spool, logs and pid
 * files all inside it), then `slurmctld` and `slurmd`. `stop()` cancels every job, then
 * stops the three daemons by the pids in their pid files and removes the folder.
 */
import { hostname } from "node:os";

/** A started cluster: run Slurm's clients with `env` (SLURM_CONF points at it). */
export interface LocalCluster {
  readonly dir: string;
  readonly env: Record<string, string>;
  /** Runs a Slurm client; its output, trimmed, and exit code. */
  readonly client: (
    cmd: string,
    args: readonly string[],
    timeoutMs?: number,
  ) => Promise<{ code: number; stdout: string; stderr: string }>;
  readonly stop: () => Promise<void>;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function alive(pid: number): boolean {
  try {
    Deno.statSync(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until `ready()` or `timeoutMs`; throws `what` on time-out. */
async function waitFor(ready: () => Promise<boolean> | boolean, timeoutMs: number, what: string) {
  const end = Date.now() + timeoutMs;
  while (!(await ready())) {
    if (Date.now() > end) throw new Error(`local Slurm cluster: ${what}`);
    await sleep(200);
  }
}

async function readPid(file: string): Promise<number | null> {
  try {
    const pid = Number((await Deno.readTextFile(file)).trim());
    return Number.isInteger(pid) && pid > 0 ? pid : null;
  } catch {
    return null;
  }
}

/** Stops the daemon whose pid is in `file` (TERM, then KILL after 10 s). */
async function stopDaemon(file: string): Promise<void> {
  const pid = await readPid(file);
  if (pid === null || !alive(pid)) return;
  try {
    Deno.kill(pid, "SIGTERM");
  } catch {
    return;
  }
  const end = Date.now() + 10_000;
  while (alive(pid) && Date.now() < end) await sleep(100);
  if (alive(pid)) {
    try {
      Deno.kill(pid, "SIGKILL");
    } catch { /* gone meanwhile */ }
  }
}

async function exec(
  cmd: string,
  args: readonly string[],
  env: Record<string, string>,
  timeoutMs = 60_000,
) {
  const out = await new Deno.Command(cmd, {
    args: [...args],
    env,
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(timeoutMs),
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

function slurmConf(dir: string, host: string, ports: [number, number]): string {
  return [
    "ClusterName=autospace-test",
    `SlurmctldHost=${host}(127.0.0.1)`,
    "SlurmUser=root",
    "SlurmdUser=root",
    "AuthType=auth/munge",
    "CredType=cred/munge",
    `AuthInfo=socket=${dir}/munge.socket`,
    `SlurmctldPort=${ports[0]}`,
    `SlurmdPort=${ports[1]}`,
    `StateSaveLocation=${dir}/state`,
    `SlurmdSpoolDir=${dir}/spool`,
    `SlurmctldPidFile=${dir}/slurmctld.pid`,
    `SlurmdPidFile=${dir}/slurmd.pid`,
    `SlurmctldLogFile=${dir}/slurmctld.log`,
    `SlurmdLogFile=${dir}/slurmd.log`,
    "ProctrackType=proctrack/linuxproc",
    "TaskPlugin=task/none",
    "SelectType=select/cons_tres",
    "SelectTypeParameters=CR_CPU",
    "ReturnToService=2",
    "AccountingStorageType=accounting_storage/none",
    "JobCompType=jobcomp/none",
    "MpiDefault=none",
    // A job whose dependency can no longer be met (afterok on a cancelled task) is
    // cancelled instead of pending for ever.
    "SchedulerParameters=kill_invalid_depend",
    "KillWait=5",
    `NodeName=${host} NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 State=UNKNOWN`,
    "PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP",
  ].join("\n") + "\n";
}

/** Starts the cluster; on any failure, stops what it started and throws. */
export async function startLocalCluster(): Promise<LocalCluster> {
  const dir = await Deno.makeTempDir({ prefix: "autospace-slurm-" });
  // munged wants every folder above its socket searchable by all.
  await Deno.chmod(dir, 0o755);
  await Deno.mkdir(`${dir}/state`);
  await Deno.mkdir(`${dir}/spool`);
  const conf = `${dir}/slurm.conf`;
  const env = { SLURM_CONF: conf };
  const stop = async () => {
    if (await readPid(`${dir}/slurmctld.pid`) !== null) {
      // Jobs first: a job's processes outlive slurmd.
      await exec("scancel", ["--full", "--user", "root"], env).catch(() => {});
      const end = Date.now() + 20_000;
      while (Date.now() < end) {
        const q = await exec("squeue", ["-h", "-o", "%i"], env).catch(() => null);
        if (!q || q.code !== 0 || q.stdout === "") break;
        await sleep(250);
      }
    }
    await stopDaemon(`${dir}/slurmd.pid`);
    await stopDaemon(`${dir}/slurmctld.pid`);
    await stopDaemon(`${dir}/munged.pid`);
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  try {
    const key = new Uint8Array(128);
    crypto.getRandomValues(key);
    await Deno.writeFile(`${dir}/munge.key`, key, { mode: 0o600 });
    const munged = await exec("munged", [
      `--key-file=${dir}/munge.key`,
      `--socket=${dir}/munge.socket`,
      `--pid-file=${dir}/munged.pid`,
      `--log-file=${dir}/munged.log`,
      `--seed-file=${dir}/munged.seed`,
    ], {});
    if (munged.code !== 0) throw new Error(`munged: ${munged.stderr.split("\n")[0]}`);
    await waitFor(async () => (await readPid(`${dir}/munged.pid`)) !== null, 10_000, "no munged");
    const host = hostname().split(".")[0];
    await Deno.writeTextFile(conf, slurmConf(dir, host, [freePort(), freePort()]));
    for (const daemon of ["slurmctld", "slurmd"]) {
      const started = await exec(daemon, ["-f", conf], env);
      if (started.code !== 0) {
        throw new Error(`${daemon}: ${started.stderr.split("\n")[0]} (logs in ${dir})`);
      }
    }
    await waitFor(
      async () => {
        const s = await exec("sinfo", ["-h", "-o", "%T"], env);
        return s.code === 0 && s.stdout === "idle";
      },
      30_000,
      "the node did not become idle",
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dir,
    env,
    client: (cmd, args, timeoutMs) => exec(cmd, args, env, timeoutMs),
    stop,
  };
}
