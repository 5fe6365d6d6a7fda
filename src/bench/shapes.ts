/**
 * The convolution shapes the benchmark times, and their arithmetic: multiply-adds,
 * bytes moved, output sizes. Three sources: four target kernels (batch 32,
 * 32×32 maps), the layers of a network spec (MobileNetV2-1.0 at 224×224), and the
 * cell edge ops of the default evolution supernet (the ProxylessNAS backbone at
 * 28×28, every distinct layer shape at ratios 1, 3 and 6).
 *
 * Every conv here pads ⌊k/2⌋ and has no bias, as in src/space/network_spec.ts.
 */
import { type Backbone, layerInputSizes } from "../space/backbone.ts";
import { cellPlan } from "../space/cell_graph.ts";
import { type BlockSpec, irbMid, type NetworkSpec, outputSize } from "../space/network_spec.ts";
import { type EdgeOp, edgeOpConv, RATIOS } from "../space/ops.ts";

/** Dense (groups = 1) or depthwise (groups = channels). */
export type ConvKind = "conv" | "depthwise";

/** One convolution at one batch size. Input is [n, cin, h, w]. */
export interface ConvShape {
  /** Where it comes from: "blocks[3] expand 1x1", "r6 0->1 conv3x3". */
  readonly label: string;
  readonly kind: ConvKind;
  readonly n: number;
  readonly cin: number;
  readonly cout: number;
  readonly h: number;
  readonly w: number;
  readonly k: number;
  readonly stride: number;
  /** How many layers of the source share this shape (after `dedupeShapes`). */
  readonly uses: number;
}

/** What is timed: the forward conv, one of its gradients, or both gradients. */
export type Direction = "forward" | "backward-input" | "backward-weight" | "backward";

/** Every direction in table order. */
export const DIRECTIONS: readonly Direction[] = [
  "forward",
  "backward-input",
  "backward-weight",
  "backward",
];

/** Short column names of the directions. */
export const DIRECTION_SHORT: Readonly<Record<Direction, string>> = {
  "forward": "fwd",
  "backward-input": "dx",
  "backward-weight": "dw",
  "backward": "dx+dw",
};

/** Builds a shape, checking that it is a conv the engine supports. */
export function convShape(s: Omit<ConvShape, "uses"> & { uses?: number }): ConvShape {
  for (const key of ["n", "cin", "cout", "h", "w", "k", "stride"] as const) {
    if (!Number.isInteger(s[key]) || s[key] < 1) {
      throw new Error(`bench shape "${s.label}": ${key} must be a positive integer, got ${s[key]}`);
    }
  }
  if (s.k % 2 !== 1) throw new Error(`bench shape "${s.label}": kernel ${s.k} must be odd`);
  if (s.kind === "depthwise" && s.cin !== s.cout) {
    throw new Error(
      `bench shape "${s.label}": depthwise needs cin = cout, got ${s.cin} → ${s.cout}`,
    );
  }
  return { ...s, uses: s.uses ?? 1 };
}

/** Output height (or width) of a conv padding ⌊k/2⌋ with stride s. */
export function convOutSize(size: number, stride: number): number {
  return outputSize(size, stride);
}

/** Output [n, cout, ho, wo]. */
export function outputShape(s: ConvShape): [number, number, number, number] {
  return [s.n, s.cout, convOutSize(s.h, s.stride), convOutSize(s.w, s.stride)];
}

/** Weight shape [cout, cin / groups, k, k]. */
export function weightShape(s: ConvShape): [number, number, number, number] {
  return [s.cout, s.kind === "depthwise" ? 1 : s.cin, s.k, s.k];
}

/** Multiply-adds of the forward conv: N·C_out·H_out·W_out·k²·C_in / groups. */
export function convMacs(s: ConvShape): number {
  const [n, cout, ho, wo] = outputShape(s);
  return n * cout * ho * wo * s.k * s.k * (s.kind === "depthwise" ? 1 : s.cin);
}

/** Floating-point operations of a direction: 2·MACs per gradient (each is one conv's worth). */
export function directionFlops(s: ConvShape, dir: Direction): number {
  return 2 * convMacs(s) * (dir === "backward" ? 2 : 1);
}

