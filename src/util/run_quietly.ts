/**
 * Runs a set-up command (apt-get, a daemon's start) with its output captured, so that
 * set-up prints only its own lines: apt's progress and debconf's notes ("delaying
 * package configuration, since apt-utils is not installed") stay out of the terminal.
 * apt runs non-interactively.
 */

/** Runs `cmd args` quietly; whether it exited 0 (false when it could not start). */
export async function runQuietly(cmd: string, args: readonly string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, {
      args: [...args],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    return out.success;
  } catch {
    return false;
  }
}
