/**
 * `deno task export` (scripts/export.ts) as a subprocess: a checkpoint plus --arch (a
 * spec file) or the spec embedded in the checkpoint gives the same bytes as
 * `exportOnnx(net, { foldBn: true })` in-process; bad input is one line, exit 1.
 */
import assert from "node:assert/strict";
import { gpuTest, runScript } from "./_helpers.ts";
import { buildNetwork } from "../src/networks/network.ts";
import { writeCheckpoint } from "../src/onnx/checkpoint.ts";
import { exportOnnx } from "../src/onnx/export_network.ts";
import { type NetworkSpec, networkToJson } from "../src/space/network_spec.ts";
import { upload } from "../src/tensor/creation.ts";
import { Rng } from "../src/util/rng.ts";

const SPEC: NetworkSpec = {
  name: "cli-test",
  input: { channels: 1, size: 8 },
  stem: { cout: 8, kernel: 3, stride: 2 },
  blocks: [
    { type: "inverted_residual", cin: 8, cout: 8, stride: 1, kernel: 3, expansion: 2, se: true },
  ],
  head: { featureMix: { cout: 16 }, dropout: 0 },
  classes: 3,
};

const exportCli = (...args: string[]) => runScript("export.ts", ...args);

gpuTest(
  "deno task export writes the folded ONNX of a checkpoint; errors are one line",
  async () => {
    const dir = await Deno.makeTempDir();
    const rng = new Rng(21);
    const net = buildNetwork(SPEC, rng).eval();
    try {
      for (const { name, tensor } of net.buffers()) {
        const lo = name.endsWith("running_var") ? 0.5 : -0.5;
        upload(tensor, Float32Array.from({ length: tensor.size }, () => rng.uniform(lo, 1)));
      }
      const ckpt = `${dir}/ckpt.onnx`;
      await writeCheckpoint(ckpt, net, { counters: {} });
      await Deno.writeTextFile(`${dir}/spec.json`, JSON.stringify(networkToJson(SPEC)));
      const expected = await exportOnnx(net, { foldBn: true });

      const withArch = await exportCli(
        "--arch",
        `${dir}/spec.json`,
        "--checkpoint",
        ckpt,
        "--out",
        `${dir}/a.onnx`,
      );
      assert.equal(withArch.code, 0, withArch.stderr);
      assert.match(withArch.stdout, /wrote .*a.onnx \(cli-test, .* BN folded, batch dynamic\)/);
      assert.deepEqual(await Deno.readFile(`${dir}/a.onnx`), expected);

      const embedded = await exportCli("--checkpoint", ckpt, "--out", `${dir}/b.onnx`);
      assert.equal(embedded.code, 0, embedded.stderr);
      assert.deepEqual(await Deno.readFile(`${dir}/b.onnx`), expected);

      const failures: [string[], RegExp][] = [
        [["--checkpoint", ckpt], /^export: --out is required/],
        [["--checkpoint", `${dir}/none.onnx`, "--out", `${dir}/c.onnx`], /none.onnx not found/],
        [["--checkpoint", ckpt, "--out", ckpt], /is the checkpoint itself/],
        [["--checkpoint", ckpt, "--out", `${dir}/c.onnx`, "--batch", "0"], /--batch must be/],
        [
          ["--arch", "mobilenetv2-28", "--checkpoint", ckpt, "--out", `${dir}/c.onnx`],
          /no tensor "stem.conv.weight" \(the network has \[\d+,1,3,3\]\)|is \[8,1,3,3\] in the file but \[\d+,1,3,3\]/,
        ],
      ];
      for (const [args, pattern] of failures) {
        const r = await exportCli(...args);
        assert.equal(r.code, 1, `${args.join(" ")}: exit ${r.code}`);
        assert.equal(r.stderr.split("\n").length, 1, `${args.join(" ")}: ${r.stderr}`);
        assert.match(r.stderr, pattern);
      }
      const names: string[] = [];
      for await (const e of Deno.readDir(dir)) names.push(e.name);
      assert.deepEqual(names.sort(), [
        "a.onnx",
        "b.onnx",
        "ckpt.onnx",
        "ckpt.onnx.state.json",
        "spec.json",
      ]);
    } finally {
      net.dispose();
      await Deno.remove(dir, { recursive: true });
    }
  },
);
