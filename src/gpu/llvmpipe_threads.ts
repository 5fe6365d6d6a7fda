/**
 * Worker threads of Mesa's llvmpipe (the CPU adapter behind lavapipe), read from
 * `LP_NUM_THREADS` once, when the Vulkan driver loads at the process's first
 * `requestAdapter()`; setting it in-process before that call works.
 *
 * llvmpipe's default is one thread a core. Twice that ran a MobileNetV2 training step
 * faster on the 2-core development VMs: `deno task bench --sections train` gave
 * 104/128/129 images/s with 4 threads against 94/107/118 with `LP_NUM_THREADS=2`, runs
 * interleaved, while each kernel's fastest time did not move, so the extra threads fill
 * the time when a core stalls (other tenants, the queue thread, the JS thread) rather
 * than compute faster. A user's own value always wins.
 */

/** The environment variable llvmpipe reads. */
export const LLVMPIPE_THREADS_ENV = "LP_NUM_THREADS";

/** llvmpipe's own upper bound on worker threads (Mesa 22.3's LP_MAX_THREADS). */
const LLVMPIPE_MAX_THREADS = 16;

/**
 * The value to give `LP_NUM_THREADS` when it is unset or empty: twice the logical
 * cores, at most llvmpipe's cap; undefined when the user chose a value.
 */
export function defaultLlvmpipeThreads(
  cores: number,
  current: string | undefined,
): number | undefined {
  if (current !== undefined && current.trim() !== "") return undefined;
  const n = Number.isFinite(cores) && cores >= 1 ? Math.floor(cores) : 1;
  return Math.min(2 * n, LLVMPIPE_MAX_THREADS);
}

/**
 * Sets `LP_NUM_THREADS` to `defaultLlvmpipeThreads` when the user has not (call before
 * the process's first `requestAdapter()`). Harmless on other adapters, which ignore it.
 */
export function applyLlvmpipeThreadsDefault(): void {
  try {
    const wanted = defaultLlvmpipeThreads(
      navigator.hardwareConcurrency,
      Deno.env.get(LLVMPIPE_THREADS_ENV),
    );
    if (wanted !== undefined) Deno.env.set(LLVMPIPE_THREADS_ENV, String(wanted));
  } catch { /* no --allow-env: llvmpipe keeps its default */ }
}
