/**
 * Checkpoints: the network as an ONNX file (graph with BatchNormalization nodes and
 * initializers named exactly as the module's parameters and buffers, so it opens in
 * any ONNX viewer and stores every trained value unchanged), plus `<path>.state.json`
 * with the optimizer tensors, counters and RNG state (state_file.ts).
 *
 * Writing: both files go to temporary names first, then are renamed (state first,
 * ONNX last; a second interrupting signal waits for both). Each carries the same random
 * checkpoint id, so a crash between the two renames is reported on load instead of
 * resuming from a mixed pair.
 */
import type { Module } from "../nn/module.ts";
import type { Network } from "../networks/network.ts";
import { upload } from "../tensor/creation.ts";
import { readAll, shapeStr, type Tensor } from "../tensor/tensor.ts";
import type { Rng } from "../util/rng.ts";
import { commitTemp, writeTemp } from "../util/atomic_write.ts";
import { uninterruptible } from "../util/interrupt.ts";
import {
  METADATA_BN_FOLDED,
  METADATA_NETWORK,
  type NamedValues,
  networkModel,
} from "./export_network.ts";
import { decodeModel, encodeModel, type OnnxTypes, readFloatTensor, tensorDims } from "./proto.ts";
import { decodeState, encodeState, statePath } from "./state_file.ts";

/** Metadata key linking a checkpoint's ONNX file to its state file. */
export const METADATA_CHECKPOINT_ID = "autospace.checkpoint_id";

/** What a checkpoint stores beside the weights. */
export interface CheckpointExtras {
  /** Optimizer tensors by name (`optimizer.state()`). */
  optimizerState?: ReadonlyMap<string, Tensor>;
  /** Training counters (epoch, step, history...): any JSON value. */
  counters: Record<string, unknown>;
  /** `rng.getState()` of the run's RNG, when it should resume. */
  rngState?: readonly number[];
}

/**
 * Writes checkpoint `path` (ONNX, BN not folded) and `path.state.json`, atomically
 * each. Reads all weights and optimizer tensors back with one host sync.
 */
export async function writeCheckpoint(
  path: string,
  net: Network,
  extras: CheckpointExtras,
): Promise<void> {
  const named = [...net.parameters(), ...net.buffers()];
  const optimizer = [...(extras.optimizerState ?? new Map<string, Tensor>())];
  const data = await readAll([...named.map((p) => p.tensor), ...optimizer.map(([, t]) => t)]);
  const values = new Map<Tensor, NamedValues>(
    named.map((p, i) => [p.tensor, { name: p.name, data: data[i] }]),
  );
  const checkpointId = crypto.randomUUID();
  const onnxBytes = encodeModel(networkModel(net, values, {
    foldBn: false,
    batch: "dynamic",
    metadata: { [METADATA_CHECKPOINT_ID]: checkpointId },
  }));
  const stateText = encodeState({
    checkpointId,
    counters: extras.counters,
    rngState: extras.rngState ? [...extras.rngState] : null,
    optimizer: new Map(optimizer.map(([name, t], i) => [
      name,
      { shape: [...t.shape], data: data[named.length + i] },
    ])),
  });
  const stateTmp = await writeTemp(statePath(path), stateText);
  let onnxTmp: string | null = null;
  try {
    onnxTmp = await writeTemp(path, onnxBytes);
    const written = onnxTmp;
    // A second signal between the two renames would leave a mixed pair: it waits for both.
    await uninterruptible(async () => {
      await commitTemp(stateTmp, statePath(path));
      await commitTemp(written, path);
    });
  } catch (err) {
    await Deno.remove(stateTmp).catch(() => {});
    if (onnxTmp) await Deno.remove(onnxTmp).catch(() => {});
    throw new Error(`cannot write checkpoint ${path}: ${(err as Error).message}`);
  }
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) throw new Error(`${what} ${path} not found`);
    throw new Error(`cannot read ${what} ${path}: ${(err as Error).message}`);
  }
}

/** Reads and decodes an ONNX file; one-line errors for a missing or malformed file. */
export async function openOnnxFile(path: string): Promise<OnnxTypes.ModelProto> {
  return decodeModel(await readBytes(path, "checkpoint"), path);
}

function metadataValue(model: OnnxTypes.IModelProto, key: string): string | undefined {
  return model.metadataProps?.find((p) => p.key === key)?.value ?? undefined;
}

