/**
 * Fitting a network spec to a dataset: the input channels and size come from the
 * images, the classifier's width from the number of classes. A spec that already
 * matches is returned unchanged.
 */
import type { NetworkSpec } from "../space/network_spec.ts";

export function adaptSpecToData(
  spec: NetworkSpec,
  shape: readonly [number, number, number] | readonly number[],
  classes: number,
): NetworkSpec {
  const [c, h, w] = shape;
  if (h !== w) throw new Error(`images are ${h}×${w}; networks here take square inputs`);
  if (spec.input.channels === c && spec.input.size === h && spec.classes === classes) return spec;
  return { ...spec, input: { channels: c, size: h }, classes };
}
