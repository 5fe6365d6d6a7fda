/**
 * The GPU check end to end on the CPU adapter: `deno task pack-gpu` writes the real
 * bundle (~90 MiB; about 30 s here), it is unpacked into an empty folder, and its
 * ./gpu-check.sh runs the quick check with a bare environment (no deno on PATH, the
 * bundle's own Deno, packages and data). Then, from the checkout, a budget too short
 * for every step: the step that outlives it is stopped, those it leaves no time for are
 * recorded as skipped, and the check exits 1.
 */
import assert from "node:assert/strict";
import { REPO_ROOT, runScript } from "./_helpers.ts";

const STEPS = ["environment", "kernel-tests", "bench-targets", "evolve", "bench-train"];

async function run(cmd: string, args: string[], env?: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    cwd: REPO_ROOT,
    env,
    clearEnv: env !== undefined,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: text(out.stdout), stderr: text(out.stderr) };
}

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test({
  name: "gpu check: the packed bundle, unpacked into an empty folder, checks the adapter",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const tmp = await Deno.makeTempDir({ prefix: "gpu-check-e2e-" });
    try {
      const pack = await run(Deno.execPath(), [
        "run",
        "--quiet",
        "-A",
        "scripts/pack_gpu_server.ts",
        "--out",
        `${tmp}/bundle.tar.gz`,
      ]);
      assert.equal(pack.code, 0, pack.stderr);
      await Deno.mkdir(`${tmp}/unpacked`);
      const untar = await run("tar", ["xzf", `${tmp}/bundle.tar.gz`, "-C", `${tmp}/unpacked`]);
      assert.equal(untar.code, 0, untar.stderr);
      const out = `${tmp}/out`;
      const check = await run(`${tmp}/unpacked/autospace-gpu/gpu-check.sh`, [out, "--quick"], {
        PATH: "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        HOME: tmp,
      });
      const said = `${check.stdout}\n${check.stderr}`;
      assert.equal(check.code, 0, said);
      assert.match(check.stdout, /gpu-check: every step passed/);

      // At most 8 files, no folder: what a device tool brings back.
      const entries = [...Deno.readDirSync(out)];
      assert.ok(entries.length <= 8 && entries.every((e) => e.isFile), said);

      const summary = await readJson(`${out}/gpu-check.json`);
      assert.equal(summary.format, "autospace.gpu-check/v1");
      assert.equal(summary.ok, true);
      assert.deepEqual(summary.steps.map((s: { name: string }) => s.name), STEPS);
      for (const step of summary.steps) {
        if (step.name === "bench-train") {
          // Left out of a quick check by design, and said so; it does not fail the check.
          assert.equal(step.status, "skipped");
          assert.equal(step.quickSkip, true);
          assert.match(step.error, /^left out of a quick check: /);
          continue;
        }
        assert.equal(step.status, "passed", `${step.name}: ${step.error}`);
        assert.ok(step.seconds > 0 && step.timeoutSeconds > 0, step.name);
        assert.ok(entries.some((e) => e.name === step.file), `${step.name}: ${step.file}`);
      }
      const adapter = summary.adapter.description;
      assert.ok(adapter, "adapter recorded");
      assert.equal(summary.verdict, null, "no GPU here, so no GPU-but-CPU-adapter line");

      const environment = await readJson(`${out}/environment.json`);
      assert.equal(environment.adapter.description, adapter);
      assert.ok(environment.adapter.keyLimits.maxStorageBufferBindingSize > 0);
      assert.equal(typeof environment.adapter.timestampQuery, "boolean");
      assert.ok(environment.icds.searched.includes("/usr/share/vulkan/icd.d"));
      assert.ok(["ok", "absent", "failed", "timed-out"].includes(environment.nvidiaSmi.status));

      const bench = await readJson(`${out}/bench-targets.json`);
      assert.equal(bench.adapter.description, adapter);
      assert.equal(bench.adapter.variant, "register", "lavapipe runs the register family");
      assert.ok(bench.adapter.maxComputeWorkgroupStorageSize > 0);
      assert.equal(bench.targets.length, 4);

      const tests = await readJson(`${out}/kernel-tests.json`);
      assert.ok(
        tests.counts.passed >= 10 && tests.counts.failed === 0,
        JSON.stringify(tests.counts),
      );
      for (const t of tests.tests) {
        assert.match(t.name, /tiled/);
        assert.match(t.where, /^\.\/test\/ops_\w+\.test\.ts$/, t.name);
      }

      const evolve = await readJson(`${out}/evolve.json`);
      assert.ok(evolve.wallSeconds > 0);
      assert.match(evolve.command, /--data fashion-mnist:\S+\/data\/fashion-mnist/, "bundled data");
      assert.ok(evolve.metrics.trainLoss > 0, JSON.stringify(evolve.metrics));
      assert.ok(entries.some((e) => e.name === evolve.archive));
    } finally {
      await Deno.remove(tmp, { recursive: true });
    }
  },
});

Deno.test({
  name: "gpu check: a budget too short stops and skips steps, records all, exits 1",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: async () => {
    const out = await Deno.makeTempDir({ prefix: "gpu-check-budget-" });
    try {
      // The tiled tests take 12 s or more on lavapipe: the 11 s left after the
      // environment stop them (or, on a fast machine, leave too little for evolve).
      const r = await runScript("gpu_check.ts", "--out", out, "--budget", "12", "--quick");
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stdout, /gpu-check: not passed: /);
      const summary = await readJson(`${out}/gpu-check.json`);
      const status = Object.fromEntries(
        summary.steps.map((s: { name: string; status: string }) => [s.name, s.status]),
      );
      assert.equal(status.environment, "passed");
      assert.deepEqual(Object.keys(status), STEPS, "every step is recorded");
      assert.ok(Object.values(status).includes("skipped"), JSON.stringify(status));
      assert.equal(summary.ok, false);
      assert.ok(summary.seconds < 40, `${summary.seconds} s for a 12 s budget`);
    } finally {
      await Deno.remove(out, { recursive: true });
    }
  },
});

Deno.test("gpu check: bad input is one line and a non-zero exit", async () => {
  const steps = await runScript("gpu_check.ts", "--steps", "environment,nope");
  assert.equal(steps.code, 1);
  assert.match(steps.stderr, /^gpu-check: --steps takes names from environment,kernel-tests,/);
  assert.ok(!steps.stderr.includes("\n"), steps.stderr);
  const data = await runScript("gpu_check.ts", "--data", "/no/such/folder");
  assert.equal(data.code, 1);
  assert.match(data.stderr, /^gpu-check: --data \/no\/such\/folder is not a folder$/);
  const sh = await new Deno.Command(`${REPO_ROOT}scripts/gpu_check.sh`, { stderr: "piped" })
    .output();
  assert.equal(sh.code, 2);
  assert.match(new TextDecoder().decode(sh.stderr), /^usage: gpu_check.sh OUTDIR/);
});
