/**
 * Making sure the adapter every task uses is the fast one: Vulkan (Mesa's lavapipe on
 * a machine without a GPU, from Debian's mesa-vulkan-drivers; the vendor's driver on
 * a GPU server), not wgpu's OpenGL fallback (see src/gpu/backend.ts). Probing runs in
 * a child process: a process that has initialised WebGPU without a driver does not
 * see one installed afterwards, and the backend is fixed at its first request.
 */
import {
  BACKEND_ENV,
  type BackendChoice,
  classifyBackend,
  defaultBackend,
  GL_BACKEND_WARNING,
  VULKAN_HINT,
} from "../gpu/backend.ts";
import { runQuietly } from "../util/run_quietly.ts";

const PROBE = `
const a = await navigator.gpu?.requestAdapter();
console.log(a ? (a.info.description || a.info.vendor || "unnamed adapter") : "");
`;

/**
 * Describes the adapter a task would get with `DENO_WEBGPU_BACKEND=backend` (unset:
 * Deno's own choice), or "" when there is none.
 */
export async function probeAdapter(backend: string | undefined): Promise<string> {
  const env: Record<string, string> = {
    XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp",
  };
  if (backend !== undefined) env[BACKEND_ENV] = backend;
  const cmd = new Deno.Command(Deno.execPath(), {
    args: ["eval", PROBE],
    env,
    stdout: "piped",
    stderr: "piped",
  });
  const out = await cmd.output();
  return new TextDecoder().decode(out.stdout).trim();
}

/** What set-up found: the backend the tasks will ask for and the adapter it gives. */
export interface SetupProbe {
  /** DENO_WEBGPU_BACKEND as tasks will have it: the user's, else the platform default. */
  backendSetting: string | undefined;
  /** Description of the adapter on that backend; "" when there is none. */
  adapter: string;
  /** Whether set-up may install packages (root with apt-get, and allowed to). */
  canInstall: boolean;
  /** Whether mesa-vulkan-drivers was installed already in this run. */
  installed: boolean;
}

/** What set-up does next. */
export type SetupDecision =
  | { action: "ready"; adapter: string; warning?: string }
  | { action: "install" }
  | { action: "fail"; message: string };

/**
 * Decides from a probe: an adapter on Vulkan (or on a backend the user chose) is
 * ready, with a loud warning on GL; no adapter on Vulkan means installing
 * mesa-vulkan-drivers when possible, else one line saying what to install.
 */
export function decideSetup(probe: SetupProbe): SetupDecision {
  const backend: BackendChoice = classifyBackend(probe.backendSetting);
  if (probe.adapter) {
    return backend === "gl"
      ? { action: "ready", adapter: probe.adapter, warning: GL_BACKEND_WARNING }
      : { action: "ready", adapter: probe.adapter };
  }
  const which = backend === "vulkan" ? "Vulkan" : "WebGPU";
  if (probe.installed) {
    return {
      action: "fail",
      message: `mesa-vulkan-drivers is installed but no ${which} adapter appears; ${VULKAN_HINT}`,
    };
  }
  if (backend === "vulkan") {
    return probe.canInstall
      ? { action: "install" }
      : { action: "fail", message: `no Vulkan adapter; ${VULKAN_HINT}` };
  }
  return {
    action: "fail",
    message: `no WebGPU adapter with ${BACKEND_ENV}=${probe.backendSetting ?? "(unset)"}; ` +
      VULKAN_HINT,
  };
}

/** Runs `cmd args` quietly (non-interactive apt); whether it exited 0. */
export const run = runQuietly;

export function isRoot(): boolean {
  try {
    return Deno.uid() === 0;
  } catch {
    return false;
  }
}

export async function hasCommand(name: string): Promise<boolean> {
  return await run("sh", ["-c", `command -v ${name}`]);
}

/** Installs mesa-vulkan-drivers with apt-get (updating the package lists if needed). */
async function installLavapipe(): Promise<void> {
  const install = ["install", "-y", "--no-install-recommends", "mesa-vulkan-drivers"];
  if (await run("apt-get", install)) return;
  await run("apt-get", ["update"]);
  if (!(await run("apt-get", install))) {
    throw new Error(`apt-get could not install mesa-vulkan-drivers; ${VULKAN_HINT}`);
  }
}

/**
 * Returns the description of the adapter tasks will use, installing
 * mesa-vulkan-drivers first when there is no Vulkan adapter and this process may
 * (root with apt-get, and `allowInstall`). Throws one clear line otherwise; warns in
 * one line when the user chose the slow GL backend.
 */
export async function ensureVulkanAdapter(
  log: (msg: string) => void,
  warn: (msg: string) => void,
  allowInstall = true,
): Promise<string> {
  const userChoice = Deno.env.get(BACKEND_ENV);
  const backendValue = defaultBackend(Deno.build.os, userChoice) ?? userChoice;
  const probe = async (installed: boolean): Promise<SetupProbe> => ({
    backendSetting: backendValue,
    adapter: await probeAdapter(backendValue),
    canInstall: allowInstall && isRoot() && await hasCommand("apt-get"),
    installed,
  });
  let decision = decideSetup(await probe(false));
  if (decision.action === "install") {
    log("setup: no Vulkan adapter; installing mesa-vulkan-drivers (lavapipe) with apt-get ...");
    await installLavapipe();
    decision = decideSetup(await probe(true));
  }
  if (decision.action === "fail") throw new Error(decision.message);
  if (decision.action === "install") throw new Error(`no Vulkan adapter; ${VULKAN_HINT}`);
  if (decision.warning) warn(decision.warning);
  return decision.adapter;
}
