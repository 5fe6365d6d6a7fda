/** ONNX export of trained networks and ONNX checkpoints. */
export {
  exportOnnx,
  type ExportOptions,
  INPUT_NAME,
  METADATA_BN_FOLDED,
  METADATA_NETWORK,
  type NamedValues,
  networkModel,
  OUTPUT_NAME,
  readModuleValues,
} from "./export_network.ts";
export {
  type CheckpointExtras,
  embeddedNetworkJson,
  loadCheckpointWeights,
  loadModelWeights,
  METADATA_CHECKPOINT_ID,
  openOnnxFile,
  readCheckpoint,
  writeCheckpoint,
} from "./checkpoint.ts";
export { foldBatchNorm } from "./bn_fold.ts";
export { GraphBuilder } from "./graph_builder.ts";
export { decodeModel, encodeModel, IR_VERSION, onnx, type OnnxTypes, OPSET } from "./proto.ts";
export { type CheckpointState, statePath } from "./state_file.ts";
