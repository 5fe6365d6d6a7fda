import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { tinyClassifier, trainingStep } from "./_tiny_net.ts";
import { Sgd } from "../src/nn/optimizers.ts";
import { paramGroups } from "../src/nn/module.ts";
import { fromArray } from "../src/tensor/creation.ts";
import { Rng } from "../src/util/rng.ts";

gpuTest(
  "a 1,000-step training loop stops allocating GPU memory after its first steps",
  async (gpu) => {
    const rng = new Rng(3);
    const net = tinyClassifier(rng, 3, 4);
    const x = fromArray(
      [4, 3, 6, 6],
      Float32Array.from({ length: 4 * 3 * 36 }, () => rng.normal()),
      {
        persistent: true,
      },
    );
    const labels = fromArray([4], Int32Array.from([0, 1, 2, 3]), { persistent: true });
    const opt = new Sgd(paramGroups(net.parameters(), 1e-4), { lr: 0.05, momentum: 0.9 });
    let afterWarmup = { bytes: 0, created: 0, inUse: 0 };
    for (let step = 0; step < 1000; step++) {
      trainingStep(net, opt, x, labels);
      if (step % 100 === 99) await gpu.sync(); // bound the queue, as a real loop's readback does
      if (step === 9) {
        afterWarmup = {
          bytes: gpu.pool.allocatedBytes,
          created: gpu.pool.created,
          inUse: gpu.pool.inUseBytes,
        };
      }
    }
    await gpu.sync();
    assert.equal(gpu.pool.created, afterWarmup.created, "buffers created after step 10");
    assert.equal(gpu.pool.allocatedBytes, afterWarmup.bytes, "pool bytes after step 10");
    assert.equal(gpu.pool.inUseBytes, afterWarmup.inUse, "bytes in use after step 10");
    opt.dispose();
    net.dispose();
    x.dispose();
    labels.dispose();
  },
);
