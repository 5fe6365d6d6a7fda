/** Pure checks of the benchmark's arithmetic, tables and option parsing (no GPU, no timing). */
import assert from "node:assert/strict";
import {
  kernelFamily,
  minimumPerDispatch,
  opOfLabel,
  opShares,
} from "../src/bench/dispatch_profiler.ts";
import {
  coarseShares,
  type ConvResult,
  convResultBase,
  directionResult,
  judgeTarget,
  layerTable,
  ratesOf,
  sectionSummary,
  skippedDirection,
  targetsTable,
} from "../src/bench/report.ts";
import { fmt, formatTable } from "../src/report/text_table.ts";
import { parseSections } from "../src/bench/sections.ts";
import { convShape, targetKernels } from "../src/bench/shapes.ts";
import {
  chooseCallsPerRep,
  gflopsPerSecond,
  gigabytesPerSecond,
  median,
  summarize,
  type Timing,
} from "../src/gpu/timing.ts";

function timing(minMs: number, medianMs: number): Timing {
  return {
    method: "timestamp",
    minMs,
    medianMs,
    samplesMs: [minMs, medianMs],
    callsPerRep: 1,
    dispatchesPerCall: 1,
  };
}

Deno.test("bench timing: median, summary and rates", () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.throws(() => median([]), /no values/);
  assert.deepEqual(summarize([5, 2, 9, 4, 7]), { minMs: 2, medianMs: 5 });
  // 2·MACs / time: 1e9 flops in 100 ms is 10 GFLOP/s.
  assert.equal(gflopsPerSecond(1e9, 100), 10);
  assert.equal(gigabytesPerSecond(2e8, 50), 4);
  const r = ratesOf(6e8, 3e7, { minMs: 100, medianMs: 200 });
  assert.deepEqual(r, { gflops: 3, gflopsBest: 6, gbps: 0.15 });
});

Deno.test("bench timing: calls per repetition respect time, memory and dispatch bounds", () => {
  const base = { minRepMs: 10, bytesPerCall: 1e6, memoryBudgetBytes: 1e9, dispatchesPerCall: 1 };
  assert.equal(chooseCallsPerRep({ ...base, estimateMs: 2 }), 5);
  assert.equal(chooseCallsPerRep({ ...base, estimateMs: 50 }), 1);
  assert.equal(chooseCallsPerRep({ ...base, estimateMs: 0.01, bytesPerCall: 1e8 }), 10);
  assert.equal(chooseCallsPerRep({ ...base, estimateMs: 0.001, dispatchesPerCall: 4 }), 250);
  assert.equal(chooseCallsPerRep({ ...base, estimateMs: 1, bytesPerCall: 2e9 }), 1);
});

Deno.test("bench report: table layout pads and right-aligns", () => {
  const t = formatTable(["a", "num"], [["xx", "1"], ["y", "123"]], [false, true]);
  assert.equal(t, "a   num\n--  ---\nxx    1\ny   123");
  assert.equal(fmt(1234.5), "1235");
  assert.equal(fmt(12.34), "12.3");
  assert.equal(fmt(1.234), "1.23");
  assert.equal(fmt(0.1234), "0.123");
  assert.equal(fmt(undefined), "–");
});

Deno.test("bench report: targets are judged on the median GFLOP/s", () => {
  const [t] = targetKernels();
  // 2·MACs of the target = 603,979,776 flops; 24 ms median → 25.2 GFLOP/s.
  const r: ConvResult = {
    ...convResultBase(t.shape),
    directions: [directionResult(t.shape, "forward", timing(20, 24))],
  };
  const judged = judgeTarget(r, t);
  assert.equal(judged.verdict, "PASS");
  assert.ok(Math.abs(judged.directions[0].rates!.gflops - 603_979_776 / 24e6) < 1e-9);
  // 40 ms → 15.1 GFLOP/s: between the floor (12) and the stretch goal (25).
  const slow = judgeTarget({
    ...r,
    directions: [directionResult(t.shape, "forward", timing(20, 40))],
  }, t);
  assert.equal(slow.verdict, "floor");
  const slower = judgeTarget({
    ...r,
    directions: [directionResult(t.shape, "forward", timing(20, 60))],
  }, t);
  assert.equal(slower.verdict, "below");
  const skipped = judgeTarget({ ...r, directions: [skippedDirection(t.shape, "forward", "x")] }, t);
  assert.equal(skipped.verdict, undefined);
  const text = targetsTable([judged, slow, skipped]);
  assert.match(text, /conv3x3 32→32, forward .* PASS/);
  assert.match(text, /skipped: x/);
});

