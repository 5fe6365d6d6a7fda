/**
 * ONNX checkpoints: a round trip restores weights, BN statistics, optimizer state,
 * counters and the RNG exactly (training resumes bit for bit); the checkpoint opens in
 * onnxruntime; bad inputs fail with one line and change nothing.
 */
import assert from "node:assert/strict";
import * as ort from "onnxruntime-node";
import { gpuTest } from "./_helpers.ts";
import { paramGroups } from "../src/nn/module.ts";
import { Sgd } from "../src/nn/optimizers.ts";
import { buildNetwork, type Network } from "../src/networks/network.ts";
import { loadCheckpointWeights, readCheckpoint, writeCheckpoint } from "../src/onnx/checkpoint.ts";
import { exportOnnx } from "../src/onnx/export_network.ts";
import { softmaxCrossEntropy } from "../src/ops/cross_entropy.ts";
import type { NetworkSpec } from "../src/space/network_spec.ts";
import { backward } from "../src/tensor/autograd.ts";
import { fromArray, upload } from "../src/tensor/creation.ts";
import { noGrad, tidy } from "../src/tensor/engine.ts";
import { readAll, type Tensor } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

function spec(width: number, blocks = 2): NetworkSpec {
  const all = [
    {
      type: "inverted_residual",
      cin: 8,
      cout: width,
      stride: 2,
      kernel: 3,
      expansion: 3,
      se: true,
    },
    {
      type: "inverted_residual",
      cin: width,
      cout: width,
      stride: 1,
      kernel: 3,
      expansion: 2,
      se: false,
    },
    {
      type: "inverted_residual",
      cin: width,
      cout: width,
      stride: 1,
      kernel: 3,
      expansion: 2,
      se: false,
    },
  ] as const;
  return {
    name: `ckpt-test-${width}`,
    input: { channels: 2, size: 9 },
    stem: { cout: 8, kernel: 3, stride: 1 },
    blocks: all.slice(0, blocks),
    head: { featureMix: null, dropout: 0 },
    classes: 3,
  };
}

function randomArray(n: number, rng: Rng, lo = -1, hi = 1): Float32Array {
  return Float32Array.from({ length: n }, () => rng.uniform(lo, hi));
}

/** A network, its SGD optimizer and a fixed batch to train on. */
function setup(s: NetworkSpec, seed: number) {
  const rng = new Rng(seed);
  const net = buildNetwork(s, rng);
  const { channels, size } = s.input;
  const n = 4;
  const x = fromArray([n, channels, size, size], randomArray(n * channels * size * size, rng), {
    persistent: true,
  });
  const labels = fromArray([n], Int32Array.from({ length: n }, (_, i) => i % s.classes), {
    persistent: true,
  });
  const opt = new Sgd(paramGroups(net.parameters(), 1e-4), {
    lr: 0.05,
    momentum: 0.9,
    nesterov: true,
  });
  const step = () => {
    net.train();
    tidy(() => {
      opt.zeroGrad();
      backward(softmaxCrossEntropy(net.forward(x), labels, { labelSmoothing: 0 }));
      opt.step();
    });
  };
  const logits = async (): Promise<Float32Array> => {
    net.eval();
    const y = noGrad(() => tidy(() => net.forward(x)));
    const [out] = await readAll([y]);
    y.dispose();
    return out;
  };
  const dispose = () => {
    opt.dispose();
    net.dispose();
    x.dispose();
    labels.dispose();
  };
  return { net, opt, x, step, logits, dispose };
}

/** Overwrites every weight, BN statistic and optimizer tensor with noise. */
function perturb(net: Network, optimizerState: Map<string, Tensor>, rng: Rng): void {
  for (const { tensor } of [...net.parameters(), ...net.buffers()]) {
    upload(tensor, randomArray(tensor.size, rng, 0.1, 1));
  }
  for (const t of optimizerState.values()) upload(t, randomArray(t.size, rng));
}

async function allValues(net: Network): Promise<Float32Array[]> {
  return await readAll([...net.parameters(), ...net.buffers()].map((p) => p.tensor));
}

