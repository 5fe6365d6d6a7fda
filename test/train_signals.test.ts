/**
 * Signals to a training process, as a user or a cluster sends them (four short runs of a
 * tiny network, 10 steps an epoch):
 *
 * 1. kill -9 at a random step (what no handler sees): the checkpoint on disk is at most
 *    `--checkpoint-every` steps behind;
 * 2. `deno task train --resume` given SIGTERM from outside, mid-run: `deno task`
 *    forwards it to the training process, which loses no finished step: it writes a
 *    fresh checkpoint of every step it ran, says so in one line, and exits 143; the same
 *    when the whole process group is signalled (the trainer then receives it twice);
 * 3. a second SIGINT while the first one's checkpoint is being written exits at once
 *    (130) with nothing half-written: no temporary file, the last checkpoint written whole.
 */
import assert from "node:assert/strict";
import { METADATA_CHECKPOINT_ID, openOnnxFile } from "../src/onnx/checkpoint.ts";
import type { NetworkSpec } from "../src/space/network_spec.ts";
import { TEST_SIGNAL_ENV } from "../src/util/interrupt.ts";
import { REPO_ROOT, runDeno } from "./_helpers.ts";

const spec: NetworkSpec = {
  name: "tiny-28",
  input: { channels: 1, size: 28 },
  stem: { cout: 8, kernel: 3, stride: 2 },
  blocks: [
    { type: "inverted_residual", cin: 8, cout: 8, stride: 1, kernel: 3, expansion: 3, se: false },
  ],
  head: { featureMix: { cout: 16 }, dropout: 0 },
  classes: 10,
};

/** 6 epochs of 10 steps of 32 images, tested on 2 batches. */
const FLAGS = [
  "--train-images",
  "320",
  "--batch",
  "32",
  "--epochs",
  "6",
  "--eval-batches",
  "2",
  "--warmup",
  "0.1",
  "--log-every",
  "5",
];

const opts = { sanitizeOps: false, sanitizeResources: false };

/** The counters of the checkpoint in `dir`. */
async function savedCounters(dir: string): Promise<{ globalStep: number; stepInEpoch: number }> {
  const state = JSON.parse(await Deno.readTextFile(`${dir}/checkpoint.onnx.state.json`));
  return state.counters;
}

async function tempFiles(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) if (e.name.includes(".tmp-")) names.push(e.name);
  return names;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

Deno.test({
  name: "train: kill -9 loses at most --checkpoint-every; SIGTERM to `deno task train` none",
  ...opts,
  fn: async () => {
    const dir = await Deno.makeTempDir({ prefix: "train_signals_" });
    const arch = `${dir}/tiny.json`;
    await Deno.writeTextFile(arch, JSON.stringify(spec));
    const out = `${dir}/run`;
    try {
      // 1. SIGKILL just after step `killed` is issued, with a step checkpoint every 3 steps.
      const killed = 4 + Math.floor(Math.random() * 6); // 4..9: mid-epoch 1
      const cut = await runDeno(
        ["run", "-A", "scripts/train.ts", "--arch", arch, ...FLAGS, "--checkpoint-every", "3"]
          .concat(["--out", out]),
        { [TEST_SIGNAL_ENV]: `SIGKILL@step:${killed}` },
      );
      assert.equal(cut.code, 137, `kill -9 at step ${killed}: ${cut.stderr}`);
      const saved = (await savedCounters(out)).globalStep;
      assert.ok(
        saved >= killed - 3 && saved < killed,
        `killed at step ${killed}, checkpoint at step ${saved}: more than 3 steps lost`,
      );

      // 2. The task, resumed, given SIGTERM from outside once the first epoch's checkpoint
      // is written (then a random pause, so that it lands in the second epoch): first to
      // the `deno task` process alone, which must forward it; then, resumed again, to the
      // whole process group, as Slurm, systemd and `docker stop` signal (the trainer then
      // gets SIGTERM twice, from the sender and from `deno task`, and that is one event).
      let counters = await savedCounters(out);
      for (const target of ["task", "group"] as const) {
        const task = new Deno.Command(Deno.execPath(), {
          args: ["task", "--quiet", "train", "--arch", arch, ...FLAGS, "--checkpoint-every", "0"]
            .concat(["--out", out, "--resume"]),
          cwd: REPO_ROOT,
          env: { XDG_RUNTIME_DIR: Deno.env.get("XDG_RUNTIME_DIR") ?? "/tmp" },
          stdout: "piped",
          stderr: "piped",
          detached: target === "group", // its own process group, to signal as a whole
        }).spawn();
        const output = task.output();
        const from = counters.globalStep;
        const next = 10 * (Math.floor(from / 10) + 1); // the next epoch's end
        const end = Date.now() + 120_000;
        while ((await savedCounters(out).catch(() => null))?.globalStep !== next) {
          assert.ok(Date.now() < end, `${target}: the checkpoint at step ${next} never came`);
          await sleep(20);
        }
        // At least 50 ms after the epoch's checkpoint, so that a checkpoint written on the
        // signal tells itself apart from that one by its mtime (below).
        await sleep(50 + Math.random() * 100);
        const signalled = Date.now();
        if (target === "task") task.kill("SIGTERM"); // `deno task`, not the trainer
        else Deno.kill(-task.pid, "SIGTERM");
        const done = await output;
        const stderr = new TextDecoder().decode(done.stderr);
        assert.equal(done.code, 143, `${target}: ${stderr}`);
        assert.doesNotMatch(stderr, /second signal/, target);
        const line =
          /train: SIGTERM: stopped after step (\d+) of 60 \(epoch (\d)\/6, (\d+)\/10\); checkpoint (\S+); continue with: deno task train .* --resume\n/
            .exec(stderr);
        assert.ok(line, `${target}: ${stderr}`);
        counters = await savedCounters(out);
        assert.equal(counters.globalStep, Number(line[1]), `${target}: a checkpoint of every step`);
        assert.ok(counters.globalStep >= next, target);
        const written = (await Deno.stat(`${out}/checkpoint.onnx`)).mtime!.getTime();
        // File times come from the kernel's coarse clock, up to a tick (10 ms at HZ 100)
        // behind Date.now().
        assert.ok(
          written >= signalled - 25,
          `${target}: the checkpoint was written on the signal (mtime ${written}, signal ${signalled})`,
        );
        assert.deepEqual(await tempFiles(out), [], target);
      }

      // 3. Two SIGINTs: the first at a step, the second while its checkpoint is written.
      const first = counters.globalStep + 1;
      const twice = await runDeno(
        ["run", "-A", "scripts/train.ts", "--arch", arch, ...FLAGS, "--checkpoint-every", "0"]
          .concat(["--out", out, "--resume"]),
        { [TEST_SIGNAL_ENV]: `SIGINT@step:${first},SIGINT@write:1` },
      );
      assert.equal(twice.code, 130, twice.stderr);
      assert.match(twice.stderr, /second signal: exiting at once/);
      assert.deepEqual(await tempFiles(out), [], "temporary files left behind");
      // The checkpoint on disk is the last one written whole (the step's never landed).
      const after = await Deno.readTextFile(`${out}/checkpoint.onnx.state.json`);
      assert.ok(JSON.parse(after).counters.globalStep < first, "the interrupted write landed");
      const model = await openOnnxFile(`${out}/checkpoint.onnx`);
      const id = model.metadataProps?.find((p) => p.key === METADATA_CHECKPOINT_ID)?.value;
      assert.equal(id, JSON.parse(after).checkpointId, "the checkpoint's two files match");
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