Deno.test("bench report: section summary weights layers by uses and counts skips", () => {
  const a = convShape({
    label: "a",
    kind: "conv",
    n: 1,
    cin: 8,
    cout: 8,
    h: 8,
    w: 8,
    k: 1,
    stride: 1,
    uses: 3,
  });
  const b = convShape({
    label: "b",
    kind: "depthwise",
    n: 1,
    cin: 8,
    cout: 8,
    h: 8,
    w: 8,
    k: 3,
    stride: 1,
  });
  const results: ConvResult[] = [
    { ...convResultBase(a), directions: [directionResult(a, "forward", timing(1, 2))] },
    {
      ...convResultBase(b),
      directions: [
        directionResult(b, "forward", timing(1, 1)),
        skippedDirection(b, "backward-input", "too big"),
      ],
    },
  ];
  const s = sectionSummary(results);
  assert.equal(s.ms.forward, 3 * 2 + 1);
  assert.equal(s.skipped, 1);
  const flops = 3 * 2 * 8 * 8 * 64 + 2 * 8 * 64 * 9;
  assert.ok(Math.abs(s.gflops.forward! - flops / 7e6) < 1e-12);
  const table = layerTable(results);
  assert.match(table, /fwd ms med\/min/);
  assert.match(table, /too big/);
});

Deno.test("bench report: per-kernel shares group by cache-key family", () => {
  assert.equal(kernelFamily("dwconv_forward:32,192,32,32,3,1:4x8vv"), "dwconv_forward");
  assert.equal(kernelFamily("reduce:bn_mean:64,10:register:direct"), "bn_mean");
  assert.equal(kernelFamily("reduce2:dwconv_dw:1728:1:64:register"), "dwconv_dw");
  assert.equal(opOfLabel("batchNorm2d x[2,3] mean"), "batchNorm2d");
  assert.equal(opOfLabel("conv2d dx dy[2,3] w[3,3,1,1] s1"), "conv2d dx");
  assert.equal(opOfLabel("relu6 backward"), "relu6 backward");
  const shares = opShares([
    { key: "relu6:10", label: "relu6 t[10]", ms: 1 },
    { key: "reduce:bn_mean:1", label: "batchNorm2d x[2,3] mean", ms: 3 },
    { key: "relu6:20", label: "relu6 u[20]", ms: 1 },
    { key: "relu6:20", label: "relu6 backward", ms: 0 },
  ]);
  assert.deepEqual(shares.map((s) => [s.kernel, s.op, s.dispatches, s.ms, s.share]), [
    ["bn_mean", "batchNorm2d", 1, 3, 0.6],
    ["relu6", "relu6", 2, 2, 0.4],
    ["relu6", "relu6 backward", 1, 0, 0],
  ]);
  assert.deepEqual(coarseShares(shares), [["batchNorm2d", 0.6], ["relu6", 0.4]]);
});

Deno.test("bench options: sections parse in run order and reject unknown names", () => {
  assert.deepEqual(parseSections("train,targets"), ["targets", "train"]);
  assert.deepEqual(parseSections(" mbv2 , supernet "), ["supernet", "mbv2"]);
  assert.deepEqual(parseSections("latency-check,latency"), ["latency", "latency-check"]);
  assert.throws(() => parseSections("targets,gpu"), /unknown section "gpu"/);
  assert.throws(() => parseSections(","), /--sections is empty/);
});

Deno.test("profiled steps: each dispatch keeps its minimum; differing runs are refused", () => {
  const run = (a: number, b: number) => [
    { key: "conv2d_strip:1", label: "conv2d x", ms: a },
    { key: "bn_dx:2", label: "batchNorm2d dx", ms: b },
  ];
  const min = minimumPerDispatch([run(3, 1), run(2, 5), run(4, 0.5)]);
  assert.deepEqual(min.map((t) => t.ms), [2, 0.5]);
  assert.deepEqual(min.map((t) => t.key), ["conv2d_strip:1", "bn_dx:2"]);
  assert.throws(() => minimumPerDispatch([run(1, 1), run(1, 1).slice(0, 1)]), /other dispatches/);
  assert.throws(() => minimumPerDispatch([]), /no runs/);
});
