/**
 * A spec's `bn` settings (momentum, eps; ProxylessNAS's `bn` of net.config) reach every
 * BN of the built network, its training updates, its checkpoint and its folded export.
 * ProxylessNAS sets them on PyTorch's nn.BatchNorm2d, whose momentum convention
 * (running = (1 − m)·running + m·batch) is ours, so 0.1 means the same in both.
 */
import assert from "node:assert/strict";
import { gpuTest } from "./_helpers.ts";
import { adaptSpecToData } from "../src/networks/adapt.ts";
import { buildNetwork, type Network } from "../src/networks/network.ts";
import { embeddedNetworkJson, openOnnxFile, writeCheckpoint } from "../src/onnx/checkpoint.ts";
import { exportOnnx } from "../src/onnx/export_network.ts";
import { decodeModel, type OnnxTypes, readFloatTensor } from "../src/onnx/proto.ts";
import { loadTarget } from "../src/space/load.ts";
import type { NetworkSpec } from "../src/space/network_spec.ts";
import { fromArray, upload } from "../src/tensor/creation.ts";
import { readAll } from "../src/tensor/tensor.ts";
import { Rng } from "../src/util/rng.ts";

/** The released net_340M.config in ../shared/reference/autospace, where a checkout has it. */
const NET_340M = ["../../shared/", "../../../shared/"]
  .map((up) => new URL(`${up}reference/autospace/net_340M.config`, import.meta.url))
  .find((url) => {
    try {
      return Deno.statSync(url).isFile;
    } catch {
      return false;
    }
  });

/** float32 rounding of an eps, as ONNX attributes store it. */
const f32 = (v: number) => Math.fround(v);

function bnEpsilons(model: OnnxTypes.IModelProto): number[] {
  return (model.graph?.node ?? [])
    .filter((n) => n.opType === "BatchNormalization")
    .map((n) => n.attribute?.find((a) => a.name === "epsilon")?.f ?? NaN);
}

/** Gives every BN non-trivial running statistics, small variances so that eps matters. */
function randomizeBnStats(net: Network, rng: Rng): void {
  for (const { name, tensor } of net.buffers()) {
    const [lo, hi] = name.endsWith("running_var") ? [1e-3, 1e-2] : [-0.5, 0.5];
    upload(tensor, Float32Array.from({ length: tensor.size }, () => rng.uniform(lo, hi)));
  }
}

/** Checkpoint and folded export of `net` carry `eps` (checked on the stem's folded bias). */
async function checkFilesCarryEps(net: Network, eps: number): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "bn-settings-" });
  try {
    const ckpt = `${dir}/ckpt.onnx`;
    await writeCheckpoint(ckpt, net, { counters: {} });
    const model = await openOnnxFile(ckpt);
    const epsilons = bnEpsilons(model);
    const bnCount = net.buffers().filter((b) => b.name.endsWith("running_var")).length;
    assert.equal(epsilons.length, bnCount, "one BatchNormalization node per BN");
    for (const e of epsilons) assert.equal(e, f32(eps));
    const embedded = JSON.parse(embeddedNetworkJson(model)!);
    assert.equal(embedded.bn.eps, eps, "the checkpoint's spec keeps bn.eps");

    const folded = decodeModel(await exportOnnx(net, { foldBn: true }));
    assert.deepEqual(bnEpsilons(folded), [], "no BN nodes left after folding");
    const bias = folded.graph!.initializer!.find((t) => t.name === "stem.bias")!;
    const bn = net.stem.bn;
    const [gamma, beta, mean, variance] = await readAll([
      bn.gamma,
      bn.beta,
      bn.runningMean,
      bn.runningVar,
    ]);
    const expected = (e: number) =>
      Array.from(gamma, (g, c) => beta[c] - mean[c] * g / Math.sqrt(variance[c] + e));
    const got = readFloatTensor(bias);
    const err = (want: number[]) => Math.max(...want.map((w, c) => Math.abs(w - got[c])));
    assert.ok(err(expected(eps)) < 1e-5, `folded with eps ${eps}: error ${err(expected(eps))}`);
    assert.ok(err(expected(1e-5)) > 1e-3, "the default eps would fold differently");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const TINY: NetworkSpec = {
  name: "bn-settings",
  input: { channels: 3, size: 8 },
  stem: { cout: 8, kernel: 3, stride: 1 },
  blocks: [
    { type: "inverted_residual", cin: 8, cout: 8, stride: 1, kernel: 3, expansion: 2, se: false },
  ],
  head: { featureMix: { cout: 16 }, dropout: 0 },
  classes: 3,
};

gpuTest(
  "spec bn: momentum drives the running statistics, eps the checkpoint and export",
  async () => {
    const withBn = buildNetwork({ ...TINY, bn: { momentum: 0.5, eps: 0.006 } }, new Rng(3));
    const plain = buildNetwork(TINY, new Rng(3));
    try {
      assert.equal(withBn.stem.bn.eps, 0.006);
      assert.equal(plain.stem.bn.eps, 1e-5);
      // One training-mode forward on the same images: running means move by momentum × μ.
      const rng = new Rng(4);
      const images = Float32Array.from({ length: 2 * 3 * 64 }, () => rng.uniform(0, 1));
      for (const net of [withBn, plain]) net.train().forward(fromArray([2, 3, 8, 8], images));
      const [a, b] = await readAll([withBn.stem.bn.runningMean, plain.stem.bn.runningMean]);
      for (let c = 0; c < a.length; c++) {
        assert.ok(Math.abs(a[c] - 5 * b[c]) <= 1e-5 * (1 + Math.abs(a[c])), `channel ${c}`);
      }
      randomizeBnStats(withBn, new Rng(5));
      await checkFilesCarryEps(withBn.eval(), 0.006);
    } finally {
      withBn.dispose();
      plain.dispose();
    }
  },
);

Deno.test({
  name: "autospace-340m (net_340M.config): its BN eps 0.006 reaches every BN, the checkpoint " +
    "and the export",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const { initEngine } = await import("../src/tensor/init.ts");
    await initEngine();
    // The built-in, and the released file where a checkout has it.
    const loaded = await loadTarget(NET_340M?.pathname ?? "autospace-340m");
    assert.equal(loaded.kind, "network");
    if (loaded.kind !== "network") return;
    assert.deepEqual(loaded.spec.bn, { momentum: 0.1, eps: 0.006 });
    // A small input keeps the test quick; weights and BN do not depend on it.
    const spec = adaptSpecToData(loaded.spec, [3, 32, 32], 10);
    const net = buildNetwork(spec, new Rng(1));
    try {
      assert.equal(net.stem.bn.momentum, 0.1);
      randomizeBnStats(net, new Rng(2));
      await checkFilesCarryEps(net.eval(), 0.006);
    } finally {
      net.dispose();
    }
  },
});
