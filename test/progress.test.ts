import assert from "node:assert/strict";
import { formatDuration, Progress } from "../src/util/progress.ts";

Deno.test("progress: a fresh job's bar counts from 0 and its ETA from its rate", () => {
  const bar = new Progress({ label: "job", total: 100, write: () => {} });
  bar.update(25);
  const line = bar.render({}, performance.now() + 10_000);
  assert.match(line, / 25\/100 /);
  // 25 steps in ~10 s: ~30 s for the 75 left.
  assert.match(line, /ETA 3\ds$/);
});

Deno.test("progress: a resumed job shows its absolute step; rate and ETA count its own steps", () => {
  const lines: string[] = [];
  const bar = new Progress({
    label: "evolve",
    total: 2100,
    resumedAt: 600,
    unitsPerStep: 64,
    unitName: "img",
    write: (line) => lines.push(line),
  });
  bar.update(700, {}, true);
  assert.match(lines[0], / 700\/2100 /);
  const line = bar.render({}, performance.now() + 10_000);
  // 100 steps in ~10 s: ~140 s for the 1,400 left (not 10/700 × 1,400 = 20 s).
  assert.match(line, /ETA 2m(1\d|2\d)s$/);
  // 6,400 images in ~10 s (not 44,800): well under 1,000 img/s.
  const rate = Number(line.match(/([\d.]+) img\/s/)![1]);
  assert.ok(rate < 1000, line);
});

Deno.test("progress: durations read as h/m/s, unknown as --", () => {
  assert.equal(formatDuration(12.4), "12s");
  assert.equal(formatDuration(185), "3m05s");
  assert.equal(formatDuration(3720), "1h02m");
  assert.equal(formatDuration(NaN), "--");
});
