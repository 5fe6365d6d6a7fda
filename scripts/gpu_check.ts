/**
 * `deno task gpu-check --out DIR` — what a GPU machine does with a few lent minutes:
 * records the environment and the WebGPU adapter, runs the tiled kernels' tests, the
 * bench and a short evolve, each under its own time limit, into a few JSON files
 * (src/gpu_check/check.ts). Offline, from the GPU bundle or a checkout with the
 * carried tools: scripts/gpu_check.sh OUTDIR.
 */
import { resolve } from "node:path";
import { notPassed, runGpuCheck, SUMMARY_FILE } from "../src/gpu_check/check.ts";
import { GPU_CHECK_USAGE, parseGpuCheckArgs } from "../src/gpu_check/command.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(GPU_CHECK_USAGE);
  Deno.exit(0);
}

await runCli("gpu-check", async () => {
  const request = parseGpuCheckArgs(Deno.args);
  const data = request.data && resolve(request.data);
  if (data && !(await Deno.stat(data).then((s) => s.isDirectory, () => false))) {
    throw new Error(`--data ${request.data} is not a folder`);
  }
  const out = resolve(request.out);
  const summary = await runGpuCheck({
    root: new URL("..", import.meta.url).pathname.replace(/\/$/, ""),
    out,
    quick: request.quick,
    budgetSeconds: request.budgetSeconds,
    steps: [...request.steps],
    data,
    print: (line) => console.log(line),
  });
  const failed = notPassed(summary);
  console.log(
    `gpu-check: ${failed.length ? `not passed: ${failed.join(", ")}` : "every step passed"} in ` +
      `${summary.seconds.toFixed(0)} s; ${out}/${SUMMARY_FILE}`,
  );
  if (failed.length) Deno.exit(1);
});