/** Elements of x, w and y. */
export function tensorSizes(s: ConvShape): { x: number; w: number; y: number } {
  const [n, cout, ho, wo] = outputShape(s);
  const [a, b, c, d] = weightShape(s);
  return { x: s.n * s.cin * s.h * s.w, w: a * b * c * d, y: n * cout * ho * wo };
}

/**
 * Compulsory bytes moved (each tensor read or written once, f32): forward reads x
 * and w and writes y; the input gradient reads dy and w and writes dx; the weight
 * gradient reads x and dy and writes dw.
 */
export function directionBytes(s: ConvShape, dir: Direction): number {
  const { x, w, y } = tensorSizes(s);
  const one = x + w + y; // every single direction touches each of the three once
  return 4 * (dir === "backward" ? 2 * one : one);
}

/** The largest tensor a direction binds, in bytes (x or y; weights are small). */
export function largestBindingBytes(s: ConvShape): number {
  const { x, w, y } = tensorSizes(s);
  return 4 * Math.max(x, w, y);
}

/** A stable key of everything that affects speed. */
export function shapeKey(s: ConvShape): string {
  return `${s.kind}:${s.n},${s.cin},${s.cout},${s.h},${s.w},${s.k},${s.stride}`;
}

/** "conv3x3 32→32 s1 @32×32" or "dw3x3 ×192 s2 @56×56" (batch not included). */
export function describeShape(s: ConvShape): string {
  const at = `@${s.h}×${s.w}`;
  const k = `${s.k}x${s.k}`;
  return s.kind === "depthwise"
    ? `dw${k} ×${s.cin} s${s.stride} ${at}`
    : `conv${k} ${s.cin}→${s.cout} s${s.stride} ${at}`;
}

/**
 * Merges shapes with the same key, keeping the first label and summing `uses`
 * (a supernet repeats many layer shapes; each is timed once).
 */
export function dedupeShapes(shapes: readonly ConvShape[]): ConvShape[] {
  const out = new Map<string, ConvShape>();
  for (const s of shapes) {
    const key = shapeKey(s);
    const seen = out.get(key);
    out.set(key, seen ? { ...seen, uses: seen.uses + s.uses } : s);
  }
  return [...out.values()];
}

/** Sum of forward MACs weighted by `uses`. */
export function totalMacs(shapes: readonly ConvShape[]): number {
  return shapes.reduce((sum, s) => sum + convMacs(s) * s.uses, 0);
}

/** A row of the target table: a kernel with the rate it must reach. */
export interface TargetKernel {
  readonly name: string;
  readonly shape: ConvShape;
  /** forward, or "backward" (input and weight gradients together). */
  readonly direction: "forward" | "backward";
  /** GFLOP/s that must be reached on the 2-core CPU adapter. */
  readonly floor: number;
  readonly stretch: number;
  /** tfjs-backend-webgpu 4.22 on the same adapter, measured once for comparison. */
  readonly tfjsMeasured: number;
}

/** The four target kernels at `batch` (32) and `size`×`size` (32×32) maps. */
export function targetKernels(batch = 32, size = 32): TargetKernel[] {
  const at = { n: batch, h: size, w: size, stride: 1 };
  const conv3 = convShape({ label: "conv3x3 32→32", kind: "conv", cin: 32, cout: 32, k: 3, ...at });
  const conv1 = convShape({
    label: "conv1x1 32→192",
    kind: "conv",
    cin: 32,
    cout: 192,
    k: 1,
    ...at,
  });
  const dw = convShape({
    label: "depthwise 3x3 ×192",
    kind: "depthwise",
    cin: 192,
    cout: 192,
    k: 3,
    ...at,
  });
  return [
    {
      name: "conv3x3 32→32, forward",
      shape: conv3,
      direction: "forward",
      floor: 12,
      stretch: 25,
      tfjsMeasured: 3.2,
    },
    {
      name: "conv1x1 32→192, forward",
      shape: conv1,
      direction: "forward",
      floor: 12,
      stretch: 25,
      tfjsMeasured: 2.6,
    },
    {
      name: "depthwise 3x3 ×192, forward",
      shape: dw,
      direction: "forward",
      floor: 3,
      stretch: 5,
      tfjsMeasured: 1.3,
    },
    {
      name: "conv3x3 32→32, backward (dx + dw)",
      shape: conv3,
      direction: "backward",
      floor: 8,
      stretch: 15,
      tfjsMeasured: 0.63,
    },
  ];
}

