/** Starting and stopping the engine. */
import type { DeviceOptions } from "../gpu/device.ts";
import { getGpu, type Gpu, releaseGpu } from "../gpu/gpu.ts";
import { engine } from "./engine.ts";

/** Acquires the GPU (once per process) and makes it the engine's device. */
export async function initEngine(options: DeviceOptions = {}): Promise<Gpu> {
  const gpu = await getGpu(options);
  engine.setGpu(gpu);
  return gpu;
}

/** Drains the queue and destroys the device; call before the process exits. */
export async function shutdownEngine(): Promise<void> {
  engine.setGpu(null);
  await releaseGpu();
}
