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

/** Where a run stands at the start of an epoch, and when it stops. */
export interface EpochPosition {
  /** 0-based epoch about to run. */
  epoch: number;
  /** Steps of this epoch already done (a resumed run starts mid-epoch). */
  startStep: number;
  /** Steps done since the run began, over all epochs. */
  globalStep: number;
  stepsPerEpoch: number;
  epochs: number;
  /** `--max-steps`: the run stops after this many steps in all (Infinity: no cap). */
  maxSteps: number;
}

/**
 * What an epoch's progress bar shows: the steps this epoch will really run (its
 * remaining steps, fewer when `--max-steps` stops the run first) and the number of
 * the last epoch the run reaches, so `--max-steps 30` reads 30/30 in epoch 1/1.
 */
export function epochProgressPlan(p: EpochPosition): { steps: number; lastEpoch: number } {
  const remaining = Math.max(0, p.maxSteps - p.globalStep);
  const steps = Math.min(p.stepsPerEpoch - p.startStep, remaining);
  const stepsLeftAfter = remaining - steps;
  const lastEpoch = Number.isFinite(remaining)
    ? Math.min(p.epochs, p.epoch + 1 + Math.ceil(stepsLeftAfter / p.stepsPerEpoch))
    : p.epochs;
  return { steps, lastEpoch };
}
