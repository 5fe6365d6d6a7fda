/**
 * `deno task export` as a library entry point: its flag table, `parseExportArgs`
 * (flags only) and the export itself, which loads a training checkpoint's weights
 * into the network it was trained as and writes a deployment ONNX file (opset 13, BN
 * folded into the convs) atomically (`openExport`, then `writeExport`). The script
 * (scripts/export.ts) and `deno task autospace` call these.
 */
import { buildNetwork } from "../networks/network.ts";
import { embeddedNetworkJson, exportOnnx, loadModelWeights, openOnnxFile } from "../onnx/mod.ts";
import { loadTarget } from "../space/load.ts";
import { type NetworkSpec, parseNetworkSpec } from "../space/network_spec.ts";
import { withFile } from "../space/spec_error.ts";
import { atomicWrite } from "../util/atomic_write.ts";
import {
  type ConfigCommand,
  configHelp,
  optionalFlag,
  parseConfigLine,
  textFlag,
} from "../util/cli_command.ts";
import { Rng } from "../util/rng.ts";

/** What `deno task export` was asked for. */
export interface ExportRequest {
  readonly checkpoint: string;
  readonly out: string;
  /** The network the checkpoint was trained as; undefined: the spec it carries. */
  readonly arch: string | undefined;
  readonly batch: number | "dynamic";
}

/** `deno task export` without flags (the checkpoint and the model must be given). */
export const DEFAULT_EXPORT_REQUEST: ExportRequest = {
  checkpoint: "",
  out: "",
  arch: undefined,
  batch: "dynamic",
};

function parseBatch(text: string, flag: string): number | "dynamic" {
  if (text === "dynamic") return "dynamic";
  const n = Number(text);
  if (!Number.isInteger(n) || n < 1) {
    throw new Error(`--${flag} must be a positive integer or "dynamic", got "${text}"`);
  }
  return n;
}

/** The flags of `deno task export`, each setting one field of `ExportRequest`. */
export const EXPORT_COMMAND: ConfigCommand<ExportRequest> = {
  usage: "deno task export --checkpoint CKPT.onnx --out MODEL.onnx [--arch NETWORK] [--batch N]",
  summary: "Writes a deployment ONNX file (opset 13, BN folded into the convs) from a training\n" +
    "checkpoint, atomically.",
  // Taken only to be refused in one line that shows the usage.
  positionals: true,
  flags: {
    checkpoint: optionalFlag(
      textFlag("checkpoint", "CKPT.onnx", "the checkpoint to read"),
      "required",
    ),
    out: optionalFlag(textFlag("out", "MODEL.onnx", "the model to write"), "required"),
    arch: optionalFlag(
      textFlag(
        "arch",
        "NETWORK",
        "built-in name or network spec / net.config JSON the checkpoint was trained as",
      ),
      "the spec the checkpoint carries",
    ),
    batch: {
      key: "batch",
      arg: "N|dynamic",
      help: "batch dimension of the model's input",
      read: parseBatch,
    },
  },
};

/** `deno task export --help`. */
export const EXPORT_USAGE: string = configHelp(EXPORT_COMMAND, DEFAULT_EXPORT_REQUEST);

/** Reads `deno task export` flags; throws one line naming the bad or missing flag. */
export function parseExportArgs(
  args: readonly string[],
  set: { checkpoint?: string; out?: string } = {},
): ExportRequest {
  const line = parseConfigLine(EXPORT_COMMAND, args, DEFAULT_EXPORT_REQUEST);
  const request = { ...line.config, ...set };
  const usage = `usage: ${EXPORT_COMMAND.usage}`;
  if (line.positionals.length > 0) {
    throw new Error(`unexpected argument "${line.positionals[0]}"; ${usage}`);
  }
  if (!request.checkpoint) throw new Error(`--checkpoint is required; ${usage}`);
  if (!request.out) throw new Error(`--out is required; ${usage}`);
  return request;
}

/** A checkpoint read and checked, with the network it holds: nothing written yet. */
export interface OpenedExport {
  readonly request: ExportRequest;
  readonly model: Awaited<ReturnType<typeof openOnnxFile>>;
  readonly spec: NetworkSpec;
}

/** Reads and checks `request.checkpoint` (no engine needed). */
export async function openExport(request: ExportRequest): Promise<OpenedExport> {
  const { checkpoint, out } = request;
  if (await sameFile(checkpoint, out)) {
    throw new Error(`--out ${out} is the checkpoint itself; choose another file`);
  }
  const model = await openOnnxFile(checkpoint);
  const spec = await networkSpec(request.arch, embeddedNetworkJson(model), checkpoint);
  return { request, model, spec };
}

/** Writes the deployment model of an opened checkpoint (the engine must be started); its bytes. */
export async function writeExport(opened: OpenedExport): Promise<number> {
  const { request, model, spec } = opened;
  const net = buildNetwork(spec, new Rng(0)).eval();
  try {
    loadModelWeights(model, request.checkpoint, net);
    const bytes = await exportOnnx(net, { foldBn: true, batch: request.batch });
    await atomicWrite(request.out, bytes);
    return bytes.length;
  } finally {
    net.dispose();
  }
}

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

async function sameFile(a: string, b: string): Promise<boolean> {
  try {
    const [sa, sb] = await Promise.all([Deno.stat(a), Deno.stat(b)]);
    return sa.ino !== null && sa.ino === sb.ino && sa.dev === sb.dev;
  } catch {
    return false;
  }
}
