/** Pure checks of the benchmark's shape lists and FLOP/byte arithmetic (no GPU, no timing). */
import assert from "node:assert/strict";
import {
  convMacs,
  convShape,
  dedupeShapes,
  describeShape,
  directionBytes,
  directionFlops,
  fittingBatch,
  largestBindingBytes,
  networkConvShapes,
  outputShape,
  supernetConvShapes,
  targetKernels,
  targetVerdict,
  totalMacs,
} from "../src/bench/shapes.ts";
import { builtinBackbone } from "../src/space/backbone.ts";
import { mobileNetV2For28, mobileNetV2Spec } from "../src/space/builtins.ts";
import { countNetwork } from "../src/space/counting.ts";

Deno.test("bench shapes: MACs of a dense, a strided and a depthwise conv", () => {
  const dense = convShape({
    label: "a",
    kind: "conv",
    n: 2,
    cin: 3,
    cout: 5,
    h: 7,
    w: 7,
    k: 3,
    stride: 1,
  });
  assert.equal(convMacs(dense), 2 * 5 * 7 * 7 * 9 * 3);
  const strided = convShape({
    label: "b",
    kind: "conv",
    n: 1,
    cin: 4,
    cout: 8,
    h: 7,
    w: 7,
    k: 3,
    stride: 2,
  });
  assert.deepEqual(outputShape(strided), [1, 8, 4, 4]); // ⌊(7 − 1)/2⌋ + 1
  assert.equal(convMacs(strided), 8 * 16 * 9 * 4);
  const dw = convShape({
    label: "c",
    kind: "depthwise",
    n: 32,
    cin: 192,
    cout: 192,
    h: 32,
    w: 32,
    k: 3,
    stride: 1,
  });
  assert.equal(convMacs(dw), 32 * 192 * 1024 * 9);
  assert.equal(describeShape(dw), "dw3x3 ×192 s1 @32×32");
  assert.equal(describeShape(strided), "conv3x3 4→8 s2 @7×7");
});

Deno.test("bench shapes: flops and bytes per direction", () => {
  const s = convShape({
    label: "t",
    kind: "conv",
    n: 32,
    cin: 32,
    cout: 32,
    h: 32,
    w: 32,
    k: 3,
    stride: 1,
  });
  const macs = 32 * 32 * 1024 * 9 * 32;
  assert.equal(directionFlops(s, "forward"), 2 * macs);
  assert.equal(directionFlops(s, "backward-input"), 2 * macs);
  assert.equal(directionFlops(s, "backward"), 4 * macs);
  const x = 32 * 32 * 1024;
  const w = 32 * 32 * 9;
  assert.equal(directionBytes(s, "forward"), 4 * (x + w + x));
  assert.equal(directionBytes(s, "backward"), 8 * (x + w + x));
  assert.equal(largestBindingBytes(s), 4 * x);
});

Deno.test("bench shapes: invalid shapes are rejected with the field named", () => {
  assert.throws(
    () =>
      convShape({ label: "bad", kind: "conv", n: 0, cin: 1, cout: 1, h: 1, w: 1, k: 1, stride: 1 }),
    /"bad": n must be a positive integer/,
  );
  assert.throws(
    () =>
      convShape({
        label: "dw",
        kind: "depthwise",
        n: 1,
        cin: 4,
        cout: 8,
        h: 4,
        w: 4,
        k: 3,
        stride: 1,
      }),
    /depthwise needs cin = cout/,
  );
  assert.throws(
    () =>
      convShape({
        label: "even",
        kind: "conv",
        n: 1,
        cin: 1,
        cout: 1,
        h: 4,
        w: 4,
        k: 2,
        stride: 1,
      }),
    /kernel 2 must be odd/,
  );
});

Deno.test("bench shapes: the four target kernels and their verdicts", () => {
  const t = targetKernels();
  assert.equal(t.length, 4);
  assert.deepEqual(
    t.map((x) => [x.shape.kind, x.shape.cin, x.shape.cout, x.shape.k, x.direction]),
    [
      ["conv", 32, 32, 3, "forward"],
      ["conv", 32, 192, 1, "forward"],
      ["depthwise", 192, 192, 3, "forward"],
      ["conv", 32, 32, 3, "backward"],
    ],
  );
  for (const x of t) assert.deepEqual([x.shape.n, x.shape.h, x.shape.w], [32, 32, 32]);
  assert.deepEqual(t.map((x) => [x.floor, x.stretch]), [[12, 25], [12, 25], [3, 5], [8, 15]]);
  assert.equal(targetVerdict(25, t[0]), "PASS");
  assert.equal(targetVerdict(12, t[0]), "floor");
  assert.equal(targetVerdict(11.9, t[0]), "below");
});