async function fileNames(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

gpuTest("checkpoint round trip restores everything; training resumes bit for bit", async () => {
  const dir = await Deno.makeTempDir();
  const run = setup(spec(12), 3);
  try {
    const path = `${dir}/ckpt.onnx`;
    run.step();
    run.step();
    const rng = new Rng(99);
    rng.next();
    const counters = { epoch: 3, globalStep: 17, history: [{ loss: 1.25, top1: 0.5 }] };
    await writeCheckpoint(path, run.net, {
      optimizerState: run.opt.state(),
      counters,
      rngState: rng.getState(),
    });
    assert.deepEqual(await fileNames(dir), ["ckpt.onnx", "ckpt.onnx.state.json"]);
    const nextRandom = rng.next();
    const saved = await run.logits();
    const savedMomentum = await readAll([...run.opt.state().values()]);
    assert.equal(savedMomentum.length, run.net.parameters().length);
    run.step();
    const continued = await run.logits();

    // The checkpoint is a valid ONNX model of the same network.
    const session = await ort.InferenceSession.create(await Deno.readFile(path));
    const { channels, size } = run.net.spec.input;
    const input = new Float32Array((await readAll([run.x]))[0]);
    const out = await session.run({
      input: new ort.Tensor("float32", input, [4, channels, size, size]),
    });
    await session.release();
    const diff = Math.max(
      ...Array.from(out.logits.data as Float32Array, (v, i) => Math.abs(v - saved[i])),
    );
    assert.ok(diff <= 1e-4, `checkpoint in onnxruntime: max abs diff ${diff}`);

    perturb(run.net, run.opt.state(), new Rng(5));
    assert.notDeepEqual(await run.logits(), saved);
    const restoredRng = new Rng(1);
    const back = await readCheckpoint(path, run.net, run.opt.state(), { rng: restoredRng });
    assert.deepEqual(back, counters);
    assert.equal(restoredRng.next(), nextRandom);
    assert.deepEqual(await run.logits(), saved);
    assert.deepEqual(await readAll([...run.opt.state().values()]), savedMomentum);
    run.step();
    assert.deepEqual(await run.logits(), continued, "training after restore diverged");
  } finally {
    run.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});

gpuTest("checkpoint errors: missing files, wrong network, mixed saves, folded file", async () => {
  const dir = await Deno.makeTempDir();
  const run = setup(spec(12), 4);
  try {
    const path = `${dir}/ckpt.onnx`;
    await writeCheckpoint(path, run.net, {
      optimizerState: run.opt.state(),
      counters: { step: 1 },
    });
    const before = await allValues(run.net);

    await assert.rejects(
      readCheckpoint(`${dir}/none.onnx`, run.net),
      /checkpoint .*none.onnx not found/,
    );
    await assert.rejects(
      readCheckpoint(path, run.net, new Map()),
      /momentum.0" has no counterpart in the optimizer/,
    );

    const wider = setup(spec(16), 5);
    const longer = setup(spec(12, 3), 6);
    const shorter = setup(spec(12, 1), 7);
    try {
      await assert.rejects(
        readCheckpoint(path, wider.net, wider.opt.state()),
        /tensor "blocks.0.project.conv.weight" is \[12,24,1,1\] in the file but \[16,24,1,1\] in the network/,
      );
      await assert.rejects(
        readCheckpoint(path, longer.net),
        /no tensor "blocks.2.expand.conv.weight" \(the network has \[24,12,1,1\]\)/,
      );
      await assert.rejects(
        loadCheckpointWeights(path, shorter.net),
        /tensor "blocks.1.[a-z_.]+" has no counterpart/,
      );
    } finally {
      wider.dispose();
      longer.dispose();
      shorter.dispose();
    }

    // A state file from another save: detected, and nothing is loaded.
    const oldState = await Deno.readTextFile(`${path}.state.json`);
    await writeCheckpoint(path, run.net, {
      optimizerState: run.opt.state(),
      counters: { step: 2 },
    });
    await Deno.writeTextFile(`${path}.state.json`, oldState);
    perturb(run.net, new Map(), new Rng(8));
    const perturbed = await allValues(run.net);
    await assert.rejects(
      readCheckpoint(path, run.net, run.opt.state()),
      /come from different saves/,
    );
    assert.deepEqual(await allValues(run.net), perturbed, "a failed read changed the network");
    assert.notDeepEqual(perturbed, before);

    await Deno.remove(`${path}.state.json`);
    await assert.rejects(
      readCheckpoint(path, run.net, run.opt.state()),
      /checkpoint state .*state.json not found/,
    );
    // The weights alone still load without the state file.
    await loadCheckpointWeights(path, run.net);
    assert.deepEqual(await allValues(run.net), before);

    const folded = `${dir}/model.onnx`;
    await Deno.writeFile(folded, await exportOnnx(run.net, { foldBn: true }));
    await assert.rejects(loadCheckpointWeights(folded, run.net), /BN is folded into the convs/);
    await Deno.writeTextFile(`${dir}/junk.onnx`, "not a model at all");
    await assert.rejects(
      loadCheckpointWeights(`${dir}/junk.onnx`, run.net),
      /junk.onnx: not an ONNX model|no tensor/,
    );
  } finally {
    run.dispose();
    await Deno.remove(dir, { recursive: true });
  }
});
