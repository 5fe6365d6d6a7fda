/**
 * The manually designed search space of ProxylessNAS (the paper's baseline, §4.1):
 * per layer, inverted residual blocks with kernel 3/5/7 × expansion 3/6, plus the zero
 * op (a skipped layer) where stride is 1 and the width is unchanged.
 */
import type { Backbone, LayerShape } from "./backbone.ts";
import type { BlockSpec } from "./network_spec.ts";
import { type SearchSpaceSpec, spaceFromBackbone } from "./search_space_spec.ts";

/** Kernel sizes of the baseline space. */
export const BASELINE_KERNELS = [3, 5, 7] as const;
/** Expansion ratios of the baseline space. */
export const BASELINE_EXPANSIONS = [3, 6] as const;

/** True when a layer may be skipped: stride 1 and cin = cout. */
export function allowsZero(shape: LayerShape): boolean {
  return shape.stride === 1 && shape.cin === shape.cout;
}

/** Baseline candidates of one layer, in ProxylessNAS's order (3x3_MBConv3 ... 7x7_MBConv6, zero). */
export function baselineCandidates(shape: LayerShape): BlockSpec[] {
  const blocks: BlockSpec[] = [];
  for (const kernel of BASELINE_KERNELS) {
    for (const expansion of BASELINE_EXPANSIONS) {
      blocks.push({
        type: "inverted_residual",
        cin: shape.cin,
        cout: shape.cout,
        stride: shape.stride,
        kernel,
        expansion,
        se: false,
      });
    }
  }
  if (allowsZero(shape)) {
    blocks.push({ type: "zero", cin: shape.cin, cout: shape.cout, stride: shape.stride });
  }
  return blocks;
}

/** The baseline space on a backbone. */
export function baselineSpace(backbone: Backbone): SearchSpaceSpec {
  return spaceFromBackbone(backbone, baselineCandidates, `${backbone.name}-baseline`);
}
