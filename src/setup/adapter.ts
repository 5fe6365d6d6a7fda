/**
 * Making sure a WebGPU adapter exists. On a machine without a GPU the adapter is
 * Mesa's lavapipe (Vulkan on the CPU), from Debian's mesa-vulkan-drivers package.
 * Probing runs in a child process: a process that has initialised WebGPU without a
 * driver does not see one installed afterwards.
 */

const PROBE = `
const a = await navigator.gpu?.requestAdapter();
console.log(a ? (a.info.description || a.info.vendor || "unnamed adapter") : "");
`;

/** Describes the adapter, or "" when there is none. */
export async function probeAdapter(): Promise<string> {
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["eval", PROBE],
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  return new TextDecoder().decode(out.stdout).trim();
}

async function run(cmd: string, args: string[]): Promise<boolean> {
  try {
    const out = await new Deno.Command(cmd, {
      args,
      stdout: "piped",
      stderr: "piped",
      env: { DEBIAN_FRONTEND: "noninteractive" },
    }).output();
    return out.success;
  } catch {
    return false;
  }
}

function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

async function hasCommand(name: string): Promise<boolean> {
  return await run("sh", ["-c", `command -v ${name}`]);
}

/**
 * Returns the adapter's description, installing mesa-vulkan-drivers first when no
 * adapter exists and this process may (root with apt-get). Throws one clear line
 * otherwise.
 */
export async function ensureLavapipe(log: (msg: string) => void): Promise<string> {
  const found = await probeAdapter();
  if (found) return found;
  const hint =
    "install a Vulkan driver: on Debian/Ubuntu `apt-get install -y mesa-vulkan-drivers` " +
    "(lavapipe, the CPU adapter), or your GPU vendor's driver";
  if (!isRoot() || !(await hasCommand("apt-get"))) {
    throw new Error(`no WebGPU adapter found; ${hint}`);
  }
  log("setup: no WebGPU adapter; installing mesa-vulkan-drivers (lavapipe) with apt-get ...");
  const install = ["install", "-y", "--no-install-recommends", "mesa-vulkan-drivers"];
  if (!(await run("apt-get", install))) {
    await run("apt-get", ["update"]);
    if (!(await run("apt-get", install))) {
      throw new Error(`apt-get could not install mesa-vulkan-drivers; ${hint}`);
    }
  }
  const after = await probeAdapter();
  if (!after) throw new Error(`mesa-vulkan-drivers is installed but no adapter appears; ${hint}`);
  return after;
}
