/**
 * ONNX export against the engine: an inverted-residual network and a network of cells
 * (add and product aggregations, a stride-2 cell with an identity edge out of node 0,
 * SE, a zero block) are trained a few SGD steps, given random BN statistics, and
 * exported; onnxruntime's logits must match the engine's evaluation logits on the same
 * batch to 1e-4 (max absolute difference), with BN folded and with BatchNormalization.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { gpuTest } from "./_helpers.ts";
import { paramGroups } from "../src/nn/module.ts";
import { Sgd } from "../src/nn/optimizers.ts";
import { buildNetwork, type Network } from "../src/networks/network.ts";
import { exportOnnx } from "../src/onnx/export_network.ts";
import { decodeModel, readFloatTensor, toInt } from "../src/onnx/proto.ts";
import { softmaxCrossEntropy } from "../src/ops/cross_entropy.ts";
import { makeCell } from "../src/space/cell.ts";
import type { NetworkSpec } from "../src/space/network_spec.ts";
import { backward } from "../src/tensor/autograd.ts";
import { fromArray, upload } from "../src/tensor/creation.ts";
import { noGrad, tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

/**
 * Three IRBs: expansion 1 (no expand conv), stride 2 with k5 and SE, a residual e6;
 * head dropout 0.3, which trains with a mask and exports as nothing (the identity).
 */
const IRB_NET: NetworkSpec = {
  name: "irb-test",
  input: { channels: 3, size: 11 },
  stem: { cout: 8, kernel: 3, stride: 1 },
  blocks: [
    { type: "inverted_residual", cin: 8, cout: 8, stride: 1, kernel: 3, expansion: 1, se: false },
    { type: "inverted_residual", cin: 8, cout: 12, stride: 2, kernel: 5, expansion: 3, se: true },
    { type: "inverted_residual", cin: 12, cout: 12, stride: 1, kernel: 3, expansion: 6, se: false },
  ],
  head: { featureMix: { cout: 16 }, dropout: 0.3 },
  classes: 5,
};

/**
 * Cells: A (r3, SE, residual) has a product at node 2 and a 3-input add at node 3;
 * B (r1, stride 2) subsamples node 0 by an identity edge and multiplies at node 3;
 * then a zero block (identity skip). No feature mix.
 */
const CELL_NET: NetworkSpec = {
  name: "cell-test",
  input: { channels: 3, size: 11 },
  stem: { cout: 8, kernel: 3, stride: 1 },
  blocks: [
    {
      type: "cell",
      cin: 8,
      cout: 8,
      stride: 1,
      cell: makeCell({
        ratio: 3,
        edges: {
          "0-1": "conv3x3",
          "0-2": "dwconv3x3",
          "1-2": "identity",
          "0-3": "identity",
          "1-3": "identity",
          "2-3": "conv1x1",
        },
        aggregation: ["product", "add"],
        se: true,
      }),
    },
    {
      type: "cell",
      cin: 8,
      cout: 12,
      stride: 2,
      cell: makeCell({
        ratio: 1,
        edges: { "0-1": "identity", "1-2": "dwconv3x3", "0-3": "conv1x1", "2-3": "identity" },
        aggregation: ["add", "product"],
      }),
    },
    { type: "zero", cin: 12, cout: 12, stride: 1 },
  ],
  head: { featureMix: null, dropout: 0 },
  classes: 4,
};

/** Ops an exported graph may contain: standard (default-domain) opset-13 ops. */
const ALLOWED_OPS = new Set([
  "Conv",
  "BatchNormalization",
  "Relu",
  "Clip",
  "Sigmoid",
  "HardSigmoid",
  "Add",
  "Mul",
  "GlobalAveragePool",
  "Flatten",
  "Gemm",
  "Unsqueeze",
  "Slice",
]);

function randomArray(n: number, rng: Rng, lo: number, hi: number): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "length mismatch");
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

/** Builds, trains 3 SGD steps, then randomises BN statistics and affine parameters. */
function trainedNetwork(spec: NetworkSpec, rng: Rng): Network {
  const net = buildNetwork(spec, rng);
  const { channels, size } = spec.input;
  const n = 4;
  const x = fromArray(
    [n, channels, size, size],
    randomArray(n * channels * size * size, rng, -1, 1),
  );
  const labels = fromArray([n], Int32Array.from({ length: n }, (_, i) => i % spec.classes));
  const opt = new Sgd(paramGroups(net.parameters(), 1e-4), { lr: 0.05, momentum: 0.9 });
  net.train();
  for (let step = 0; step < 3; step++) {
    tidy(() => {
      opt.zeroGrad();
      backward(softmaxCrossEntropy(net.forward(x), labels, { labelSmoothing: 0 }));
      opt.step();
    });
  }
  opt.dispose();
  x.dispose();
  labels.dispose();
  // Values far from BN's identity initialisation, so folding and eval semantics matter.
  for (const { name, tensor } of [...net.parameters(), ...net.buffers()]) {
    const range: [number, number] | null = name.endsWith("running_var")
      ? [0.5, 2]
      : name.endsWith("running_mean")
      ? [-0.3, 0.3]
      : name.endsWith("bn.weight")
      ? [0.6, 1.4]
      : name.endsWith("bn.bias")
      ? [-0.2, 0.2]
      : name.startsWith("classifier.")
      ? [-0.5, 0.5]
      : null;
    if (range) upload(tensor, randomArray(tensor.size, rng, ...range));
  }
  return net.eval();
}

