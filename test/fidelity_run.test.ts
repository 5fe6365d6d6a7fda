/**
 * `deno task fidelity --quick` end to end through its script: the sample, the ground
 * truth, one supernet setting scored, the report; then `--resume` redoes nothing, and
 * an OUT that holds a run is refused without it. `--report-only` recomputes the
 * statistics of a fidelity.json without training.
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

Deno.test({
  name: "fidelity --report-only: the statistics recomputed from fidelity.json, nothing trained",
  ...opts,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "fidelity_report_" });
    try {
      const top1 = [[0.80, 0.81], [0.83, 0.82], [0.84, 0.86], [0.86, 0.85], [0.88, 0.89]];
      const stale = { value: 9, low: 9, high: 9, level: 0.95, resamples: 1 };
      const staleAgreement = { tau: stale, rho: stale, topKOverlap: 0, k: 2 };
      const saved = {
        definition: {
          space: "baseline:compact-28",
          sampleSeed: 0,
          standalone: { epochs: 1, trainImages: 100, testImages: 64, seeds: [0, 1] },
        },
        networks: top1.map((t, i) => ({
          path: [i],
          madds: 1e6 * (i + 1),
          id: `net-0${i}`,
          file: `runs/f/networks/net-0${i}.json`,
          params: 1000 * (5 - i),
          standaloneTop1: t,
          meanTop1: 0,
        })),
        noiseCeiling: staleAgreement,
        sizeBaselines: { madds: staleAgreement, weights: staleAgreement },
        settings: [{
          setting: { name: "g-uniform", algo: "proxyless-g", pathSampling: "uniform" },
          command: "deno task search --out runs/f/supernet/g-uniform",
          finished: true,
          seconds: 10,
          epochs: [{
            epoch: 2,
            steps: 20,
            heldOut: staleAgreement,
            logP: null,
            scores: [0.3, 0.4, 0.5, 0.6, 0.7],
            logPScores: null,
          }],
        }],
        standaloneCommand: "deno task train --arch runs/f/networks/net-00.json",
      };
      await Deno.writeTextFile(`${out}/fidelity.json`, JSON.stringify(saved));
      const run = await runScript("fidelity.ts", "--report-only", "--out", out);
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /seed vs seed τ .*; noise ceiling of the 2-seed mean τ/);
      const result = JSON.parse(await Deno.readTextFile(`${out}/fidelity.json`)) as FidelityResult;
      // The scores rank the networks exactly as the seeds' mean does.
      assert.equal(result.settings[0].epochs[0].heldOut.tau.value, 1);
      assert.equal(result.sizeBaselines.madds.tau.value, 1);
      assert.ok(Math.abs(result.networks[0].meanTop1 - 0.805) < 1e-12);
      assert.equal(result.networks[0].file, "runs/f/networks/net-00.json", "paths kept");
      const c = result.noiseCeiling!;
      assert.equal(c.seeds, 2);
      assert.ok(c.tau.value > 0 && c.tau.value <= 1 && c.tau.resamples >= 9_000);
      assert.equal(result.standaloneCommand, saved.standaloneCommand);
      const report = await Deno.readTextFile(`${out}/report.md`);
      assert.match(
        report,
        /\| \*\*noise ceiling\*\*: a perfect predictor against the 2-seed mean \|/,
      );
      assert.match(report, /\| one seed vs another \(single-seed measures\) \|/);
      assert.match(report, /\(10,000 resamples\)/);

      const mixed = await runScript(
        "fidelity.ts",
        "--report-only",
        "--out",
        out,
        "--networks",
        "4",
      );
      assert.equal(mixed.code, 1);
      assert.match(
        mixed.stderr,
        /--report-only reads everything from OUT\/fidelity\.json; --networks/,
      );
      const empty = await Deno.makeTempDir({ prefix: "fidelity_report_empty_" });
      const none = await runScript("fidelity.ts", "--report-only", "--out", empty);
      await Deno.remove(empty, { recursive: true });
      assert.equal(none.code, 1);
      assert.match(none.stderr, /no fidelity\.json in/);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});
