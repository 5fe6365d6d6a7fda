/**
 * A counting semaphore for async work: at most `limit` tasks run at once, the
 * rest wait in FIFO order. Bounds concurrent image decodes across all batches
 * that a prefetching loader has in flight.
 */
export class ConcurrencyLimiter {
  private active = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(readonly limit: number) {
    if (!(Number.isInteger(limit) && limit >= 1)) {
      throw new RangeError(`concurrency limit must be a positive integer, got ${limit}`);
    }
  }

  /** Runs `task` once a slot is free; resolves or rejects with it. */
  async run<T>(task: () => Promise<T>): Promise<T> {
    if (this.active >= this.limit) {
      await new Promise<void>((resolve) => this.waiting.push(resolve));
    } else {
      this.active++;
    }
    try {
      return await task();
    } finally {
      const next = this.waiting.shift();
      // Hand the slot straight to the next waiter, or release it.
      if (next) next();
      else this.active--;
    }
  }
}
