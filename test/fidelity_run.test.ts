/**
 * `deno task fidelity --quick` end to end through its script: the sample, the ground
 * truth, one supernet setting scored, the report; then `--resume` redoes nothing, and
 * an OUT that holds a run is refused without it.
 */
import assert from "node:assert/strict";
import type { FidelityResult } from "../src/fidelity/result.ts";
import { runScript } from "./_helpers.ts";

const opts = { sanitizeOps: false, sanitizeResources: false };

Deno.test({
  name: "fidelity --quick: sample, ground truth, a fair supernet, report; resume redoes nothing",
  ...opts,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "fidelity_" });
    try {
      const args = ["--quick", "--settings", "g-fair", "--networks", "3", "--out", out];
      const first = await runScript("fidelity.ts", ...args);
      assert.equal(first.code, 0, first.stderr);
      assert.match(first.stdout, /ground truth — 6 of 6 stand-alone trainings to run/);
      const result = JSON.parse(await Deno.readTextFile(`${out}/fidelity.json`)) as FidelityResult;
      assert.equal(result.networks.length, 3);
      assert.ok(result.networks.every((n) => n.standaloneTop1.length === 2));
      assert.ok(result.networks[0].madds <= result.networks[2].madds, "sorted by MAdds");
      assert.equal(result.settings.length, 1);
      const [setting] = result.settings;
      assert.equal(setting.setting.pathSampling, "fair");
      assert.ok(setting.finished);
      assert.equal(setting.epochs.length, 1);
      assert.equal(setting.epochs[0].scores.length, 3);
      assert.equal(setting.epochs[0].logPScores?.length, 3, "G learns α: Σ log p is scored");
      assert.ok(setting.epochs[0].scores.every((s) => s >= 0 && s <= 1));
      const report = await Deno.readTextFile(`${out}/report.md`);
      assert.match(report, /\| g-fair, held-out top-1 \| 2 \|/);
      assert.match(report, /noise ceiling/);
      assert.match(report, /\| MAdds alone \(no supernet\) \|/);
      assert.equal(result.sizeBaselines.madds.k, 2);
      assert.ok((await Deno.stat(`${out}/scatter.png`)).size > 0);
      assert.match(report, /deno task search .*--path-sampling fair/);

      const scores = `${out}/supernet/g-fair/scores.json`;
      const before = (await Deno.stat(scores)).mtime?.getTime();
      const again = await runScript("fidelity.ts", ...args, "--resume");
      assert.equal(again.code, 0, again.stderr);
      assert.doesNotMatch(again.stdout, /trainings to run|supernet g-fair —/);
      assert.equal((await Deno.stat(scores)).mtime?.getTime(), before, "scores not rewritten");
      const resumed = JSON.parse(
        await Deno.readTextFile(`${out}/fidelity.json`),
      ) as FidelityResult;
      assert.deepEqual(resumed.networks, result.networks, "the same ground truth");

      const refused = await runScript("fidelity.ts", ...args);
      assert.equal(refused.code, 1);
      assert.match(
        refused.stderr.trim(),
        /^fidelity: .* holds a fidelity run already; add --resume/,
      );
      const other = await runScript("fidelity.ts", ...args, "--resume", "--networks", "4");
      assert.equal(other.code, 1);
      assert.match(other.stderr, /--resume: .* give the same space/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
