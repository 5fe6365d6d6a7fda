/**
 * The GPU bundle's run.sh, run against a stub Deno: it asks for the Vulkan backend
 * (unless the caller chose one), checks for an adapter without installing anything,
 * and runs the task only when that check passes.
 */
import assert from "node:assert/strict";
import { GPU_BUNDLE_RUN_SH } from "../src/setup/gpu_bundle_run_sh.ts";

/** A bundle folder whose bin/deno logs "BACKEND|ARGS" and fails set-up when told to. */
async function stubBundle(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "gpu-bundle-" });
  await Deno.mkdir(`${dir}/bin`);
  await Deno.mkdir(`${dir}/debs`);
  await Deno.writeTextFile(`${dir}/run.sh`, GPU_BUNDLE_RUN_SH);
  await Deno.mkdir(`${dir}/scripts`);
  await Deno.copyFile(
    new URL("../scripts/vulkan_env.sh", import.meta.url),
    `${dir}/scripts/vulkan_env.sh`,
  );
  await Deno.writeTextFile(
    `${dir}/bin/deno`,
    `#!/usr/bin/env bash
echo "$DENO_WEBGPU_BACKEND|$*" >> "$(dirname "$0")/../calls.log"
if [ "$2" = "-A" ] && [ "$3" = "scripts/setup.ts" ] && [ -n "\${STUB_SETUP_FAILS:-}" ]; then
  echo "setup: no Vulkan adapter; install a Vulkan driver" >&2; exit 1
fi
`,
  );
  await Deno.chmod(`${dir}/run.sh`, 0o755);
  await Deno.chmod(`${dir}/bin/deno`, 0o755);
  return dir;
}

async function runSh(dir: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(`${dir}/run.sh`, {
    args,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const calls = await Deno.readTextFile(`${dir}/calls.log`).catch(() => "");
  await Deno.remove(`${dir}/calls.log`).catch(() => {});
  return {
    code: out.code,
    calls: calls.trim().split("\n"),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

Deno.test("run.sh: Vulkan backend, set-up check without installing, then the task", async () => {
  const dir = await stubBundle();
  try {
    const base = { DENO_WEBGPU_BACKEND: "", STUB_SETUP_FAILS: "" };
    const ok = await runSh(dir, ["bench", "--json", "b.json"], base);
    assert.equal(ok.code, 0, ok.stderr);
    assert.deepEqual(ok.calls, [
      "vulkan|run -A scripts/setup.ts --no-install",
      "vulkan|task bench --json b.json",
    ]);
    const chosen = await runSh(dir, [], { ...base, DENO_WEBGPU_BACKEND: "gl" });
    assert.deepEqual(chosen.calls, ["gl|run -A scripts/setup.ts --no-install", "gl|task bench"]);
    const missing = await runSh(dir, ["bench"], { ...base, STUB_SETUP_FAILS: "1" });
    assert.notEqual(missing.code, 0);
    assert.deepEqual(missing.calls, ["vulkan|run -A scripts/setup.ts --no-install"]);
    assert.match(missing.stderr, /no Vulkan adapter/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
