/**
 * Fitting a network spec (or a search space) to a dataset: the input channels and size
 * come from the images, the classifier's width from the number of classes. A spec that
 * already matches is returned unchanged.
 */
import type { InputSpec } from "../space/network_spec.ts";

export function adaptSpecToData<S extends { readonly input: InputSpec; readonly classes: number }>(
  spec: S,
  shape: readonly [number, number, number] | readonly number[],
  classes: number,
): S {
  const [c, h, w] = shape;
  if (h !== w) throw new Error(`images are ${h}×${w}; networks here take square inputs`);
  if (spec.input.channels === c && spec.input.size === h && spec.classes === classes) return spec;
  return { ...spec, input: { channels: c, size: h }, classes };
}
