/**
 * Derived seeds: one integer from several (run seed, epoch, position, …) so
 * that each random stream depends only on where it is used, never on the order
 * in which asynchronous work happens to run.
 */

/** Mixes integers into one well-spread 32-bit seed (murmur3-style finaliser per step). */
export function mixSeeds(...values: number[]): number {
  let h = 0x9747b28c;
  for (const value of values) {
    // Fold in both 32-bit halves so seeds above 2^32 still matter.
    const low = value >>> 0;
    const high = Math.floor(value / 4294967296) >>> 0;
    for (const word of [low, high]) {
      let k = Math.imul(word, 0xcc9e2d51);
      k = (k << 15) | (k >>> 17);
      k = Math.imul(k, 0x1b873593);
      h ^= k;
      h = (h << 13) | (h >>> 19);
      h = (Math.imul(h, 5) + 0xe6546b64) | 0;
    }
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
