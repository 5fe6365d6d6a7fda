/**
 * Real runs' spaces against null-evolution spaces: the group means, the one-sided count
 * of null groups at least as alike (larger overlaps, smaller distances), p, Holm.
 */
import assert from "node:assert/strict";
import { type PairFigures, subsets, testAgainstNull } from "../src/space/stability_vs_null.ts";

Deno.test("subsets: every k-subset once, in lexicographic order", () => {
  assert.deepEqual([...subsets(4, 2)], [[0, 1], [0, 2], [0, 3], [1, 2], [1, 3], [2, 3]]);
  assert.equal([...subsets(10, 3)].length, 120);
  assert.deepEqual([...subsets(3, 3)], [[0, 1, 2]]);
  assert.deepEqual([...subsets(2, 3)], []);
});

/** Every pair of `n` spaces with figures from `value(a, b)`. */
function pairs(n: number, value: (a: number, b: number) => number): PairFigures[] {
  const out: PairFigures[] = [];
  for (let a = 0; a < n; a++) {
    for (let b = a + 1; b < n; b++) {
      const v = value(a, b);
      out.push({
        a,
        b,
        figures: {
          sharedFraction: v,
          jaccard: v,
          opDistance: 1 - v,
          ratioDistance: 0.5,
          aggregationDistance: 1 - v,
        },
      });
    }
  }
  return out;
}

Deno.test("against the null: counts of null groups as alike, p, Holm and the direction", () => {
  // Real pairs all at overlap 0.15; null pair (a, b) at 0.01·(a + b).
  const real = pairs(3, () => 0.15);
  const nulls = pairs(10, (a, b) => 0.01 * (a + b));
  const t = testAgainstNull(real, 3, nulls, 10);
  assert.equal(t.groups, 120);
  // A group {i, j, k}'s mean pair value is 0.01·2(i + j + k)/3 ≥ 0.15 ⇔ i + j + k ≥ 22.5:
  // {6, 8, 9} and {7, 8, 9}.
  const asAlike = [...subsets(10, 3)].filter((g) => g[0] + g[1] + g[2] >= 22.5).length;
  const shared = t.figures.find((f) => f.key === "sharedFraction")!;
  assert.equal(asAlike, 2);
  assert.equal(shared.atLeastAsAlike, asAlike);
  assert.ok(Math.abs(shared.p - (1 + asAlike) / 121) < 1e-12);
  assert.ok(Math.abs(shared.real - 0.15) < 1e-12);
  // The distances count the other way (smaller is more alike) and give the same counts here.
  const ops = t.figures.find((f) => f.key === "opDistance")!;
  assert.equal(ops.atLeastAsAlike, asAlike);
  // Ratios tie everywhere: every group is as alike, p = 1.
  const ratios = t.figures.find((f) => f.key === "ratioDistance")!;
  assert.equal(ratios.atLeastAsAlike, 120);
  assert.equal(ratios.p, 1);
  // Holm over five figures: four equal smallest p's multiplied by 5, 4, 3, 2 → all 5·p.
  assert.ok(Math.abs(shared.pHolm - Math.min(1, 5 * shared.p)) < 1e-12);
  assert.equal(shared.beyondChance, shared.pHolm < 0.05);
  // Pairs far more alike than any null group: p at its floor 1/121, Holm 5/121 < 0.05.
  const strong = testAgainstNull(pairs(3, () => 0.99), 3, nulls, 10);
  assert.equal(strong.figures[0].atLeastAsAlike, 0);
  assert.ok(strong.figures[0].beyondChance);
  assert.equal(strong.realPairs.length, 3);
  assert.equal(strong.nullPairs.length, 45);
  assert.throws(() => testAgainstNull(real, 3, pairs(9, () => 0), 9), /give at least 10/);
  assert.throws(() => testAgainstNull([], 1, nulls, 10), /at least two real spaces/);
});