/** Engine evaluation logits for `input` [N, C, H, W]. */
async function engineLogits(net: Network, input: Float32Array, n: number): Promise<Float32Array> {
  const { channels, size } = net.spec.input;
  const logits = noGrad(() =>
    tidy(() => net.forward(fromArray([n, channels, size, size], input, { name: "input" })))
  );
  const [out] = await readAll([logits]);
  logits.dispose();
  return out;
}

async function onnxLogits(bytes: Uint8Array, input: Float32Array, dims: number[]) {
  const session = await ort.InferenceSession.create(bytes);
  try {
    const result = await session.run({ input: new ort.Tensor("float32", input, dims) });
    return { data: result.logits.data as Float32Array, dims: [...result.logits.dims] };
  } finally {
    await session.release();
  }
}

async function checkAgainstOnnxRuntime(spec: NetworkSpec, seed: number): Promise<void> {
  const rng = new Rng(seed);
  const net = trainedNetwork(spec, rng);
  const { channels, size } = spec.input;
  const n = 3;
  const input = randomArray(n * channels * size * size, rng, -2, 2);
  const expected = await engineLogits(net, input, n);
  const mean = expected.reduce((a, b) => a + b, 0) / expected.length;
  const spread = Math.sqrt(expected.reduce((a, b) => a + (b - mean) ** 2, 0) / expected.length);
  assert.ok(spread > 0.05, `logits too flat for a meaningful comparison (std ${spread})`);
  const named = [...net.parameters(), ...net.buffers()];
  const trained = await readAll(named.map((p) => p.tensor));
  for (const foldBn of [true, false]) {
    for (const batch of ["dynamic", n] as const) {
      const label = `${spec.name} foldBn=${foldBn} batch=${batch}`;
      const bytes = await exportOnnx(net, { foldBn, batch });
      const model = decodeModel(bytes);
      assert.equal(toInt(model.opsetImport![0].version as number), 13, label);
      for (const node of model.graph!.node!) {
        assert.ok(ALLOWED_OPS.has(node.opType!), `${label}: op ${node.opType}`);
        assert.ok(!node.domain, `${label}: ${node.opType} in domain ${node.domain}`);
      }
      const ops = model.graph!.node!.map((node) => node.opType);
      assert.equal(ops.includes("BatchNormalization"), !foldBn, `${label}: BN nodes`);
      const inputDims = model.graph!.input![0].type!.tensorType!.shape!.dim!;
      assert.equal(
        batch === "dynamic" ? inputDims[0].dimParam : toInt(inputDims[0].dimValue as number),
        batch === "dynamic" ? "N" : n,
      );
      if (!foldBn) {
        // Checkpoint form: every parameter and buffer stored under its own name, unchanged.
        const init = new Map(model.graph!.initializer!.map((t) => [t.name!, t]));
        named.forEach((p, i) => {
          const t = init.get(p.name);
          assert.ok(t, `${label}: initializer ${p.name} missing`);
          assert.deepEqual(readFloatTensor(t), trained[i], `${label}: ${p.name} changed`);
        });
      }
      const got = await onnxLogits(bytes, input, [n, channels, size, size]);
      assert.deepEqual(got.dims, [n, spec.classes], label);
      const diff = maxAbsDiff(got.data, expected);
      assert.ok(diff <= 1e-4, `${label}: max |onnxruntime − engine| = ${diff.toExponential(2)}`);
    }
  }
  // A dynamic-batch export also runs other batch sizes (here 1, the first image).
  const single = await onnxLogits(
    await exportOnnx(net, { foldBn: true }),
    input.subarray(0, channels * size * size),
    [1, channels, size, size],
  );
  assert.ok(maxAbsDiff(single.data, expected.subarray(0, spec.classes)) <= 1e-4, "batch 1");
  net.dispose();
}

gpuTest("ONNX export of an inverted-residual network matches the engine (≤ 1e-4)", async () => {
  await checkAgainstOnnxRuntime(IRB_NET, 11);
});

gpuTest("ONNX export of a cell network (add, product, stride-2 identity, SE) matches", async () => {
  await checkAgainstOnnxRuntime(CELL_NET, 12);
});

gpuTest("exportOnnx rejects a bad batch size with one line", async () => {
  const net = buildNetwork(IRB_NET, new Rng(1));
  await assert.rejects(
    exportOnnx(net, { foldBn: true, batch: 0 }),
    /batch must be a positive integer/,
  );
  net.dispose();
});
