/**
 * The GPU check's pure parts, on fake inputs: the one line for a GPU that WebGPU does
 * not reach, JUnit and deno test output read back, output tails, ICD files found, and
 * a child that outlives its limit.
 */
import assert from "node:assert/strict";
import { adapterReport } from "../src/gpu_check/adapter_probe.ts";
import { lastLines, runChild } from "../src/gpu_check/child.ts";
import { parseJunit } from "../src/gpu_check/junit.ts";
import { printedResults } from "../src/gpu_check/step_kernel_tests.ts";
import { gpuAdapterVerdict, type VerdictInput } from "../src/gpu_check/verdict.ts";
import { findIcdFiles, isNvidiaIcd } from "../src/gpu_check/vulkan_icds.ts";

const LAVAPIPE = { description: "llvmpipe (LLVM 15.0.6, 256 bits)", isCpu: true };
const H200 = { description: "NVIDIA H200", isCpu: false };
const SEARCHED = ["/etc/vulkan/icd.d", "/usr/share/vulkan/icd.d"];

function verdict(over: Partial<VerdictInput>): string | null {
  return gpuAdapterVerdict({
    nvidiaSmiWorks: false,
    devNvidia: [],
    adapter: LAVAPIPE,
    icdSearched: SEARCHED,
    nvidiaIcds: [],
    driverCapabilities: undefined,
    ...over,
  });
}

Deno.test("verdict: silent without a GPU, and when the adapter is the GPU", () => {
  assert.equal(verdict({}), null, "a CPU machine on lavapipe");
  assert.equal(verdict({ adapter: null }), null, "no GPU and no adapter: set-up's business");
  assert.equal(verdict({ nvidiaSmiWorks: true, adapter: H200 }), null);
  assert.equal(verdict({ devNvidia: ["/dev/nvidia0"], adapter: H200 }), null);
});

Deno.test("verdict: a GPU with a CPU adapter or none is one line naming where it looked", () => {
  const cudaOnly = verdict({ nvidiaSmiWorks: true, driverCapabilities: "compute,utility" })!;
  assert.ok(!cudaOnly.includes("\n"));
  assert.match(cudaOnly, /^GPU present \(nvidia-smi works\) but the WebGPU adapter is a CPU one/);
  assert.match(cudaOnly, /llvmpipe/);
  assert.match(cudaOnly, /no NVIDIA Vulkan ICD in \/etc\/vulkan\/icd\.d, \/usr\/share\/vulkan/);
  assert.match(cudaOnly, /NVIDIA_DRIVER_CAPABILITIES=compute,utility lacks graphics/);
  const none = verdict({ devNvidia: ["/dev/nvidia0", "/dev/nvidiactl"], adapter: null })!;
  assert.match(none, /^GPU present \(\/dev\/nvidia0 exists\) but there is no WebGPU adapter/);
  assert.match(none, /NVIDIA_DRIVER_CAPABILITIES is unset/);
  const icd = "/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json";
  const noLib = verdict({
    nvidiaSmiWorks: true,
    nvidiaIcds: [{ path: icd, library: "libGLX_nvidia.so.0", libraryFound: false }],
    driverCapabilities: "all",
  })!;
  assert.match(noLib, /nvidia_icd\.json names libGLX_nvidia\.so\.0, which is missing/);
  assert.match(noLib, /NVIDIA_DRIVER_CAPABILITIES=all;/);
  const unused = verdict({
    nvidiaSmiWorks: true,
    nvidiaIcds: [{ path: icd, library: "libGLX_nvidia.so.0", libraryFound: true }],
  })!;
  assert.match(unused, /is there but was not used/);
});

Deno.test("adapter report: CPU by name or fallback flag; key limits and timestamps", () => {
  const raw = {
    description: "llvmpipe (LLVM 15.0.6, 256 bits)",
    vendor: "65541",
    architecture: "",
    device: "0",
    isFallbackAdapter: false,
    limits: { maxStorageBufferBindingSize: 134217728, maxBufferSize: 2147483647 },
    features: ["shader-f16", "timestamp-query"],
  };
  const cpu = adapterReport(raw);
  assert.equal(cpu.isCpu, true);
  assert.equal(cpu.timestampQuery, true);
  assert.equal(cpu.keyLimits.maxStorageBufferBindingSize, 134217728);
  assert.equal(cpu.keyLimits.maxComputeWorkgroupStorageSize, 0, "absent limits read 0");
  const gpu = adapterReport({ ...raw, description: "NVIDIA H200", features: [] });
  assert.deepEqual([gpu.isCpu, gpu.timestampQuery], [false, false]);
  assert.equal(adapterReport({ ...gpu, isFallbackAdapter: true }).isCpu, true);
});

