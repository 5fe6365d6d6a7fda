/**
 * Weight initialisation from a seeded generator, so runs are reproducible:
 * Kaiming-normal (He et al. 2015) for convolutions, in fan-out mode as in
 * torchvision's MobileNetV2 (std = sqrt(2 / (C_out·k² / groups))); a small normal
 * for classifiers.
 */
import type { Rng } from "../util/rng.ts";

/** Samples N(0, std²) values. */
export function normalInit(size: number, std: number, rng: Rng): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = rng.normal() * std;
  return out;
}

/** Kaiming-normal, fan-out: weight [Co, Ci/groups, k, k]. */
export function kaimingConvInit(
  cout: number,
  cinPerGroup: number,
  k: number,
  rng: Rng,
): Float32Array {
  const fanOut = cout * k * k;
  return normalInit(cout * cinPerGroup * k * k, Math.sqrt(2 / fanOut), rng);
}
