/**
 * AutoSpace: neural architecture search that learns its own search space
 * (Zhou et al., "AutoSpace: Neural Architecture Search with Less Human
 * Interference"), on a training engine whose every tensor computation is a
 * hand-written WGSL compute kernel running on Deno's WebGPU.
 *
 * ```ts
 * import { backward, fromArray, initEngine, relu, requireGrad, shutdownEngine, sum, tidy } from "./mod.ts";
 * await initEngine();                      // adapter + device (lavapipe on CPU-only machines)
 * const x = requireGrad(fromArray([4], [1, -2, 3, -4], { persistent: true }));
 * tidy(() => backward(sum(relu(x))));      // temporaries freed when tidy returns
 * console.log(await x.grad!.read());       // Float32Array [1, 0, 1, 0]
 * await shutdownEngine();
 * ```
 *
 * Layers (each imports only the ones above it in this list):
 * - `src/gpu/` — device, buffer pool, pipeline cache, batched submission, readback,
 *   GPU timing.
 * - `kernels/` — WGSL generators (shapes baked in as constants).
 * - `src/tensor/` — tensors, `tidy()` scopes, autograd.
 * - `src/ops/` — ops with forward and backward kernels.
 * - `src/nn/` — modules, initialisation, optimizers.
 * - `src/space/` — cells, networks, counting, net.config interchange.
 * - `src/data/` — datasets, loaders (beside nn).
 * - `src/networks/` — trainable networks built from specs.
 * - `src/onnx/` — export and checkpoints.
 * - `src/train/` — training from scratch.
 * - `src/supernet/` — supernets (from a backbone or a search space), mixed layers with
 *   binary gates, Adam on α, the weight-step / architecture-step loop, checkpoints.
 * - `src/latency/` — measured forward latency of every candidate block of a space on
 *   this adapter, cached per device: a hardware-aware cost table.
 * - `src/evolve/`, `src/search/` — the evolution (paper §3.2) and the search inside a
 *   space (§3.3: ProxylessNAS G and RL, SPOS, random; Eq. 6).
 * - `src/autospace/` — the four commands in a row (evolve → search → train → export)
 *   in one results folder, resumable stage by stage.
 *
 * @module
 */

// Engine: device, tensors, memory scopes, autograd.
export {
  type AdapterPreference,
  type DeviceOptions,
  GpuError,
  type KernelVariant,
} from "./src/gpu/device.ts";
export { getGpu, Gpu } from "./src/gpu/gpu.ts";
export { initEngine, shutdownEngine } from "./src/tensor/init.ts";
export { engine, keep, noGrad, tidy } from "./src/tensor/engine.ts";
export { type DType, readAll, Tensor } from "./src/tensor/tensor.ts";
export {
  empty,
  fromArray,
  full,
  type TensorOptions,
  upload,
  zeros,
} from "./src/tensor/creation.ts";
export { backward, record, requireGrad } from "./src/tensor/autograd.ts";

// Ops (each with a backward kernel).
export { activation, add, mul, relu, relu6, sigmoid, silu } from "./src/ops/elementwise.ts";
export { conv2d } from "./src/ops/conv2d.ts";
export { dropout, type DropoutOptions } from "./src/ops/dropout.ts";
export { depthwiseConv2d } from "./src/ops/depthwise_conv2d.ts";
export { batchNorm2d } from "./src/ops/batch_norm.ts";
export { globalAvgPool } from "./src/ops/pooling.ts";
export { linear } from "./src/ops/linear.ts";
export { softmaxCrossEntropy } from "./src/ops/cross_entropy.ts";
export { mean, sum } from "./src/ops/reduce.ts";
export { softmax } from "./src/ops/softmax.ts";
export { weightedSum } from "./src/ops/weighted_sum.ts";

// Modules and optimizers.
export { Module, type Parameter, paramGroups } from "./src/nn/module.ts";
export {
  type Activation,
  BatchNorm2d,
  Conv2d,
  ConvBnAct,
  Dropout,
  Linear,
  Sequential,
} from "./src/nn/layers.ts";
export { kaimingConvInit, normalInit } from "./src/nn/init.ts";
export {
  Adam,
  type AdamOptions,
  type ParamGroup,
  Sgd,
  type SgdOptions,
} from "./src/nn/optimizers.ts";

// Reproducible randomness.
export { Rng } from "./src/util/rng.ts";

// Networks, spaces, data, ONNX.
export { buildNetwork, Network } from "./src/networks/network.ts";
export * as space from "./src/space/mod.ts";
export * as data from "./src/data/mod.ts";
export { exportOnnx, readCheckpoint, writeCheckpoint } from "./src/onnx/mod.ts";

// Latency of a space's blocks on this adapter (Eq. 6's cost with latency for MAdds).
export {
  gpuLatencyTable,
  LatencyCache,
  type LatencyTable,
  latencyTable,
  predictLatency,
  tableOnLayers,
} from "./src/latency/mod.ts";

// Supernet, evolution, search, training.
export { MixedLayer, type PathChoice } from "./src/supernet/mixed_layer.ts";
export { Supernet, supernetFromSpace } from "./src/supernet/supernet.ts";
export { ArchAdam, type ArchAdamOptions } from "./src/supernet/arch_optimizer.ts";
export { evolve, type EvolveResult } from "./src/evolve/evolve.ts";
export { DEFAULT_EVOLVE_CONFIG, type EvolveConfig, parseEvolveArgs } from "./src/evolve/config.ts";
export { prepareSearch, runSearch } from "./src/search/search.ts";
export {
  DEFAULT_SEARCH_CONFIG,
  parseSearchArgs,
  SEARCH_ALGORITHMS,
  type SearchConfig,
} from "./src/search/config.ts";
export type { SearchResult } from "./src/search/outputs.ts";
export { train, type TrainConfig } from "./src/train/trainer.ts";
export {
  parseTrainArgs,
  prepareTraining,
  runTraining,
  TRAIN_COMMAND,
  type TrainRequest,
} from "./src/train/train_command.ts";
export {
  EXPORT_COMMAND,
  type ExportRequest,
  openExport,
  parseExportArgs,
  writeExport,
} from "./src/train/export_command.ts";
export { type EvalResult, evaluate } from "./src/train/evaluate.ts";

// One command from data to ONNX: evolve → search → train → export.
export {
  AUTOSPACE_COMMAND,
  type AutospaceConfig,
  parseAutospaceArgs,
} from "./src/autospace/config.ts";
export { type AutospaceResult, runAutospace } from "./src/autospace/pipeline.ts";
