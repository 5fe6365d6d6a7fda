/**
 * What new cells cost once: their first steps against the same steps run again. The
 * difference is the pipelines' creation and, on llvmpipe, their LLVM compilation, which
 * happens at a pipeline's first dispatch (inside `queue.submit`, not in
 * `createComputePipeline`) unless Mesa's shader disk cache already holds it.
 */
import type { Gpu } from "../gpu/gpu.ts";
import { timeSteps } from "./gpu_counts.ts";
import type { FirstUseResult } from "./supernet_path_report.ts";

/** Runs `step(i)` for i < steps twice; the first pass is the first use. */
export async function measureFirstUse(
  gpu: Gpu,
  steps: number,
  step: (i: number) => void,
): Promise<FirstUseResult> {
  const first = await timeSteps(gpu, steps, step);
  const again = await timeSteps(gpu, steps, step);
  return {
    steps,
    pipelines: Math.round(first.counts.pipelines * steps),
    ms: first.ms * steps,
    againMs: again.ms * steps,
    createMs: first.counts.compileMs * steps,
  };
}
