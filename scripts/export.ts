/**
 * deno task export --checkpoint <ckpt.onnx> --out <model.onnx> [--arch <name|spec.json>]
 *                  [--batch N|dynamic]
 *
 * Loads a checkpoint's weights into the network built from --arch (a built-in name such
 * as "mobilenetv2-28", or a network spec / net.config JSON file; default: the spec the
 * checkpoint carries in its metadata) and writes a deployment ONNX file (opset 13, BN
 * folded into the convs) atomically. Errors are one line and exit with status 1.
 * The work is in src/train/export_command.ts.
 */
import {
  EXPORT_USAGE,
  openExport,
  parseExportArgs,
  writeExport,
} from "../src/train/export_command.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { runCli, wantsHelp } from "./_cli.ts";

if (wantsHelp(Deno.args)) {
  console.log(EXPORT_USAGE);
  Deno.exit(0);
}

await runCli("export", async () => {
  const opened = await openExport(parseExportArgs(Deno.args));
  await initEngine();
  try {
    const bytes = await writeExport(opened);
    const { request, spec } = opened;
    console.log(
      `wrote ${request.out} (${spec.name}, ${(bytes / 1024).toFixed(1)} KiB, opset 13, ` +
        `BN folded, batch ${request.batch})`,
    );
  } finally {
    await shutdownEngine();
  }
});
