/**
 * Decode counters: images decoded per second of wall time during which at least
 * one decode was in flight. During training, decodes share the CPU and the event
 * loop with the training steps (a decode's end is only seen once the step that
 * holds the thread yields), so this is the rate delivered while training, far below
 * the decoder's own speed on an idle machine; whether decoding limits training is
 * the loader's wait time (`EpochStats.waitSeconds`), not this rate.
 */

/** A snapshot of decode counters. */
export interface DecodeStats {
  /** Images decoded successfully. */
  decoded: number;
  /** Images that failed to decode. */
  failed: number;
  /** Wall-clock seconds with at least one decode in flight. */
  busySeconds: number;
  /** decoded / busySeconds (0 before any decode). */
  imagesPerSecond: number;
}

/** Counts decodes and the wall time they cover. */
export class DecodeMeter {
  private decoded = 0;
  private failed = 0;
  private inFlight = 0;
  private busyMs = 0;
  private busySince = 0;

  /** Marks a decode as started. */
  start(): void {
    if (this.inFlight++ === 0) this.busySince = performance.now();
  }

  /** Marks a decode as finished, successfully or not. */
  finish(ok: boolean): void {
    if (ok) this.decoded++;
    else this.failed++;
    if (--this.inFlight === 0) this.busyMs += performance.now() - this.busySince;
  }

  /** Current counters; an interval still in flight counts up to now. */
  stats(): DecodeStats {
    const busyMs = this.busyMs + (this.inFlight > 0 ? performance.now() - this.busySince : 0);
    const busySeconds = busyMs / 1000;
    return {
      decoded: this.decoded,
      failed: this.failed,
      busySeconds,
      imagesPerSecond: busySeconds > 0 ? this.decoded / busySeconds : 0,
    };
  }

  /** Zeroes the counters (in-flight decodes still finish into the new period). */
  reset(): void {
    this.decoded = 0;
    this.failed = 0;
    this.busyMs = 0;
    if (this.inFlight > 0) this.busySince = performance.now();
  }
}
