/**
 * Packs what an offline GPU server needs to run `deno task bench` (or any task, or the
 * GPU check): the project's tracked files, its installed npm packages (linux-x64 only),
 * the Deno binary, Debian's Vulkan loader (libvulkan1) as a .deb that the run scripts
 * unpack next to it, and a slice of Fashion-MNIST. The server needs only its GPU driver
 * (with its Vulkan ICD). With --tools, writes instead the folder a checkout carries to a
 * lent GPU machine (src/setup/gpu_tools.ts).
 *
 *   deno run -A scripts/pack_gpu_server.ts [--out out/autospace-gpu.tar.gz]
 *   # on the server:
 *   tar xzf autospace-gpu.tar.gz && cd autospace-gpu && ./gpu-check.sh check-out
 */
import { BUNDLE_FOLDER, packGpuBundle } from "../src/setup/gpu_bundle.ts";
import { DEVICE_TOOL_LIMIT_BYTES, writeGpuTools } from "../src/setup/gpu_tools.ts";
import { parseCli, runCli } from "./_cli.ts";

const PACK = {
  usage: "deno task pack-gpu [--out FILE | --tools DIR]",
  summary: "Packs an offline bundle for a headless GPU server: the project's tracked files, its\n" +
    "linux-x64 npm packages, the Deno binary, Debian's Vulkan loader (libvulkan1) and a slice\n" +
    `of Fashion-MNIST. On the server: tar xzf FILE && cd ${BUNDLE_FOLDER} && ./run.sh bench,\n` +
    "or ./gpu-check.sh OUTDIR (the GPU check; docs/performance.md). Run scripts check for a\n" +
    "Vulkan adapter first and say what to install when there is none.",
  flags: {
    out: {
      type: "string",
      default: "out/autospace-gpu.tar.gz",
      arg: "FILE",
      help: "the bundle to write",
    },
    tools: {
      type: "string",
      arg: "DIR",
      help: "write the tools folder a checkout carries to a lent GPU machine instead\n" +
        "(Deno and node_modules xz-compressed, libvulkan1, the data slice; e.g. .tools/gpu),\n" +
        "for scripts/gpu_check.sh",
    },
  },
} as const;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

await runCli("pack", async () => {
  const { values } = parseCli(PACK, Deno.args);
  const log = (line: string) => console.log(line);
  if (values.tools !== undefined) {
    const { tools, tracked } = await writeGpuTools(values.tools, log);
    const total = tools + tracked;
    console.log(
      `pack: wrote ${values.tools} (${mib(tools)}; with the tracked files ${mib(total)}, ` +
        `${total > DEVICE_TOOL_LIMIT_BYTES ? "OVER" : "within"} a device tool's ` +
        `${mib(DEVICE_TOOL_LIMIT_BYTES)}); there: bash scripts/gpu_check.sh OUTDIR`,
    );
    return;
  }
  const size = await packGpuBundle(values.out!, log);
  console.log(
    `pack: wrote ${values.out} (${mib(size)}); on the server: tar xzf, then ` +
      "./gpu-check.sh OUTDIR or ./run.sh bench",
  );
});
