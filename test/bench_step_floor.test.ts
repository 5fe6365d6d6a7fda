/** The training step's floor: unit costs, the step's work, and the comparison by family. */
import assert from "node:assert/strict";
import type { AccessCosts } from "../src/bench/access_costs.ts";
import type { OpShare } from "../src/bench/dispatch_profiler.ts";
import { floorText } from "../src/bench/report.ts";
import { networkConvShapes, outputShape } from "../src/bench/shapes.ts";
import {
  accessLevel,
  compareWithFloor,
  FLOOR_FAMILIES,
  type FloorWork,
  kernelFloorFamily,
  normaliseFusedLabels,
  stepWork,
  unitCosts,
  withStep,
  workFloorMs,
} from "../src/bench/step_floor.ts";
import { mobileNetV2For28 } from "../src/space/builtins.ts";
import { countNetwork } from "../src/space/counting.ts";

function costs(threads?: number): AccessCosts {
  const row = (name: string, nsAboveLoop: number, macsPerIteration?: number) => ({
    name,
    nsPerIteration: nsAboveLoop + 0.1,
    nsAboveLoop,
    macsPerIteration,
  });
  return {
    rows: [
      row("empty loop", 0),
      row("storage load vec4", 2.4),
      row("storage store vec4", 2.8),
      row("block 16 pixels × 8 channels", 25.6, 128), // 0.2 ns a MAC
      row("block 16 pixels × 16 channels", 25.6, 256), // 0.1 ns a MAC: the best
    ],
    emptyDispatchUs: 20,
    threads,
  };
}

Deno.test("step floor: unit costs take the best block and spread one thread's costs over the cores", () => {
  const one = unitCosts(costs(1), 2);
  assert.equal(one.parallel, 2);
  assert.ok(Math.abs(one.nsPerMac - 0.05) < 1e-12);
  assert.ok(Math.abs(one.nsPerLoad - 0.3) < 1e-12);
  assert.ok(Math.abs(one.nsPerStore - 0.35) < 1e-12);
  assert.equal(one.dispatchUs, 20);
  // Measured with as many threads as cores or more: already the whole adapter's rate.
  assert.equal(unitCosts(costs(4), 2).parallel, 1);
  assert.ok(Math.abs(unitCosts(costs(4), 2).nsPerMac - 0.1) < 1e-12);
  // Unknown threads (an older file): one thread's.
  assert.equal(unitCosts(costs(), 2).parallel, 2);
  const noStore = { ...costs(1), rows: costs(1).rows.filter((r) => !r.name.includes("store")) };
  assert.throws(() => unitCosts(noStore, 2), /storage store vec4/);
});

Deno.test("step floor: a piece of work costs its MACs or its accesses, whichever is larger", () => {
  const u = { nsPerMac: 0.1, nsPerLoad: 1, nsPerStore: 2, dispatchUs: 0, parallel: 1 };
  const w = (macs: number, loads: number, stores: number): FloorWork => ({
    family: "conv",
    name: "w",
    macs,
    loads,
    stores,
    bytes: 4 * (loads + stores),
  });
  assert.equal(workFloorMs(w(1e7, 1e5, 1e5), u), 1); // MACs: 1e6 ns
  assert.equal(workFloorMs(w(1e5, 1e6, 1e6), u), 3); // accesses: 3e6 ns
});