Deno.test("bench shapes: MobileNetV2-1.0 has 52 convs with its MAdds less the classifier", () => {
  const spec = mobileNetV2Spec();
  const shapes = networkConvShapes(spec, 1);
  assert.equal(shapes.length, 52);
  const count = countNetwork(spec);
  const classifier = count.layers[count.layers.length - 1].madds;
  assert.equal(totalMacs(shapes), count.total.madds - classifier);
  assert.equal(shapes.filter((s) => s.kind === "depthwise").length, 17);
  assert.equal(shapes[0].label, "stem");
  assert.deepEqual([shapes[0].h, shapes[0].stride, shapes[0].cin], [224, 2, 3]);
  // Batch scales every shape; dedupe keeps the MAdds through `uses`.
  const at8 = networkConvShapes(spec, 8);
  const deduped = dedupeShapes(at8);
  assert.ok(deduped.length < 52);
  assert.equal(totalMacs(deduped), 8 * totalMacs(shapes));
});

Deno.test("bench shapes: the 28×28 MobileNetV2 convs match the counter", () => {
  const spec = mobileNetV2For28();
  const shapes = networkConvShapes(spec, 1);
  const count = countNetwork(spec);
  assert.equal(totalMacs(shapes), count.total.madds - count.layers[count.layers.length - 1].madds);
});

Deno.test("bench shapes: MobileNetV2-224 batch is halved to fit a 128 MiB binding", () => {
  const spec = mobileNetV2Spec();
  const make = (b: number) => networkConvShapes(spec, b);
  assert.equal(fittingBatch(make, 32, 128 * 2 ** 20), 16);
  assert.equal(fittingBatch(make, 32, 2 ** 30), 32);
  assert.equal(fittingBatch(make, 5, 128 * 2 ** 20), 5);
  assert.equal(fittingBatch(make, 32, 1), 1);
});

Deno.test("bench shapes: supernet convs cover every ratio and edge op once", () => {
  const backbone = builtinBackbone("proxyless-28")!;
  const shapes = supernetConvShapes(backbone, 32);
  const keys = shapes.map((s) => `${s.kind}:${s.cin},${s.cout},${s.h},${s.k},${s.stride}`);
  assert.equal(new Set(keys).size, keys.length, "deduplicated");
  assert.equal(shapes[0].label, "stem");
  assert.deepEqual([shapes[0].cin, shapes[0].cout, shapes[0].h, shapes[0].stride], [1, 32, 28, 1]);
  assert.equal(shapes[shapes.length - 1].label, "feature_mix");
  // Layer 1 (16 → 24, stride 2, 28×28 in): at ratio 6 the strided 3×3 edge runs on 96 channels.
  const edge = shapes.find((s) => s.kind === "conv" && s.cin === 96 && s.k === 3 && s.stride === 2);
  assert.ok(edge, "strided conv3x3 on 96 channels");
  assert.equal(edge!.h, 28);
  // and the inner edges at the output size 14.
  assert.ok(
    shapes.some((s) => s.kind === "depthwise" && s.cin === 96 && s.h === 14 && s.stride === 1),
  );
  // Ratio 1 has no expansion; ratios 3 and 6 do (layer 1: 16 → 48 and 16 → 96).
  assert.ok(!shapes.some((s) => / r1 expand/.test(s.label)));
  assert.ok(shapes.some((s) => s.k === 1 && s.cin === 16 && s.cout === 48 && s.h === 28));
  assert.ok(shapes.some((s) => s.k === 1 && s.cin === 16 && s.cout === 96 && s.h === 28));
  // Repeated layers are merged: uses sum to more than the distinct count.
  assert.ok(shapes.reduce((n, s) => n + s.uses, 0) > shapes.length);
  // Batch scales MAdds linearly.
  assert.equal(
    totalMacs(supernetConvShapes(backbone, 2)),
    2 * totalMacs(supernetConvShapes(backbone, 1)),
  );
});
