/**
 * A fair group's update (src/supernet/supernet_steps.ts `weightStep` with zeroGrad /
 * apply): two batches' gradients accumulate and one SGD step applies their sum, the
 * same as stepping once on g1 + g2 computed apart.
 */
import assert from "node:assert/strict";
import type { Batch } from "../src/data/dataset.ts";
import { paramGroups } from "../src/nn/module.ts";
import { Sgd } from "../src/nn/optimizers.ts";
import { MetricsAccumulator } from "../src/supernet/metrics_accumulator.ts";
import { weightStep } from "../src/supernet/supernet_steps.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";
import { gpuTest, relError } from "./_helpers.ts";
import { tinyClassifier } from "./_tiny_net.ts";

function batch(rng: Rng, n: number): Batch {
  return {
    n,
    x: Float32Array.from({ length: n * 8 * 8 }, () => rng.normal()),
    labels: Int32Array.from({ length: n }, () => rng.int(3)),
  } as Batch;
}

gpuTest("a fair group's update is one SGD step on the summed gradients", async () => {
  const rng = new Rng(4);
  const [b1, b2] = [batch(rng, 8), batch(rng, 8)];
  const shape = [1, 8, 8] as const;
  const lr = 0.1;
  const metrics = new MetricsAccumulator("test.fair_metrics");
  const make = () => {
    const net = tinyClassifier(new Rng(9), 1, 3);
    const opt = new Sgd(paramGroups(net.parameters(), 0), { lr, momentum: 0, nesterov: false });
    return { net, opt, params: net.parameters().map((p) => p.tensor) };
  };
  // The gradients of each batch alone, from the same starting weights.
  const probe = make();
  const start = await readAll(probe.params);
  const grads: Float32Array[][] = [];
  for (const b of [b1, b2]) {
    weightStep(probe.net, probe.opt, b, shape, { lr: 0, labelSmoothing: 0, metrics });
    grads.push(await readAll(probe.params.map((p) => p.grad!)));
  }
  // The group: accumulate, then one update.
  const fair = make();
  weightStep(fair.net, fair.opt, b1, shape, {
    lr,
    labelSmoothing: 0,
    metrics,
    zeroGrad: true,
    apply: false,
  });
  const unchanged = await readAll(fair.params);
  unchanged.forEach((w, i) => assert.ok(relError(w, start[i]) === 0, "no update mid-group"));
  weightStep(fair.net, fair.opt, b2, shape, {
    lr,
    labelSmoothing: 0,
    metrics,
    zeroGrad: false,
    apply: true,
  });
  const after = await readAll(fair.params);
  after.forEach((w, i) => {
    const expected = start[i].map((v, j) => v - lr * (grads[0][i][j] + grads[1][i][j]));
    const err = relError(w, expected);
    assert.ok(err < 1e-4, `parameter ${i}: ${err}`);
  });
  // And it is not the update of the last batch alone.
  const lastOnly = start[0].map((v, j) => v - lr * grads[1][0][j]);
  assert.ok(relError(after[0], lastOnly) > 1e-3, "the first batch's gradient was kept");
  metrics.dispose();
  for (const m of [probe, fair]) {
    m.opt.dispose();
    m.net.dispose();
  }
});