/** PASS at or above the stretch goal, "floor" between floor and stretch, else "below". */
export function targetVerdict(gflops: number, t: TargetKernel): "PASS" | "floor" | "below" {
  if (gflops >= t.stretch) return "PASS";
  if (gflops >= t.floor) return "floor";
  return "below";
}

/** Conv shapes of one block of a spec on an h × h input (zero blocks have none). */
export function blockConvShapes(
  block: BlockSpec,
  h: number,
  batch: number,
  label: string,
): ConvShape[] {
  const at = { n: batch, h, w: h };
  const out = outputSize(h, block.stride);
  const atOut = { n: batch, h: out, w: out };
  switch (block.type) {
    case "zero":
      return [];
    case "inverted_residual": {
      const mid = irbMid(block);
      const shapes: ConvShape[] = [];
      if (mid !== block.cin) {
        shapes.push(convShape({
          label: `${label} expand 1x1`,
          kind: "conv",
          cin: block.cin,
          cout: mid,
          k: 1,
          stride: 1,
          ...at,
        }));
      }
      shapes.push(convShape({
        label: `${label} depthwise ${block.kernel}x${block.kernel}`,
        kind: "depthwise",
        cin: mid,
        cout: mid,
        k: block.kernel,
        stride: block.stride,
        ...at,
      }));
      shapes.push(convShape({
        label: `${label} project 1x1`,
        kind: "conv",
        cin: mid,
        cout: block.cout,
        k: 1,
        stride: 1,
        ...atOut,
      }));
      return shapes;
    }
    case "cell": {
      const plan = cellPlan(block.cell);
      if (plan.zero) return [];
      const mid = block.cin * block.cell.ratio;
      const shapes: ConvShape[] = [];
      if (plan.expand) {
        shapes.push(convShape({
          label: `${label} expand 1x1`,
          kind: "conv",
          cin: block.cin,
          cout: mid,
          k: 1,
          stride: 1,
          ...at,
        }));
      }
      for (const node of plan.nodes) {
        for (const e of node.inputs) {
          const shape = edgeShape(e.op, mid, e.strided ? block.stride : 1, e.strided ? h : out);
          if (shape) {
            shapes.push(
              convShape({ ...shape, n: batch, label: `${label} ${e.from}->${e.to} ${e.op}` }),
            );
          }
        }
      }
      shapes.push(convShape({
        label: `${label} project 1x1`,
        kind: "conv",
        cin: mid,
        cout: block.cout,
        k: 1,
        stride: 1,
        ...atOut,
      }));
      return shapes;
    }
  }
}

/** The conv of a parametric edge op on `channels` channels, or null (identity, zero). */
function edgeShape(
  op: EdgeOp,
  channels: number,
  stride: number,
  size: number,
): Omit<ConvShape, "label" | "n" | "uses"> | null {
  const conv = edgeOpConv(op);
  if (!conv) return null;
  return {
    kind: conv.depthwise ? "depthwise" : "conv",
    cin: channels,
    cout: channels,
    k: conv.kernel,
    stride,
    h: size,
    w: size,
  };
}

/**
 * Every conv of a network spec in order: stem, each block's convs, feature mix
 * (the classifier is a linear layer, not listed). MobileNetV2-1.0 has 52.
 */
