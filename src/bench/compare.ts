/**
 * `--compare`: the same convolutions through other implementations, in this
 * process — tfjs-backend-webgpu on the same WebGPU adapter, and onnxruntime-node
 * on the CPU (native kernels, not WebGPU). Benchmark-only dependencies, loaded
 * only when --compare is given (scripts/bench.ts imports this module lazily).
 *
 * Both are timed on the wall clock: a repetition records many calls and waits
 * once (tfjs: one `data()` at the end; onnxruntime runs synchronously per call).
 */
import * as tf from "@tensorflow/tfjs-core";
import { WebGPUBackend } from "@tensorflow/tfjs-backend-webgpu";
import onnx from "onnx-proto";
import * as ort from "onnxruntime-node";
import { convOutSize, type ConvShape, outputShape, weightShape } from "./shapes.ts";
import { median } from "../gpu/timing.ts";

/** Min and median per-call time. */
export interface PeerTiming {
  minMs: number;
  medianMs: number;
}

/** Another implementation that times a conv the way ours is timed. */
export interface Peer {
  readonly name: string;
  /** One line: library, version, device. */
  readonly description: string;
  forward(shape: ConvShape): Promise<PeerTiming>;
  /** Both gradients (dx and dw), where the peer has them. */
  backward?(shape: ConvShape): Promise<PeerTiming>;
  dispose(): Promise<void>;
}

export interface PeerTimingOptions {
  reps: number;
  warmup: number;
  /** Wall-clock repetitions last at least this long. */
  minRepMs: number;
}

/**
 * Times `run` (which performs `calls` calls and resolves when they are done):
 * warm-up with one call, then `reps` repetitions of enough calls for minRepMs.
 */
async function wallTime(
  run: (calls: number) => Promise<void>,
  opts: PeerTimingOptions,
): Promise<PeerTiming> {
  let estimate = Infinity;
  for (let i = 0; i < Math.max(1, opts.warmup); i++) {
    const t0 = performance.now();
    await run(1);
    estimate = Math.min(estimate, performance.now() - t0);
  }
  const calls = Math.max(1, Math.min(200, Math.ceil(opts.minRepMs / Math.max(estimate, 1e-3))));
  const samples: number[] = [];
  for (let r = 0; r < opts.reps; r++) {
    const t0 = performance.now();
    await run(calls);
    samples.push((performance.now() - t0) / calls);
  }
  return { minMs: Math.min(...samples), medianMs: median(samples) };
}

// ---------------------------------------------------------------------------
// tfjs-backend-webgpu

/** tfjs registers its WebGPU kernels under this backend name, so ours must use it too. */
const TFJS_BACKEND = "webgpu";

/**
 * tfjs on its own device from the adapter ours uses (same request options; the
 * description is checked), with the adapter's limits as tfjs itself asks for.
 */
