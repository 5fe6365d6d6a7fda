/**
 * The GPU-free parts of the ONNX code: protobuf tensors, the graph builder, BN folding
 * (checked by onnxruntime against an explicit BatchNormalization node), the state file
 * and atomic writes.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { atomicWrite } from "../src/util/atomic_write.ts";
import { foldBatchNorm } from "../src/onnx/bn_fold.ts";
import { GraphBuilder } from "../src/onnx/graph_builder.ts";
import {
  decodeModel,
  encodeModel,
  floatTensor,
  onnx,
  readFloatTensor,
  tensorDims,
} from "../src/onnx/proto.ts";
import { decodeState, encodeState } from "../src/onnx/state_file.ts";
import { Rng } from "../src/util/rng.ts";

function randomArray(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  assert.equal(a.length, b.length, "length mismatch");
  let d = 0;
  for (let i = 0; i < a.length; i++) d = Math.max(d, Math.abs(a[i] - b[i]));
  return d;
}

Deno.test("proto: float tensors round-trip through raw_data and float_data", () => {
  const data = new Float32Array([1.5, -2.25, 3e-8, 1e30, 0, -0]);
  const t = floatTensor("w", [2, 3], data);
  const decoded = onnx.TensorProto.decode(onnx.TensorProto.encode(t).finish());
  assert.deepEqual(tensorDims(decoded), [2, 3]);
  assert.deepEqual(readFloatTensor(decoded), data);
  assert.deepEqual(
    readFloatTensor({ name: "f", dims: [3], dataType: 1, floatData: [1, 2, 3] }),
    new Float32Array([1, 2, 3]),
  );
  assert.throws(
    () => readFloatTensor({ name: "i", dims: [1], dataType: 7, int64Data: [1] }),
    /not float32/,
  );
  assert.throws(
    () => readFloatTensor({ name: "s", dims: [4], dataType: 1, floatData: [1] }),
    /1 values for 4/,
  );
  assert.throws(
    () => decodeModel(new Uint8Array([0xff, 0xff, 0xff]), "junk.onnx"),
    /junk.onnx: not an ONNX model/,
  );
});

Deno.test("graph builder: unique names, exact initializer names, shared constants", () => {
  const g = new GraphBuilder();
  assert.equal(g.uniqueName("a"), "a");
  assert.equal(g.uniqueName("a"), "a_1");
  assert.equal(g.uniqueName("a"), "a_2");
  g.initializer("net.w", [2], new Float32Array(2));
  assert.throws(
    () => g.initializer("net.w", [2], new Float32Array(2)),
    /duplicate tensor name "net.w"/,
  );
  assert.throws(() => g.initializer("net.v", [3], new Float32Array(2)), /given 2 values/);
  assert.equal(g.scalar(6), g.scalar(6));
  assert.notEqual(g.scalar(6), g.scalar(0));
  assert.equal(g.int64s([2, 3], "axes"), g.int64s([2, 3], "other"));
  assert.throws(() => g.node("Foo", [], "s", { x: 0.5 }), /not an integer/);
});

Deno.test("BN folding: Conv+bias equals Conv→BatchNormalization in onnxruntime", async () => {
  const rng = new Rng(7);
  const [n, ci, co, k, size] = [2, 3, 5, 3, 7];
  const weight = randomArray(co * ci * k * k, rng);
  const bn = {
    gamma: randomArray(co, rng, 0.5, 1.5),
    beta: randomArray(co, rng, -0.5, 0.5),
    mean: randomArray(co, rng, -0.5, 0.5),
    variance: randomArray(co, rng, 0.2, 2),
    eps: 1e-5,
  };
  const conv = { kernel_shape: [k, k], strides: [2, 2], pads: [1, 1, 1, 1], group: 1 };
  const graph = (fold: boolean) => {
    const g = new GraphBuilder();
    const x = g.claim("input");
    let y: string;
    if (fold) {
      const f = foldBatchNorm(weight, co, bn);
      const w = g.initializer("w", [co, ci, k, k], f.weight);
      y = g.node("Conv", [x, w, g.initializer("b", [co], f.bias)], "c", conv, "out");
    } else {
      y = g.node("Conv", [x, g.initializer("w", [co, ci, k, k], weight)], "c", conv);
      y = g.node(
        "BatchNormalization",
        [
          y,
          g.initializer("g", [co], bn.gamma),
          g.initializer("be", [co], bn.beta),
          g.initializer("m", [co], bn.mean),
          g.initializer("v", [co], bn.variance),
        ],
        "c",
        { epsilon: { float: bn.eps } },
        "out",
      );
    }
    const model = g.model({
      graphName: "t",
      inputs: [{ name: "input", dims: ["N", ci, size, size] }],
      outputs: [{ name: y, dims: ["N", co, 4, 4] }],
    });
    return encodeModel(model);
  };
  const input = new ort.Tensor("float32", randomArray(n * ci * size * size, rng), [
    n,
    ci,
    size,
    size,
  ]);
  const outputs: Float32Array[] = [];
  for (const fold of [false, true]) {
    const session = await ort.InferenceSession.create(graph(fold));
    const result = await session.run({ input });
    assert.deepEqual(result.out.dims, [n, co, 4, 4]);
    outputs.push(result.out.data as Float32Array);
    await session.release();
  }
  const diff = maxAbsDiff(outputs[1], outputs[0]);
  assert.ok(diff <= 1e-5, `folded vs BatchNormalization: max abs diff ${diff}`);
  assert.throws(() => foldBatchNorm(weight, 4, bn), /do not split into 4/);
});

Deno.test("state file: round trip and one-line errors", () => {
  const state = {
    checkpointId: "abc",
    counters: { epoch: 2, history: [{ loss: 0.5 }] },
    rngState: [1, 2, 3, 4],
    optimizer: new Map([["momentum.0", {
      shape: [2, 2],
      data: new Float32Array([1, -2, 3.5, 1e-20]),
    }]]),
  };
  const back = decodeState(encodeState(state), "s.json");
  assert.deepEqual(back, state);
  assert.throws(() => decodeState("{", "s.json"), /s.json: invalid JSON/);
  assert.throws(() => decodeState('{"format":"x"}', "s.json"), /not a checkpoint state file/);
  const broken = encodeState(state).replace('"shape":[2,2]', '"shape":[2,3]');
  assert.throws(
    () => decodeState(broken, "s.json"),
    /optimizer.momentum.0: 16 bytes of data for 6 floats/,
  );
});

Deno.test("atomicWrite: replaces the file and leaves no temporary behind", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/m.onnx`;
    await atomicWrite(path, "old");
    await atomicWrite(path, new Uint8Array([1, 2, 3]));
    assert.deepEqual(await Deno.readFile(path), new Uint8Array([1, 2, 3]));
    const names = [];
    for await (const e of Deno.readDir(dir)) names.push(e.name);
    assert.deepEqual(names, ["m.onnx"]);
    await assert.rejects(
      atomicWrite(`${dir}/missing/m.onnx`, "x"),
      /cannot write .*missing\/m.onnx/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
