/**
 * Per-channel statistics partials that a conv wrote while producing its output
 * (the strip kernel's statistics epilogue), kept beside that output until the batch
 * norm that reads it takes its statistics from them instead of a pass over the
 * tensor (src/ops/batch_norm.ts). A conv asks for them only where a training-mode
 * batch norm follows (`Conv2d.forward`'s `statistics`).
 *
 * The partials are an intermediate like the output: tidy frees them with it. A batch
 * norm that finds them freed (an output kept past its scope) or absent runs the
 * statistics pass as before.
 */
import type { StripPartialsLayout } from "../../kernels/bn_partial_stats.ts";
import type { Tensor } from "../tensor/tensor.ts";

/** The partials tensor and where its strips lie. */
export interface StripPartials extends StripPartialsLayout {
  /** vec4 over four channels: the means of every quad of channels, then the M2s. */
  stats: Tensor;
}

const partialsOf = new WeakMap<Tensor, StripPartials>();

/** Keeps `partials` beside `y`, the output they describe. */
export function attachStripPartials(y: Tensor, partials: StripPartials): void {
  partialsOf.set(y, partials);
}

/** The partials of `x`, or null where it has none (or they were freed). */
export function stripPartialsOf(x: Tensor): StripPartials | null {
  const p = partialsOf.get(x);
  return p && !p.stats.isDisposed ? p : null;
}