export async function createTfjsPeer(
  ourDescription: string,
  forceFallbackAdapter: boolean,
  opts: PeerTimingOptions,
): Promise<Peer> {
  const adapter = await navigator.gpu.requestAdapter({
    powerPreference: "high-performance",
    forceFallbackAdapter,
  });
  if (!adapter) throw new Error("tfjs: no WebGPU adapter");
  const desc = adapter.info.description || adapter.info.device || adapter.info.vendor;
  if (desc !== ourDescription) {
    throw new Error(`tfjs: got adapter "${desc}", ours is "${ourDescription}"`);
  }
  const limits = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures: adapter.features.has("timestamp-query") ? ["timestamp-query"] : [],
    requiredLimits: {
      maxComputeWorkgroupStorageSize: limits.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: limits.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: limits.maxStorageBufferBindingSize,
      maxBufferSize: limits.maxBufferSize,
      maxComputeWorkgroupSizeX: limits.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: limits.maxComputeInvocationsPerWorkgroup,
    },
  });
  tf.removeBackend(TFJS_BACKEND); // the package's own factory would request another adapter
  tf.registerBackend(TFJS_BACKEND, () => new WebGPUBackend(device, adapter.info));
  if (!(await tf.setBackend(TFJS_BACKEND))) {
    throw new Error("tfjs: the WebGPU backend did not start");
  }
  await tf.ready();

  /** Runs `body` `calls` times, waits for the last result, frees everything. */
  const timed = (body: () => tf.Tensor[]) =>
    wallTime(async (calls) => {
      const made: tf.Tensor[] = [];
      for (let i = 0; i < calls; i++) made.push(...body());
      await made[made.length - 1].data();
      for (const t of made) t.dispose();
    }, opts);

  /** NHWC input, HWIO (or HWC1 depthwise) filter, and dy of a shape. */
  const inputs = (s: ConvShape) => {
    const [n, cout, ho, wo] = outputShape(s);
    const x = tf.fill([s.n, s.h, s.w, s.cin], 0.5) as tf.Tensor4D;
    const w =
      (s.kind === "depthwise"
        ? tf.fill([s.k, s.k, s.cin, 1], 0.01)
        : tf.fill([s.k, s.k, s.cin, s.cout], 0.01)) as tf.Tensor4D;
    const dy = tf.fill([n, ho, wo, cout], 0.01) as tf.Tensor4D;
    return { x, w, dy, pad: (s.k - 1) / 2 };
  };

  return {
    name: "tfjs",
    description:
      `@tensorflow/tfjs-backend-webgpu ${tf.version_core} on ${desc} (own device, same adapter)`,
    async forward(s) {
      const { x, w, dy, pad } = inputs(s);
      try {
        return await timed(() => [
          s.kind === "depthwise"
            ? tf.depthwiseConv2d(x, w, s.stride as 1 | 2, pad)
            : tf.conv2d(x, w, s.stride as 1 | 2, pad),
        ]);
      } finally {
        tf.dispose([x, w, dy]);
      }
    },
    async backward(s) {
      if (s.kind !== "conv") throw new Error("tfjs backward is timed for dense convs only");
      const { x, w, dy, pad } = inputs(s);
      const strides: [number, number] = [s.stride, s.stride];
      const common = { strides, pad, dataFormat: "NHWC", dimRoundingMode: undefined };
      try {
        return await timed(() => [
          tf.engine().runKernel("Conv2DBackpropInput", { dy, filter: w }, {
            ...common,
            inputShape: [s.n, s.h, s.w, s.cin],
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
          tf.engine().runKernel("Conv2DBackpropFilter", { x, dy }, {
            ...common,
            filterShape: [s.k, s.k, s.cin, s.cout],
          } as unknown as tf.NamedAttrMap) as tf.Tensor,
        ]);
      } finally {
        tf.dispose([x, w, dy]);
      }
    },
    async dispose() {
      tf.removeBackend(TFJS_BACKEND);
      device.destroy();
      await Promise.resolve();
    },
  };
}

// ---------------------------------------------------------------------------
// onnxruntime-node (CPU)

const P = onnx.onnx;

/** An ONNX model holding one Conv with constant weights, as bytes. */
export function singleConvModel(s: ConvShape): Uint8Array {
  const [cout, cinPerGroup, k] = weightShape(s);
  const pad = (s.k - 1) / 2;
  const weights = new Float32Array(cout * cinPerGroup * k * k).fill(0.01);
  const INTS = P.AttributeProto.AttributeType.INTS;
  const dims = (d: readonly number[]) => ({ dim: d.map((v) => ({ dimValue: v })) });
  const float = P.TensorProto.DataType.FLOAT;
  const model = P.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: "", version: 13 }],
    producerName: "autospace-bench",
    graph: {
      name: "conv",
      node: [{
        opType: "Conv",
        input: ["x", "w"],
        output: ["y"],
        attribute: [
          { name: "kernel_shape", type: INTS, ints: [k, k] },
          { name: "pads", type: INTS, ints: [pad, pad, pad, pad] },
          { name: "strides", type: INTS, ints: [s.stride, s.stride] },
          {
            name: "group",
            type: P.AttributeProto.AttributeType.INT,
            i: s.kind === "depthwise" ? s.cin : 1,
          },
        ],
      }],
      initializer: [{
        name: "w",
        dims: [cout, cinPerGroup, k, k],
        dataType: float,
        rawData: new Uint8Array(weights.buffer),
      }],
      input: [{
        name: "x",
        type: { tensorType: { elemType: float, shape: dims([s.n, s.cin, s.h, s.w]) } },
      }],
      output: [{
        name: "y",
        type: {
          tensorType: {
            elemType: float,
            shape: dims([s.n, s.cout, convOutSize(s.h, s.stride), convOutSize(s.w, s.stride)]),
          },
        },
      }],
    },
  });
  return P.ModelProto.encode(model).finish();
}

/** onnxruntime-node on the CPU with `threads` intra-op threads. */
export function createOrtPeer(threads: number, opts: PeerTimingOptions): Peer {
  return {
    name: "ort",
    description: `onnxruntime-node ${ort.env.versions.node ?? "?"} CPU execution provider, ` +
      `${threads} intra-op thread(s) (native code, not WebGPU)`,
    async forward(s) {
      const session = await ort.InferenceSession.create(singleConvModel(s), {
        intraOpNumThreads: threads,
        interOpNumThreads: 1,
        executionProviders: ["cpu"],
      });
      const x = new ort.Tensor("float32", new Float32Array(s.n * s.cin * s.h * s.w).fill(0.5), [
        s.n,
        s.cin,
        s.h,
        s.w,
      ]);
      try {
        return await wallTime(async (calls) => {
          for (let i = 0; i < calls; i++) await session.run({ x });
        }, opts);
      } finally {
        await session.release();
      }
    },
    async dispose() {},
  };
}
