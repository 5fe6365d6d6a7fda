/**
 * Which wgpu backend Deno's WebGPU runs on. Deno reads `DENO_WEBGPU_BACKEND` once,
 * at the first `requestAdapter()` of the process (a comma list of wgpu names: vulkan,
 * gl, metal, dx12, ...); setting it in-process before that call works.
 *
 * On Linux without a Vulkan driver, wgpu falls back to its OpenGL backend over Mesa's
 * llvmpipe. That adapter is also named "llvmpipe", but kernels with workgroup memory
 * and barriers run hundreds of times slower there (the tiled conv test: 17.5 minutes,
 * against 4 s on Vulkan lavapipe). So on Linux this project asks for Vulkan unless
 * told otherwise, and says what to install when there is none.
 */

/** The backend a `DENO_WEBGPU_BACKEND` value selects, as far as it matters here. */
export type BackendChoice = "unset" | "vulkan" | "gl" | "other";

const VULKAN_NAMES = new Set(["vulkan", "vk"]);
const GL_NAMES = new Set(["gl", "gles", "opengl"]);

/** The environment variable Deno reads. */
export const BACKEND_ENV = "DENO_WEBGPU_BACKEND";

/**
 * Classifies a `DENO_WEBGPU_BACKEND` value: only Vulkan names → "vulkan", only GL
 * names → "gl", anything else (other or mixed backends) → "other". An empty value
 * counts as unset (Deno would find no backend at all).
 */
export function classifyBackend(value: string | undefined): BackendChoice {
  const names = (value ?? "").split(",").map((n) => n.trim().toLowerCase()).filter(Boolean);
  if (names.length === 0) return "unset";
  if (names.every((n) => VULKAN_NAMES.has(n))) return "vulkan";
  if (names.every((n) => GL_NAMES.has(n))) return "gl";
  return "other";
}

/**
 * The value to give `DENO_WEBGPU_BACKEND` when the user has not: "vulkan" on Linux
 * (where the alternative is the slow GL fallback), nothing elsewhere (Metal, DX12).
 */
export function defaultBackend(os: string, current: string | undefined): string | undefined {
  return classifyBackend(current) === "unset" && os === "linux" ? "vulkan" : undefined;
}

/** One line for a process that runs on wgpu's OpenGL backend. */
export const GL_BACKEND_WARNING = "warning: WebGPU runs on the OpenGL backend " +
  `(${BACKEND_ENV}=gl), where workgroup-memory kernels run hundreds of times slower than on ` +
  "Vulkan and tests that use them are skipped; install the Vulkan driver (Debian/Ubuntu: " +
  "mesa-vulkan-drivers) instead";

/** What to install for a Vulkan adapter, in one line. */
export const VULKAN_HINT = "install a Vulkan driver: on Debian/Ubuntu " +
  "`apt-get install -y mesa-vulkan-drivers` (lavapipe, the CPU adapter; or run `deno task " +
  `setup\` as root), on a GPU server the vendor's driver with its Vulkan ICD; ` +
  `${BACKEND_ENV}=gl runs on OpenGL instead, far slower`;

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined; // no --allow-env: behave as unset
  }
}

/**
 * Sets `DENO_WEBGPU_BACKEND` to this platform's default when it is unset (call
 * before the process's first `requestAdapter()`), and returns the choice in effect.
 */
export function applyBackendDefault(): BackendChoice {
  const current = readEnv(BACKEND_ENV);
  const wanted = defaultBackend(Deno.build.os, current);
  if (wanted === undefined) return classifyBackend(current);
  try {
    Deno.env.set(BACKEND_ENV, wanted);
  } catch {
    return "unset"; // no --allow-env: Deno picks the backend itself
  }
  return classifyBackend(wanted);
}

/** The backend choice in effect now (after `applyBackendDefault`, or as the user set it). */
export function currentBackend(): BackendChoice {
  return classifyBackend(readEnv(BACKEND_ENV));
}
