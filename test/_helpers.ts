/**
 * Shared test utilities: a Deno.test wrapper that provides the GPU engine, and
 * comparisons against the CPU reference.
 */
import assert from "node:assert/strict";
import { initEngine } from "../src/tensor/init.ts";
import { fromArray } from "../src/tensor/creation.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import type { Gpu } from "../src/gpu/gpu.ts";
import { currentBackend } from "../src/gpu/backend.ts";

/** Options of `gpuTest`. */
export interface GpuTestOptions {
  /**
   * The test takes minutes on wgpu's OpenGL backend (workgroup-memory kernels): it is
   * skipped there, and its name says so, instead of eating a CI time budget.
   */
  slowOnGl?: boolean;
}

/**
 * A test that needs the GPU. WebGPU keeps internal async ops and resources alive
 * across tests (the device is shared per process), so the sanitizers are off.
 */
export function gpuTest(
  name: string,
  fn: (gpu: Gpu) => Promise<void> | void,
  options: GpuTestOptions = {},
): void {
  const skip = options.slowOnGl === true && currentBackend() === "gl";
  Deno.test({
    name: skip ? `${name} (skipped: takes minutes on the OpenGL backend; use Vulkan)` : name,
    ignore: skip,
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const gpu = await initEngine();
      await fn(gpu);
      gpu.throwIfFailed(name);
    },
  });
}

/** Uploads a reference tensor ({shape, data: Float64Array}) as a GPU tensor. */
export function toGpu(
  host: { shape: readonly number[]; data: ArrayLike<number> },
  name = "input",
): Tensor {
  return fromArray(host.shape, Float32Array.from(host.data), { name });
}

/**
 * Normwise relative error max|a−e| / max|e|: element-wise relative error is
 * meaningless where the expected value is near zero.
 */
export function relError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  assert.equal(actual.length, expected.length, "length mismatch");
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i] - expected[i]);
    if (!(d <= diff)) diff = Number.isNaN(d) ? Infinity : Math.max(diff, d);
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / Math.max(scale, 1e-12);
}

/** Asserts relError ≤ tol, naming what was compared. */
export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  label: string,
  tol = 1e-4,
): void {
  const e = relError(actual, expected);
  assert.ok(e <= tol, `${label}: relative error ${e.toExponential(2)} > ${tol}`);
}

/** The repository root (tasks run from it). */
export const REPO_ROOT = new URL("..", import.meta.url).pathname;

/** What a subprocess printed, trimmed, and its exit code. */
export interface ScriptRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs `deno ...args` from the repository root with extra environment variables.
 * Deno runs with `--quiet`, so what a test reads is the program's own output: on a
 * fresh machine Deno would otherwise print its `Download …` lines to stderr the
 * first time a script imports a package (tfjs, onnxruntime-node, sharp).
 */
export async function runDeno(
  args: string[],
  env: Record<string, string> = {},
): Promise<ScriptRun> {
  const [subcommand, ...rest] = args;
  const out = await new Deno.Command(Deno.execPath(), {
    args: [subcommand, "--quiet", ...rest],
    cwd: REPO_ROOT,
    env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b).trim();
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

/** Runs `deno run -A scripts/<script> ...args` from the repository root, as a task would. */
export function runScript(script: string, ...args: string[]): Promise<ScriptRun> {
  return runDeno(["run", "-A", `scripts/${script}`, ...args]);
}

/** Asserts that `fn` throws one line matching `pattern`. */
export function throwsLine(fn: () => unknown, pattern: RegExp) {
  assert.throws(fn, (err: Error) => {
    assert.match(err.message, pattern);
    assert.ok(!err.message.includes("\n"), `multi-line error: ${err.message}`);
    return true;
  });
}