Deno.test("step floor: the step's work follows the network's convs, batch norms and weights", () => {
  const spec = mobileNetV2For28(0.5);
  const batch = 64;
  const work = stepWork(spec, batch);
  const shapes = networkConvShapes(spec, batch);
  const count = countNetwork(spec);
  const macs = (family: string) =>
    work.filter((w) => w.family === family).reduce((a, w) => a + w.macs, 0);
  const dense = shapes.filter((s) => s.kind === "conv");
  const stem = shapes[0];
  const perImage = (s: typeof stem) =>
    s.cin * s.cout * s.k * s.k * outputShape(s)[2] * outputShape(s)[3];
  const stemMacs = batch * perImage(stem);
  const linearMacs = batch * spec.classes * spec.head.featureMix!.cout;
  // Forward, input and weight gradients of every dense conv and the classifier; no stem dx.
  assert.equal(
    macs("conv"),
    3 * batch * dense.reduce((a, s) => a + perImage(s), 0) - stemMacs + 3 * linearMacs,
  );
  // Network MAdds = dense convs + depthwise + classifier, per image.
  assert.equal(macs("conv") + stemMacs + macs("depthwise"), 3 * batch * count.total.madds);
  const bn = work.filter((w) => w.family === "batch norm");
  assert.equal(bn.length, shapes.length);
  // The expand and depthwise layers' normalise runs inside the next conv's loads: 5 loads,
  // 1 store an element; the others 6 and 2.
  const fusedLayer = (l: string) => l.endsWith("expand 1x1") || l.includes("depthwise");
  assert.equal(normaliseFusedLabels(spec).size, shapes.filter((s) => fusedLayer(s.label)).length);
  const size = (s: typeof stem) => outputShape(s).reduce((a, b) => a * b, 1);
  shapes.forEach((s, i) => {
    const fusedBn = fusedLayer(s.label);
    assert.equal(bn[i].loads, (fusedBn ? 5 : 6) * size(s), s.label);
    assert.equal(bn[i].stores, (fusedBn ? 1 : 2) * size(s), s.label);
    assert.equal(bn[i].bytes, 4 * 3 * size(s), "its largest pass: x and dy read, dx written");
  });
  const stemForward = work.find((w) => w.name === "stem forward")!;
  const stemWeights = stem.cout * stem.cin * stem.k * stem.k;
  assert.equal(
    stemForward.bytes,
    4 * (batch * stem.cin * stem.h * stem.w + size(stem) + stemWeights),
  );
  const unfused = stepWork(spec, batch, false).filter((w) => w.family === "batch norm");
  const fusedElements = shapes.filter((s) => fusedLayer(s.label)).reduce((a, s) => a + size(s), 0);
  const stores = (ws: FloorWork[]) => ws.reduce((a, w) => a + w.stores, 0);
  assert.ok(fusedElements > 0);
  assert.equal(stores(unfused) - stores(bn), fusedElements);
  const sgd = work.find((w) => w.family === "optimizer")!;
  assert.equal(sgd.loads, 3 * count.total.params);
});

Deno.test("step floor: profiled kernels fall into the floor's families", () => {
  assert.equal(kernelFloorFamily("conv2d_strip"), "conv");
  assert.equal(kernelFloorFamily("conv2d_dw_gemm"), "conv");
  assert.equal(kernelFloorFamily("gemm"), "conv");
  assert.equal(kernelFloorFamily("dwconv_forward"), "depthwise");
  assert.equal(kernelFloorFamily("bn_stats"), "batch norm");
  assert.equal(kernelFloorFamily("bn_stats_partials"), "batch norm"); // statistics from conv partials
  assert.equal(kernelFloorFamily("sgd"), "optimizer");
  assert.equal(kernelFloorFamily("avgpool"), "other");
});

