/**
 * `deno task bench` with the latency sections, bad input only (it fails before the
 * GPU starts): one line naming the flag, a non-zero exit, no cache file written.
 */
import assert from "node:assert/strict";
import { SECTION_NAMES } from "../src/bench/sections.ts";
import { runScript } from "./_helpers.ts";

function bench(...args: string[]) {
  return runScript("bench.ts", ...args);
}

Deno.test("bench latency flags: bad space, statistic or stray flag is one clear line", async () => {
  const dir = await Deno.makeTempDir();
  const cache = `${dir}/latency.json`;
  try {
    const cases: [string[], RegExp][] = [
      [["--space", "mobilenetv2"], /^bench: --space mobilenetv2 is a network, not a search space$/],
      [["--space", `${dir}/none.json`], /^bench: .*none\.json: not a built-in .*no such file\)$/],
      [["--statistic", "mean"], /^bench: --statistic must be one of median, min, got "mean"$/],
      [["--networks", "1"], /^bench: --networks must be ≥ 2, got 1$/],
    ];
    for (const [flags, message] of cases) {
      const r = await bench("--sections", "latency-check", "--latency-cache", cache, ...flags);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr.split("\n")[0], message);
    }
    const stray = await bench("--sections", "targets", "--space", "baseline:compact-28");
    assert.equal(stray.code, 1);
    assert.match(
      stray.stderr,
      /^bench: --space needs --sections latency, latency-check, supernet-path or forward/,
    );
    assert.equal(await Deno.stat(cache).then(() => true, () => false), false);
    const help = await bench("--help");
    assert.match(help.stdout, /--space S .*baseline:compact-28/);
    for (const section of SECTION_NAMES) {
      assert.match(help.stdout, new RegExp(`^ +${section} +\\S`, "m"), `--help lists ${section}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
