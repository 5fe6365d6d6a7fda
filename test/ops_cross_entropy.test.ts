import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import * as ref from "../src/reference/mod.ts";
import { accumulateMetrics, accuracyStats, softmaxCrossEntropy } from "../src/ops/cross_entropy.ts";
import { withKernelVariant } from "../src/ops/reduce.ts";
import { backward, requireGrad } from "../src/tensor/autograd.ts";
import { fromArray, zeros } from "../src/tensor/creation.ts";
import { noGrad, tidy } from "../src/tensor/engine.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

const rng = new Rng(23);

function randomLabels(n: number, k: number): Int32Array {
  return Int32Array.from({ length: n }, () => rng.int(k));
}

/** Rank of the label under a stable descending sort (ties: lower index first). */
function labelRank(logits: Float32Array, k: number, row: number, label: number): number {
  const zl = logits[row * k + label];
  let rank = 0;
  for (let j = 0; j < k; j++) {
    const v = logits[row * k + j];
    if (v > zl || (v === zl && j < label)) rank++;
  }
  return rank;
}

// [N, K]: batch 1, 10 classes, a batch long enough for the split mean, many classes.
const shapes = [[1, 3], [7, 10], [300, 5], [5, 100]];

for (const variant of ["register", "tiled"] as const) {
  gpuTest(
    `softmaxCrossEntropy (${variant}): loss and dlogits match the reference, with and without label smoothing`,
    async () => {
      for (const [n, k] of shapes) {
        for (const smoothing of [0, 0.1]) {
          const zh = ref.randomHost([n, k], rng, 6);
          const labelsHost = randomLabels(n, k);
          const logits = requireGrad(toGpu(zh, "logits"));
          const labels = fromArray([n], labelsHost);
          const g = 0.5; // upstream gradient, read on the GPU
          const loss = withKernelVariant(variant, () =>
            tidy(() => {
              const loss = softmaxCrossEntropy(logits, labels, { labelSmoothing: smoothing });
              backward(loss, fromArray([1], [g]));
              return loss;
            }));
          assert.deepEqual([...loss.shape], [1]);
          const [lg, dl] = await readAll([loss, logits.grad!]);
          const r = ref.softmaxCrossEntropy(zh, labelsHost, smoothing);
          const what = `${[n, k]} smoothing ${smoothing}`;
          assertClose(lg, [r.loss], `loss ${what}`);
          assertClose(
            dl,
            ref.softmaxCrossEntropyBackward(r.probs, labelsHost, smoothing, g).data,
            `dlogits ${what}`,
          );
          for (const t of [logits, labels, loss]) t.dispose();
        }
      }
    },
  );

  gpuTest(
    `accuracyStats and accumulateMetrics (${variant}): counts match a host ranking, ties included`,
    async () => {
      const metrics = zeros([4], { name: "metrics", persistent: true });
      const expected = [0, 0, 0, 0];
      for (const [n, k] of [[6, 10], [300, 7], [4, 3]]) {
        // Few distinct values so ties happen; one row entirely tied.
        const z = Float32Array.from({ length: n * k }, () => rng.int(4));
        z.fill(1, 0, k);
        const labelsHost = randomLabels(n, k);
        const logits = fromArray([n, k], z);
        const labels = fromArray([n], labelsHost);
        const [counts, loss] = withKernelVariant(variant, () =>
          noGrad(() => {
            const loss = softmaxCrossEntropy(logits, labels);
            accumulateMetrics(metrics, loss, logits, labels, 5);
            return [accuracyStats(logits, labels, 5), loss];
          }));
        const [cg, lg] = await readAll([counts, loss]);
        let top1 = 0, top5 = 0;
        for (let r = 0; r < n; r++) {
          const rank = labelRank(z, k, r, labelsHost[r]);
          if (rank === 0) top1++;
          if (rank < 5) top5++;
        }
        assert.deepEqual([...cg], [top1, top5], `counts ${[n, k]}`);
        expected[0] += lg[0] * n;
        expected[1] += n;
        expected[2] += top1;
        expected[3] += top5;
        for (const t of [logits, labels, counts, loss]) t.dispose();
      }
      const [m] = await readAll([metrics]);
      assertClose(m, expected, "accumulated metrics");
      metrics.dispose();
    },
  );
}

gpuTest("softmaxCrossEntropy: a label outside [0, K) makes the loss NaN", async () => {
  const logits = fromArray([2, 3], [1, 2, 3, 4, 5, 6]);
  const labels = fromArray([2], Int32Array.from([1, 3]));
  const loss = noGrad(() => softmaxCrossEntropy(logits, labels));
  const [l] = await readAll([loss]);
  assert.ok(Number.isNaN(l[0]), `loss ${l[0]}`);
  for (const t of [logits, labels, loss]) t.dispose();
});

gpuTest("softmaxCrossEntropy: wrong label dtype, label count and logits shape are rejected", () => {
  const logits = fromArray([2, 3], new Float32Array(6));
  assert.throws(
    () => softmaxCrossEntropy(logits, fromArray([2], new Float32Array(2))),
    /dtype i32/,
  );
  assert.throws(
    () => softmaxCrossEntropy(logits, fromArray([3], new Int32Array(3))),
    /3 labels \[3\] for 2 rows/,
  );
  assert.throws(
    () =>
      softmaxCrossEntropy(fromArray([6], new Float32Array(6)), fromArray([2], new Int32Array(2))),
    /\[N,K\]/,
  );
  assert.throws(
    () => softmaxCrossEntropy(logits, fromArray([2], new Int32Array(2)), { labelSmoothing: 1.5 }),
    /labelSmoothing/,
  );
  assert.throws(
    () =>
      accumulateMetrics(
        fromArray([3], new Float32Array(3)),
        fromArray([1], [0]),
        logits,
        fromArray([2], new Int32Array(2)),
      ),
    /metrics must be f32 \[4\]/,
  );
  logits.dispose();
});
