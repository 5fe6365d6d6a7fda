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
import { packGpuBundle } from "../src/setup/gpu_bundle.ts";
import { DEVICE_TOOL_LIMIT_BYTES, writeGpuTools } from "../src/setup/gpu_tools.ts";
import { PACK_USAGE, parsePackArgs } from "../src/setup/pack_command.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(PACK_USAGE);
  Deno.exit(0);
}

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MiB`;

await runCli("pack", async () => {
  const request = parsePackArgs(Deno.args);
  const log = (line: string) => console.log(line);
  if (request.tools !== null) {
    const { tools, tracked } = await writeGpuTools(request.tools, log);
    const total = tools + tracked;
    console.log(
      `pack: wrote ${request.tools} (${mib(tools)}; with the tracked files ${mib(total)}, ` +
        `${total > DEVICE_TOOL_LIMIT_BYTES ? "OVER" : "within"} a device tool's ` +
        `${mib(DEVICE_TOOL_LIMIT_BYTES)}); there: bash scripts/gpu_check.sh OUTDIR`,
    );
    return;
  }
  const size = await packGpuBundle(request.out, log);
  console.log(
    `pack: wrote ${request.out} (${mib(size)}); on the server: tar xzf, then ` +
      "./gpu-check.sh OUTDIR or ./run.sh bench",
  );
});
