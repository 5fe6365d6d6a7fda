/**
 * deno task export --checkpoint <ckpt.onnx> --out <model.onnx> [--arch <name|spec.json>]
 *                  [--batch N|dynamic]
 *
 * Loads a checkpoint's weights into the network built from --arch (a built-in name such
 * as "mobilenetv2-28", or a network spec / net.config JSON file; default: the spec the
 * checkpoint carries in its metadata) and writes a deployment ONNX file (opset 13, BN
 * folded into the convs) atomically. Errors are one line and exit with status 1.
 */
import { buildNetwork } from "../src/networks/network.ts";
import { atomicWrite } from "../src/util/atomic_write.ts";
import {
  embeddedNetworkJson,
  exportOnnx,
  loadModelWeights,
  openOnnxFile,
} from "../src/onnx/mod.ts";
import { loadTarget } from "../src/space/load.ts";
import { type NetworkSpec, parseNetworkSpec } from "../src/space/network_spec.ts";
import { withFile } from "../src/space/spec_error.ts";
import { initEngine, shutdownEngine } from "../src/tensor/init.ts";
import { Rng } from "../src/util/rng.ts";
import { parseCli, runCli } from "./_cli.ts";

const EXPORT = {
  usage: "deno task export --checkpoint CKPT.onnx --out MODEL.onnx [--arch NETWORK] [--batch N]",
  summary: "Writes a deployment ONNX file (opset 13, BN folded into the convs) from a training\n" +
    "checkpoint, atomically.",
  flags: {
    checkpoint: { type: "string", arg: "CKPT.onnx", help: "the checkpoint to read (required)" },
    out: { type: "string", arg: "MODEL.onnx", help: "the model to write (required)" },
    arch: {
      type: "string",
      arg: "NETWORK",
      defaultText: "the spec the checkpoint carries",
      help: "built-in name or network spec / net.config JSON the checkpoint was trained as",
    },
    batch: {
      type: "string",
      default: "dynamic",
      arg: "N|dynamic",
      help: "batch dimension of the model's input",
    },
  },
} as const;
const USAGE = `usage: ${EXPORT.usage}`;

async function networkSpec(arch: string | undefined, embedded: string | undefined, ckpt: string) {
  if (arch !== undefined) {
    const loaded = await loadTarget(arch);
    if (loaded.kind !== "network") {
      throw new Error(`--arch ${arch}: is a search space, not a network`);
    }
    return loaded.spec;
  }
  if (embedded === undefined) {
    throw new Error(`${ckpt} carries no network spec; pass --arch NAME|SPEC.json`);
  }
  return withFile(ckpt, (): NetworkSpec => parseNetworkSpec(JSON.parse(embedded)));
}

function parseBatch(text: string): number | "dynamic" {
  if (text === "dynamic") return "dynamic";
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--batch must be a positive integer or "dynamic", got "${text}"`);
  }
  return n;
}

await runCli("export", async () => {
  const { values, positionals } = parseCli({ ...EXPORT, positionals: true }, Deno.args);
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"; ${USAGE}`);
  const ckpt = values.checkpoint;
  const out = values.out;
  if (!ckpt) throw new Error(`--checkpoint is required; ${USAGE}`);
  if (!out) throw new Error(`--out is required; ${USAGE}`);
  const batch = parseBatch(values.batch!);
  if (await sameFile(ckpt, out)) {
    throw new Error(`--out ${out} is the checkpoint itself; choose another file`);
  }
  const model = await openOnnxFile(ckpt);
  const spec = await networkSpec(values.arch, embeddedNetworkJson(model), ckpt);
  await initEngine();
  try {
    const net = buildNetwork(spec, new Rng(0)).eval();
    loadModelWeights(model, ckpt, net);
    const bytes = await exportOnnx(net, { foldBn: true, batch });
    await atomicWrite(out, bytes);
    console.log(
      `wrote ${out} (${spec.name}, ${(bytes.length / 1024).toFixed(1)} KiB, opset 13, ` +
        `BN folded, batch ${batch})`,
    );
    net.dispose();
  } finally {
    await shutdownEngine();
  }
});

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([Deno.stat(a), Deno.stat(b)]);
    return sa.ino !== null && sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}