Deno.test("JUnit: passed, failed with its message, skipped; entities decoded", () => {
  const xml = `<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="deno test" tests="3" failures="1" errors="0" time="1.5">
  <testsuite name="./test/_helpers.ts" tests="3" disabled="1" errors="0" failures="1">
    <testcase name="conv2d tiled: forward &amp; dx" classname="./test/_helpers.ts" time="0.290" line="31" col="8">
    </testcase>
    <testcase name="linear (tiled): the &apos;dw&apos;" classname="./test/_helpers.ts" time="0.100" line="31" col="8">
      <failure message="Uncaught AssertionError: dw: relative error 3e-2 &gt; 0.0001">AssertionError
    at x</failure>
    </testcase>
    <testcase name="conv2d register: forward" classname="./test/_helpers.ts" line="31" col="8">
      <skipped/>
    </testcase>
  </testsuite>
</testsuites>`;
  assert.deepEqual(parseJunit(xml), [
    {
      name: "conv2d tiled: forward & dx",
      where: "./test/_helpers.ts",
      status: "passed",
      seconds: 0.29,
    },
    {
      name: "linear (tiled): the 'dw'",
      where: "./test/_helpers.ts",
      status: "failed",
      seconds: 0.1,
      message: "Uncaught AssertionError: dw: relative error 3e-2 > 0.0001",
    },
    {
      name: "conv2d register: forward",
      where: "./test/_helpers.ts",
      status: "skipped",
      seconds: null,
    },
  ]);
  assert.deepEqual(parseJunit(""), []);
});

Deno.test("deno test output: each test's file and result", () => {
  const out = [
    "running 2 tests from ./test/ops_conv2d.test.ts",
    "conv2d tiled: forward, dx and dw match the reference ... ok (7s)",
    "conv2d tiled: autograd ... FAILED (104ms)",
    "running 1 test from ./test/ops_linear.test.ts",
    "linear (tiled): forward and dx, dw, db match the reference ... ok (261ms)",
    "conv2d tiled: forward, dx and dw match the reference => ./test/ops_conv2d.test.ts:89:3",
  ].join("\n");
  assert.deepEqual(printedResults(out).map((t) => [t.name, t.where, t.status]), [
    [
      "conv2d tiled: forward, dx and dw match the reference",
      "./test/ops_conv2d.test.ts",
      "passed",
    ],
    ["conv2d tiled: autograd", "./test/ops_conv2d.test.ts", "failed"],
    [
      "linear (tiled): forward and dx, dw, db match the reference",
      "./test/ops_linear.test.ts",
      "passed",
    ],
  ]);
});

Deno.test("output tails: colours gone, progress bars resolved, blank lines dropped", () => {
  const esc = String.fromCharCode(27);
  const text = `${esc}[32mDownload${esc}[0m x\nstep 1\rstep 2\r\n\n  layer 1\n`;
  assert.deepEqual(lastLines(text, 5), ["Download x", "step 2", "  layer 1"]);
  assert.deepEqual(lastLines(text, 1), ["  layer 1"]);
});

Deno.test("ICD files: the usual folders and the loader's variables, NVIDIA's told apart", async () => {
  const dir = await Deno.makeTempDir({ prefix: "icd-" });
  try {
    const nv = `${dir}/nvidia_icd.json`;
    await Deno.writeTextFile(nv, JSON.stringify({ ICD: { library_path: "libGLX_nvidia.so.0" } }));
    await Deno.writeTextFile(`${dir}/broken.json`, "{");
    const found = await findIcdFiles(
      { VK_DRIVER_FILES: nv, VK_ADD_DRIVER_FILES: dir },
      new Set(["libGLX_nvidia.so.0"]),
    );
    assert.ok(found.searched.includes(`VK_DRIVER_FILES=${nv}`));
    assert.ok(found.searched.includes("/usr/local/nvidia/share/vulkan/icd.d"));
    const mine = found.files.filter((f) => f.path.startsWith(dir));
    assert.deepEqual(mine.map((f) => [f.path, f.via]), [
      [nv, "VK_DRIVER_FILES"],
      [`${dir}/broken.json`, "VK_ADD_DRIVER_FILES"],
    ]);
    assert.equal(mine[0].libraryFound, true);
    assert.ok(isNvidiaIcd(mine[0]));
    assert.ok(mine[1].error);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a child past its limit is stopped and says so", async () => {
  const r = await runChild("bash", ["-c", "echo started; exec sleep 30"], { timeoutMs: 300 });
  assert.equal(r.timedOut, true);
  assert.equal(r.code, null);
  assert.deepEqual(r.tail, ["started"]);
  assert.ok(r.seconds < 10, `${r.seconds} s`);
  const ok = await runChild("bash", ["-c", "echo out; echo err >&2; exit 3"], {
    timeoutMs: 10_000,
    keepStdout: true,
  });
  assert.deepEqual([ok.code, ok.timedOut, ok.stdout], [3, false, "out\n"]);
});
