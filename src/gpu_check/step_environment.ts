/**
 * Step "environment": the machine (nvidia-smi, device files, variables, Vulkan ICDs)
 * and the WebGPU adapter, into environment.json; prints the verdict line when a GPU is
 * there but WebGPU does not reach it (and the step then fails).
 */
import { atomicWrite } from "../util/atomic_write.ts";
import { probeAdapter } from "./adapter_probe.ts";
import { collectEnvironment } from "./environment.ts";
import type { CheckStep, StepContext, StepOutcome } from "./step.ts";
import { gpuAdapterVerdict } from "./verdict.ts";
import { isNvidiaIcd } from "./vulkan_icds.ts";

export const ENVIRONMENT_FILE = "environment.json";

export const environmentStep: CheckStep = {
  name: "environment",
  timeoutSeconds: 60, // a healthy adapter answers in seconds; a broken driver may hang
  async run(ctx: StepContext): Promise<StepOutcome> {
    const env = { ...Deno.env.toObject(), ...ctx.env };
    // nvidia-smi and ldconfig get a sixth of the step's time each, the adapter the rest.
    const machine = await collectEnvironment(env, ctx.timeoutMs / 6);
    const probe = await probeAdapter(ctx.deno, ctx.env, (ctx.timeoutMs * 2) / 3);
    const verdict = gpuAdapterVerdict({
      nvidiaSmiWorks: machine.nvidiaSmi.status === "ok",
      devNvidia: machine.devNvidia,
      adapter: probe.adapter,
      icdSearched: machine.icds.searched,
      nvidiaIcds: machine.icds.files.filter(isNvidiaIcd),
      driverCapabilities: env.NVIDIA_DRIVER_CAPABILITIES,
    });
    if (verdict) ctx.print(`gpu-check: ${verdict}`);
    await atomicWrite(
      `${ctx.out}/${ENVIRONMENT_FILE}`,
      JSON.stringify(
        {
          ...machine,
          adapter: probe.adapter,
          adapterProbe: { seconds: probe.seconds, error: probe.error ?? null },
          verdict,
        },
        null,
        2,
      ) + "\n",
    );
    const a = probe.adapter;
    const error = probe.error ??
      (a === null
        ? "no WebGPU adapter"
        : verdict
        ? "a GPU is present but the adapter is a CPU one (the line above; summary's verdict)"
        : undefined);
    return {
      ok: error === undefined,
      file: ENVIRONMENT_FILE,
      error,
      lastLine: a ? `adapter: ${a.description || a.device} (${a.isCpu ? "CPU" : "GPU"})` : error,
      details: {
        nvidiaSmi: machine.nvidiaSmi.status,
        verdict,
        adapter: a && {
          description: a.description,
          vendor: a.vendor,
          architecture: a.architecture,
          device: a.device,
          isCpu: a.isCpu,
          ...a.keyLimits,
          timestampQuery: a.timestampQuery,
        },
      },
    };
  },
};
