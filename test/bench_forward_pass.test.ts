/**
 * The forward section on a tiny space: it times and profiles one path's gradient-free
 * pass, its per-kernel table adds up to the profile, and a pass reads nothing back and
 * records the same dispatches every time.
 */
import assert from "node:assert/strict";
import { parseBenchArgs } from "../src/bench/command.ts";
import { benchForwardPass } from "../src/bench/forward_pass.ts";
import { forwardText } from "../src/bench/report.ts";
import { builtinBackbone } from "../src/space/backbone.ts";
import { makeCell } from "../src/space/cell.ts";
import { spaceFromBackbone } from "../src/space/search_space_spec.ts";
import { gpuTest } from "./_helpers.ts";

function tinySpace() {
  const cells = [
    makeCell({ ratio: 1, edges: { "0-1": "dwconv3x3", "1-2": "identity", "2-3": "identity" } }),
    makeCell({ ratio: 3, edges: { "0-1": "conv1x1", "1-3": "dwconv3x3" } }),
  ];
  return spaceFromBackbone(
    builtinBackbone("compact-28")!,
    (s) =>
      cells.map((cell) => ({
        type: "cell" as const,
        cin: s.cin,
        cout: s.cout,
        stride: s.stride,
        cell,
      })),
  );
}

gpuTest("bench forward: a tiny run times, profiles and tabulates one path", async (gpu) => {
  const space = tinySpace();
  const lines: string[] = [];
  const result = await benchForwardPass(gpu, {
    space,
    source: "tiny",
    batch: 4,
    reps: 2,
    passesPerRep: 2,
    profiledPasses: 2,
    seed: 5,
  }, (line) => lines.push(line));
  assert.equal(lines.length, 2, "a progress line a repetition");
  assert.equal(result.path.length, space.layers.length);
  result.path.forEach((c, l) => assert.ok(c >= 0 && c < space.layers[l].candidates.length));
  assert.ok(result.madds > 0 && result.passMedianMs >= result.passMinMs);
  assert.ok(result.passHostMs >= 0 && result.dispatches > 0);
  // The table splits the profile: its dispatches and milliseconds add up to it.
  const dispatches = result.ops.reduce((s, o) => s + o.dispatches, 0);
  assert.equal(dispatches, result.dispatches, "every dispatch of a pass is profiled once");
  const ms = result.ops.reduce((s, o) => s + o.ms, 0);
  assert.ok(Math.abs(ms - result.profiledGpuMs) < 1e-6 * Math.max(1, ms));
  assert.ok(result.ops.some((o) => o.kernel.startsWith("bn_stats")), "training-mode BN");
  assert.ok(!result.ops.some((o) => /backward|dx|sgd/.test(`${o.kernel} ${o.op}`)), "no gradient");
  assert.match(forwardText(result), /ms a pass median/);
});

Deno.test("bench forward: --space is taken with --sections forward", () => {
  const request = parseBenchArgs(["--sections", "forward", "--space", "baseline:compact-28"]);
  assert.deepEqual(request.sections, ["forward"]);
  assert.equal(request.space, "baseline:compact-28");
  assert.throws(() => parseBenchArgs(["--sections", "train", "--space", "x"]), /forward/);
});