export function networkConvShapes(spec: NetworkSpec, batch: number): ConvShape[] {
  let h = spec.input.size;
  const shapes: ConvShape[] = [convShape({
    label: "stem",
    kind: "conv",
    n: batch,
    cin: spec.input.channels,
    cout: spec.stem.cout,
    h,
    w: h,
    k: spec.stem.kernel,
    stride: spec.stem.stride,
  })];
  h = outputSize(h, spec.stem.stride);
  let channels = spec.stem.cout;
  spec.blocks.forEach((block, i) => {
    shapes.push(...blockConvShapes(block, h, batch, `blocks[${i}]`));
    h = outputSize(h, block.stride);
    channels = block.cout;
  });
  if (spec.head.featureMix) {
    shapes.push(convShape({
      label: "feature_mix",
      kind: "conv",
      n: batch,
      cin: channels,
      cout: spec.head.featureMix.cout,
      h,
      w: h,
      k: 1,
      stride: 1,
    }));
  }
  return shapes;
}

/** The parametric edge ops a supernet cell can hold (the paper's open space). */
export const SUPERNET_EDGE_OPS: readonly EdgeOp[] = ["conv1x1", "conv3x3", "dwconv3x3"];

/**
 * The convs a supernet over `backbone` can run, deduplicated: the stem, fixed
 * blocks, and for every searchable layer and ratio r ∈ {1, 3, 6}: the 1×1 expansion
 * (r > 1), each parametric edge op on r·C_in channels both out of node 0 (carrying
 * the layer's stride) and between inner nodes (at the output size), the 1×1
 * projection; then the feature mix.
 */
export function supernetConvShapes(
  backbone: Backbone,
  batch: number,
  ratios: readonly number[] = RATIOS,
  ops: readonly EdgeOp[] = SUPERNET_EDGE_OPS,
): ConvShape[] {
  const sizes = layerInputSizes(backbone);
  const h0 = backbone.input.size;
  const shapes: ConvShape[] = [convShape({
    label: "stem",
    kind: "conv",
    n: batch,
    cin: backbone.input.channels,
    cout: backbone.stem.cout,
    h: h0,
    w: h0,
    k: backbone.stem.kernel,
    stride: backbone.stem.stride,
  })];
  backbone.layers.forEach((layer, i) => {
    const h = sizes[i];
    const label = `layers[${i}]`;
    if (layer.fixed) {
      shapes.push(...blockConvShapes(layer.fixed, h, batch, label));
      return;
    }
    const out = outputSize(h, layer.stride);
    for (const r of ratios) {
      const mid = layer.cin * r;
      const tag = `${label} r${r}`;
      if (r > 1) {
        shapes.push(convShape({
          label: `${tag} expand 1x1`,
          kind: "conv",
          n: batch,
          cin: layer.cin,
          cout: mid,
          h,
          w: h,
          k: 1,
          stride: 1,
        }));
      }
      for (const op of ops) {
        const first = edgeShape(op, mid, layer.stride, h);
        if (first) shapes.push(convShape({ ...first, n: batch, label: `${tag} 0->j ${op}` }));
        const inner = edgeShape(op, mid, 1, out);
        if (inner) shapes.push(convShape({ ...inner, n: batch, label: `${tag} i->j ${op}` }));
      }
      shapes.push(convShape({
        label: `${tag} project 1x1`,
        kind: "conv",
        n: batch,
        cin: mid,
        cout: layer.cout,
        h: out,
        w: out,
        k: 1,
        stride: 1,
      }));
    }
  });
  const last = backbone.layers[backbone.layers.length - 1];
  const hLast = outputSize(sizes[sizes.length - 1], last.stride);
  if (backbone.head.featureMix) {
    shapes.push(convShape({
      label: "feature_mix",
      kind: "conv",
      n: batch,
      cin: last.cout,
      cout: backbone.head.featureMix.cout,
      h: hLast,
      w: hLast,
      k: 1,
      stride: 1,
    }));
  }
  return dedupeShapes(shapes);
}

/**
 * The largest of batch, batch/2, batch/4, … ≥ 1 at which every shape `make(b)`
 * returns binds at most `limitBytes` per tensor (lavapipe: 128 MiB per storage
 * binding, which MobileNetV2-224's 112×112×96 maps exceed at batch 32).
 */
export function fittingBatch(
  make: (batch: number) => readonly ConvShape[],
  batch: number,
  limitBytes: number,
): number {
  for (let b = batch; b >= 1; b = Math.floor(b / 2)) {
    if (make(b).every((s) => largestBindingBytes(s) <= limitBytes)) return b;
  }
  return 1;
}
