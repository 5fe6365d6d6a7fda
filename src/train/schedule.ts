/**
 * Learning-rate schedule: linear warmup from 0 to the base rate over `warmupSteps`,
 * then cosine decay to `minLr` at `totalSteps` (Loshchilov & Hutter's SGDR without
 * restarts, as ProxylessNAS trains).
 */
export interface CosineSchedule {
  baseLr: number;
  totalSteps: number;
  warmupSteps: number;
  minLr?: number;
}

/** The learning rate at 0-based `step`. */
export function cosineLr(s: CosineSchedule, step: number): number {
  const minLr = s.minLr ?? 0;
  if (step < s.warmupSteps) return (s.baseLr * (step + 1)) / s.warmupSteps;
  const span = Math.max(1, s.totalSteps - s.warmupSteps);
  const t = Math.min(1, (step - s.warmupSteps) / span);
  return minLr + 0.5 * (s.baseLr - minLr) * (1 + Math.cos(Math.PI * t));
}
