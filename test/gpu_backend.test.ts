/**
 * The backend rule: tasks ask for Vulkan on Linux, set-up installs or names the
 * Vulkan driver when there is none, and the slow OpenGL fallback is never taken
 * silently. A machine without the driver is imitated by pointing the Vulkan loader
 * at no driver files (VK_DRIVER_FILES=/nonexistent).
 */
import assert from "node:assert/strict";
import { gpuTest, runDeno as deno } from "./_helpers.ts";
import { classifyBackend, defaultBackend } from "../src/gpu/backend.ts";
import { getGpu } from "../src/gpu/gpu.ts";
import { decideSetup } from "../src/setup/adapter.ts";
import { defaultLlvmpipeThreads, LLVMPIPE_THREADS_ENV } from "../src/gpu/llvmpipe_threads.ts";

const NO_VULKAN_DRIVER = { VK_DRIVER_FILES: "/nonexistent", VK_ICD_FILENAMES: "/nonexistent" };

Deno.test("DENO_WEBGPU_BACKEND values are classified; Linux defaults to Vulkan", () => {
  assert.equal(classifyBackend(undefined), "unset");
  assert.equal(classifyBackend(""), "unset");
  assert.equal(classifyBackend("vulkan"), "vulkan");
  assert.equal(classifyBackend(" VK "), "vulkan");
  assert.equal(classifyBackend("gl"), "gl");
  assert.equal(classifyBackend("opengl,gles"), "gl");
  assert.equal(classifyBackend("vulkan,gl"), "other");
  assert.equal(classifyBackend("metal"), "other");
  assert.equal(defaultBackend("linux", undefined), "vulkan");
  assert.equal(defaultBackend("linux", ""), "vulkan");
  assert.equal(defaultBackend("linux", "gl"), undefined, "the user's choice stands");
  assert.equal(defaultBackend("darwin", undefined), undefined, "Metal is Deno's own choice");
});

Deno.test("llvmpipe gets two threads a core unless the user chose a number", () => {
  assert.equal(defaultLlvmpipeThreads(2, undefined), 4);
  assert.equal(defaultLlvmpipeThreads(2, ""), 4);
  assert.equal(defaultLlvmpipeThreads(1, undefined), 2);
  assert.equal(defaultLlvmpipeThreads(64, undefined), 16, "llvmpipe's cap");
  assert.equal(defaultLlvmpipeThreads(Number.NaN, undefined), 2);
  assert.equal(defaultLlvmpipeThreads(2, "3"), undefined, "the user's choice stands");
});

gpuTest("the engine's device sets LP_NUM_THREADS before the driver loads", () => {
  assert.ok(Deno.env.get(LLVMPIPE_THREADS_ENV), "LP_NUM_THREADS is set once a device exists");
});

Deno.test("set-up decides from its probe: ready, install, or one line of what to install", () => {
  const probe = { backendSetting: "vulkan", adapter: "", canInstall: false, installed: false };
  assert.deepEqual(decideSetup({ ...probe, adapter: "llvmpipe" }), {
    action: "ready",
    adapter: "llvmpipe",
  });
  assert.deepEqual(decideSetup({ ...probe, canInstall: true }), { action: "install" });
  const refused = decideSetup(probe);
  assert.equal(refused.action, "fail");
  if (refused.action === "fail") {
    assert.match(refused.message, /^no Vulkan adapter; .*apt-get install -y mesa-vulkan-drivers/);
    assert.ok(!refused.message.includes("\n"), "one line");
  }
  const stillNone = decideSetup({ ...probe, canInstall: true, installed: true });
  assert.equal(stillNone.action, "fail");
  if (stillNone.action === "fail") assert.match(stillNone.message, /installed but no Vulkan/);
  // A GL adapter the user asked for is used, with a loud warning.
  const gl = decideSetup({ ...probe, backendSetting: "gl", adapter: "llvmpipe" });
  assert.equal(gl.action, "ready");
  if (gl.action === "ready") assert.match(gl.warning ?? "", /OpenGL backend.*mesa-vulkan-drivers/);
  // Another backend the user chose that gives nothing: say so, never install lavapipe.
  const metal = decideSetup({ ...probe, backendSetting: "metal", canInstall: true });
  assert.equal(metal.action, "fail");
});

Deno.test("without the Vulkan driver: no Vulkan adapter, only GL, and set-up says what to install", async () => {
  // The imitation works: Vulkan finds nothing, GL still offers llvmpipe.
  const probe =
    "const a = await navigator.gpu.requestAdapter(); console.log(a ? 'found' : 'none');";
  const vulkan = await deno(["eval", probe], {
    ...NO_VULKAN_DRIVER,
    DENO_WEBGPU_BACKEND: "vulkan",
  });
  const gl = await deno(["eval", probe], { ...NO_VULKAN_DRIVER, DENO_WEBGPU_BACKEND: "gl" });
  assert.equal(vulkan.stdout, "none");
  assert.equal(gl.stdout, "found");

  const setup = await deno(["run", "-A", "scripts/setup.ts", "--no-install"], NO_VULKAN_DRIVER);
  assert.equal(setup.code, 1);
  assert.match(setup.stderr, /^setup: no Vulkan adapter; .*mesa-vulkan-drivers/);
  assert.equal(setup.stderr.split("\n").length, 1, setup.stderr);

  const chosenGl = await deno(["run", "-A", "scripts/setup.ts", "--no-install"], {
    ...NO_VULKAN_DRIVER,
    DENO_WEBGPU_BACKEND: "gl",
  });
  assert.equal(chosenGl.code, 0);
  assert.match(chosenGl.stderr, /^warning: WebGPU runs on the OpenGL backend/);
});

Deno.test("without the Vulkan driver a task refuses instead of running on GL", async () => {
  const task = "import { initEngine } from './src/tensor/init.ts';\n" +
    "try { await initEngine(); console.log('started'); } catch (e) { console.log(e.message); }";
  const out = await deno(["eval", task], NO_VULKAN_DRIVER);
  assert.match(out.stdout, /^no Vulkan adapter found; .*mesa-vulkan-drivers/);
});

gpuTest("getGpu: options after the first call must agree with it", async (gpu) => {
  assert.equal(await getGpu(), gpu);
  assert.equal(await getGpu({ variant: undefined }), gpu, "unset options do not conflict");
  const other = gpu.info.variant === "register" ? "tiled" : "register";
  await assert.rejects(
    () => getGpu({ variant: other }),
    new RegExp(`the GPU already exists .*variant ${other} would need another one`),
  );
});