/** Weights of `module` found in `model` by name, with shapes checked; changes nothing. */
function matchWeights(
  model: OnnxTypes.IModelProto,
  path: string,
  module: Module,
): { tensor: Tensor; data: Float32Array }[] {
  if (metadataValue(model, METADATA_BN_FOLDED) === "true") {
    throw new Error(
      `${path}: BN is folded into the convs (a deployment export), so it cannot restore a ` +
        `network; use a checkpoint file`,
    );
  }
  const initializers = new Map<string, OnnxTypes.ITensorProto>();
  for (const t of model.graph?.initializer ?? []) initializers.set(t.name ?? "", t);
  const named = [...module.parameters(), ...module.buffers()];
  const loads: { tensor: Tensor; data: Float32Array }[] = [];
  for (const { name, tensor } of named) {
    const proto = initializers.get(name);
    if (!proto) {
      throw new Error(
        `${path}: no tensor "${name}" (the network has ${shapeStr(tensor.shape)}); ` +
          `was the checkpoint written for another network?`,
      );
    }
    const dims = tensorDims(proto);
    if (dims.length !== tensor.shape.length || dims.some((d, i) => d !== tensor.shape[i])) {
      throw new Error(
        `${path}: tensor "${name}" is ${shapeStr(dims)} in the file but ` +
          `${shapeStr(tensor.shape)} in the network; was it written for another network?`,
      );
    }
    loads.push({ tensor, data: readFloatTensor(proto) });
  }
  // Module tensors have dotted names; the graph's own constants (Clip bounds, axes) do not.
  const known = new Set(named.map((p) => p.name));
  for (const name of initializers.keys()) {
    if (name.includes(".") && !known.has(name)) {
      throw new Error(
        `${path}: tensor "${name}" has no counterpart in the network; ` +
          `was the checkpoint written for another network?`,
      );
    }
  }
  return loads;
}

/**
 * Loads the weights of an unfolded ONNX file (a checkpoint) into `module`'s parameters
 * and BN buffers by name; checks every name and shape before changing anything.
 * Returns the decoded model (its metadata holds the network spec). Needs no state file.
 */
export async function loadCheckpointWeights(
  path: string,
  module: Module,
): Promise<OnnxTypes.ModelProto> {
  const model = await openOnnxFile(path);
  loadModelWeights(model, path, module);
  return model;
}

/** Same as `loadCheckpointWeights` for a model already decoded; `source` names it in errors. */
export function loadModelWeights(
  model: OnnxTypes.IModelProto,
  source: string,
  module: Module,
): void {
  for (const { tensor, data } of matchWeights(model, source, module)) upload(tensor, data);
}

/** The network spec JSON a checkpoint or export carries in its metadata, if any. */
export function embeddedNetworkJson(model: OnnxTypes.IModelProto): string | undefined {
  return metadataValue(model, METADATA_NETWORK);
}

/**
 * Restores checkpoint `path` into `net` (parameters, BN running statistics) and
 * `optimizerState` (tensors by name, shapes checked; the names must match the saved
 * ones exactly), and `options.rng` when given. Returns the saved counters. Everything
 * is checked before anything is changed.
 */
export async function readCheckpoint(
  path: string,
  net: Module,
  optimizerState: ReadonlyMap<string, Tensor> = new Map(),
  options: { rng?: Rng } = {},
): Promise<Record<string, unknown>> {
  const stateFile = statePath(path);
  const model = await openOnnxFile(path);
  const state = decodeState(
    new TextDecoder().decode(await readBytes(stateFile, "checkpoint state")),
    stateFile,
  );
  const id = metadataValue(model, METADATA_CHECKPOINT_ID);
  if (id !== state.checkpointId) {
    throw new Error(
      `${path} and ${stateFile} come from different saves (ids ${id ?? "none"} and ` +
        `${state.checkpointId}); a write was interrupted: delete both and start again`,
    );
  }
  const weights = matchWeights(model, path, net);
  for (const [name, t] of optimizerState) {
    const saved = state.optimizer.get(name);
    if (!saved) {
      throw new Error(
        `${stateFile}: no optimizer tensor "${name}" (the optimizer has ${shapeStr(t.shape)}); ` +
          `was it saved with another optimizer or network?`,
      );
    }
    if (saved.shape.length !== t.shape.length || saved.shape.some((d, i) => d !== t.shape[i])) {
      throw new Error(
        `${stateFile}: optimizer tensor "${name}" is ${shapeStr(saved.shape)} in the file but ` +
          `${shapeStr(t.shape)} in the optimizer`,
      );
    }
  }
  for (const name of state.optimizer.keys()) {
    if (!optimizerState.has(name)) {
      throw new Error(
        `${stateFile}: optimizer tensor "${name}" has no counterpart in the optimizer; ` +
          `was it saved with another optimizer (e.g. Adam vs SGD, or momentum 0)?`,
      );
    }
  }
  if (options.rng && !state.rngState) {
    throw new Error(`${stateFile}: no RNG state saved, cannot restore the run's RNG`);
  }
  for (const { tensor, data } of weights) upload(tensor, data);
  for (const [name, t] of optimizerState) upload(t, state.optimizer.get(name)!.data);
  if (options.rng && state.rngState) options.rng.setState(state.rngState);
  return state.counters;
}
