/**
 * Built-in networks, by name: MobileNetV2-1.0 at 224×224 (the counting anchor:
 * 300.8M MAdds, 3.47M conv+linear weights), a MobileNetV2-style network for
 * 28×28 single-channel inputs (Fashion-MNIST), and the paper's released network
 * "autospace-340m" (src/space/released.ts).
 */
import type { BlockSpec, NetworkSpec } from "./network_spec.ts";
import { autospace340M } from "./released.ts";

/** MobileNetV2 stages: expansion t, channels c, repeats n, first stride s. */
const MOBILENETV2_STAGES: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

/** Rounds channels to a multiple of 8, never below 90% of the value (MobileNetV2's rule). */
export function makeDivisible(value: number, divisor = 8): number {
  let rounded = Math.max(divisor, Math.floor((value + divisor / 2) / divisor) * divisor);
  if (rounded < 0.9 * value) rounded += divisor;
  return rounded;
}

/** Options of `mobileNetV2Spec`. */
export interface MobileNetV2Options {
  name?: string;
  /** Width multiplier (default 1.0). */
  width?: number;
  inputSize?: number;
  inputChannels?: number;
  classes?: number;
  stemStride?: number;
  /** First-block strides of the 7 stages (default MobileNetV2's 1, 2, 2, 2, 1, 2, 1). */
  stageStrides?: readonly number[];
  dropout?: number;
}

/** A MobileNetV2 spec (Sandler et al. 2018, Table 2), with optional width and strides. */
export function mobileNetV2Spec(options: MobileNetV2Options = {}): NetworkSpec {
  const width = options.width ?? 1;
  const strides = options.stageStrides ?? MOBILENETV2_STAGES.map((stage) => stage[3]);
  if (strides.length !== MOBILENETV2_STAGES.length) {
    throw new RangeError(`mobileNetV2Spec: stageStrides needs 7 entries, got ${strides.length}`);
  }
  const stemChannels = makeDivisible(32 * width);
  const blocks: BlockSpec[] = [];
  let cin = stemChannels;
  MOBILENETV2_STAGES.forEach(([expansion, channels, repeats], stage) => {
    const cout = makeDivisible(channels * width);
    for (let i = 0; i < repeats; i++) {
      const stride = i === 0 ? strides[stage] : 1;
      blocks.push({
        type: "inverted_residual",
        cin,
        cout,
        stride,
        kernel: 3,
        expansion,
        se: false,
      });
      cin = cout;
    }
  });
  return {
    name: options.name ?? `mobilenetv2-${width}`,
    input: { channels: options.inputChannels ?? 3, size: options.inputSize ?? 224 },
    stem: { cout: stemChannels, kernel: 3, stride: options.stemStride ?? 2 },
    blocks,
    head: {
      featureMix: { cout: width > 1 ? makeDivisible(1280 * width) : 1280 },
      dropout: options.dropout ?? 0.2,
    },
    classes: options.classes ?? 1000,
  };
}

/**
 * MobileNetV2 adapted to 28×28×1 inputs and 10 classes: stem stride 1, then the
 * 24-, 32- and 64-channel stages halve the map (28 → 14 → 7 → 4), the same schedule
 * as the 224 network from its 112×112 stage on, one stride-2 stage fewer. The
 * built-in "mobilenetv2-28" is width 0.5 (12.9M MAdds, the size of the PyTorch
 * reference net in the benchmarks, so Fashion-MNIST training fits a CPU adapter);
 * "mobilenetv2-28-w1" is width 1.0 (41.0M MAdds).
 */
export function mobileNetV2For28(width = 0.5): NetworkSpec {
  return mobileNetV2Spec({
    name: width === 0.5 ? "mobilenetv2-28" : `mobilenetv2-28-w${width}`,
    width,
    inputSize: 28,
    inputChannels: 1,
    classes: 10,
    stemStride: 1,
    stageStrides: [1, 2, 2, 2, 1, 1, 1],
    dropout: 0,
  });
}

/** Built-in networks by name. */
export const BUILTIN_NETWORKS: Readonly<Record<string, () => NetworkSpec>> = {
  "mobilenetv2": () => mobileNetV2Spec({ name: "mobilenetv2" }),
  "mobilenetv2-28": () => mobileNetV2For28(0.5),
  "mobilenetv2-28-w1": () => mobileNetV2For28(1),
  "autospace-340m": autospace340M,
};

/** The built-in network `name`, or undefined. */
export function builtinNetwork(name: string): NetworkSpec | undefined {
  return BUILTIN_NETWORKS[name]?.();
}