Deno.test("step floor: the comparison sums minima and floors by family and judges the total", () => {
  const u = { nsPerMac: 1, nsPerLoad: 1, nsPerStore: 1, dispatchUs: 1000, parallel: 1 };
  const work: FloorWork[] = [
    { family: "conv", name: "a", macs: 4e6, loads: 0, stores: 0, bytes: 0 }, // 4 ms
    { family: "batch norm", name: "b", macs: 0, loads: 1e6, stores: 1e6, bytes: 8e6 }, // 2 ms
  ];
  const op = (kernel: string, dispatches: number, ms: number): OpShare => ({
    kernel,
    op: kernel,
    dispatches,
    ms,
    share: 0,
  });
  const ops = [op("conv2d_strip", 2, 7), op("conv2d_pack", 1, 1), op("bn_stats", 1, 3.6)];
  const f = compareWithFloor(work, u, ops, "test");
  assert.deepEqual(f.rows.map((r) => r.family), [...FLOOR_FAMILIES]);
  const conv = f.rows[0];
  assert.equal(conv.dispatches, 3);
  assert.equal(conv.floorMs, 4 + 3); // work + 3 dispatches of 1 ms
  assert.equal(conv.measuredMs, 8);
  const bn = f.rows.find((r) => r.family === "batch norm")!;
  assert.equal(bn.floorMs, 3);
  assert.ok(Math.abs(bn.ratio - 1.2) < 1e-12);
  assert.equal(f.total.floorMs, 10);
  assert.ok(Math.abs(f.total.measuredMs - 11.6) < 1e-12);
  assert.ok(f.withinBar);
  const slow = compareWithFloor(work, u, [...ops, op("add", 1, 3)], "test");
  assert.equal(slow.total.floorMs, 11); // the add's dispatch
  assert.ok(!slow.withinBar);
  assert.match(floorText(f), /within 1\.3×/);
  assert.match(floorText(slow), /above 1\.3×/);
  assert.match(floorText(f), /batch norm/);
  const timed = withStep(f, 15, 12);
  assert.equal(timed.step!.minimaMs, f.total.measuredMs);
  assert.ok(Math.abs(timed.step!.gapMedianMs - 3.4) < 1e-12);
  assert.ok(Math.abs(timed.step!.gapMinMs - 0.4) < 1e-12);
  assert.equal(timed.step!.ratioMedian, 1.5);
  assert.match(floorText(timed), /gap to the summed minima 3\.40 ms median, 0\.400 best/);
  assert.doesNotMatch(floorText(timed), /queue\.submit/);
  const split = withStep(f, 15, 12, { recordMs: 2, submitMs: 12.5, waitMs: 0.5 });
  assert.deepEqual(split.step!.parts, { recordMs: 2, submitMs: 12.5, waitMs: 0.5 });
  assert.match(
    floorText(split),
    /2\.00 ms recording dispatches \(JavaScript\), 12\.5 ms inside queue\.submit/,
  );
  const own = withStep(f, 15, 12, undefined, [14, 13, 12.6]);
  assert.equal(own.step!.profiledMedianMs, 13);
  assert.match(floorText(own), /2\.00 ms of the median step lies between or around/);
  assert.match(floorText(own), /1\.40 ms is dispatches slower than their best/);
  assert.doesNotMatch(floorText(own), /floor by size/, "in-cache costs only: no second floor");

  // With costs by size, the 8 MB batch norm pass streams at the 8 MiB level's 2 ns.
  const levels = [
    { bytes: 2 ** 16, nsPerLoad: 1, nsPerStore: 1 },
    { bytes: 2 ** 23, nsPerLoad: 2, nsPerStore: 2 },
    { bytes: 2 ** 26, nsPerLoad: 8, nsPerStore: 8 },
  ];
  const bySize = compareWithFloor(work, { ...u, levels }, ops, "test");
  assert.equal(bySize.total.floorMs, 10, "the in-cache floor is unchanged");
  const bnBySize = bySize.rows.find((r) => r.family === "batch norm")!;
  assert.equal(bnBySize.sizedFloorMs, 4 + 1); // 2e6 accesses at 2 ns + its dispatch
  assert.ok(Math.abs(bnBySize.sizedRatio! - 3.6 / 5) < 1e-12);
  assert.equal(bySize.rows[0].sizedFloorMs, 7, "MAC-bound work keeps its floor");
  assert.equal(bySize.total.sizedFloorMs, 12);
  const timedBySize = withStep(bySize, 15, 12);
  assert.equal(timedBySize.step!.ratioMedianSized, 15 / 12);
  assert.match(floorText(timedBySize), /floor by size ms/);
  assert.match(floorText(timedBySize), /8 MiB: 2\.00 ns a loaded/);
  assert.match(floorText(timedBySize), /1\.25× the floor by size/);
});

Deno.test("step floor: a pass's data picks the access cost measured nearest its size", () => {
  const levels = [64 * 2 ** 10, 8 * 2 ** 20, 64 * 2 ** 20].map((bytes, i) => ({
    bytes,
    nsPerLoad: i,
    nsPerStore: i,
  }));
  const at = (bytes: number) => accessLevel(levels, bytes).nsPerLoad;
  assert.deepEqual([0, 2 ** 10, 600 * 2 ** 10, 800 * 2 ** 10].map(at), [0, 0, 0, 1]);
  assert.deepEqual([20 * 2 ** 20, 24 * 2 ** 20, 2 ** 31].map(at), [1, 2, 2]);
  // The streaming rows become levels after the in-cache one; without them, none.
  const streamed = costs(1);
  streamed.rows.push(
    { name: "storage load vec4, 8 MiB", nsPerIteration: 8.1, nsAboveLoop: 8 },
    { name: "storage store vec4, 8 MiB", nsPerIteration: 12.1, nsAboveLoop: 12 },
  );
  assert.deepEqual(unitCosts(streamed, 2).levels, [
    { bytes: 2 ** 16, nsPerLoad: 0.3, nsPerStore: 0.35 },
    { bytes: 2 ** 23, nsPerLoad: 1, nsPerStore: 1.5 },
  ]);
  assert.equal(unitCosts(costs(1), 2).levels, undefined);
});
