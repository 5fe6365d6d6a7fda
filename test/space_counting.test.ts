import assert from "node:assert/strict";
import {
  baselineCandidates,
  baselineSpace,
  blockCost,
  builtinBackbone,
  builtinNetwork,
  type Cell,
  cellCost,
  cellMAdds,
  cellParams,
  convCost,
  countNetwork,
  countSearchSpace,
  formatMAdds,
  formatParams,
  layerInputSizes,
  log10OpenSpace,
  log10SpaceSize,
  log10UniformSpace,
  mobileNetV2Spec,
  networkFromChoices,
  type NetworkSpec,
  PAPER_RAW_CELLS,
  parseCompactCell,
  REFERENCE_CELL,
  seCost,
} from "../src/space/mod.ts";

Deno.test("MobileNetV2-1.0 at 224: 300.8M MAdds, 3.47M weights, 3,504,872 params", () => {
  const count = countNetwork(builtinNetwork("mobilenetv2")!);
  assert.equal(count.total.madds, 300_774_272);
  assert.equal(formatMAdds(count.total.madds), "300.8M");
  assert.equal(count.total.weights, 3_469_760);
  assert.equal(formatParams(count.total.weights), "3.47M");
  // torchvision's mobilenet_v2 has 3,504,872 parameters (weights + BN scale/shift + bias).
  assert.equal(count.total.params, 3_504_872);
  assert.equal(count.layers.length, 1 + 17 + 2);
  assert.deepEqual(count.layers.at(-2)!.input, [320, 7, 7]);
});

Deno.test("counters follow the input size", () => {
  const spec = builtinNetwork("mobilenetv2")!;
  const at112 = countNetwork(spec, { inputSize: 112 });
  assert.equal(at112.inputSize, 112);
  assert.deepEqual(at112.layers.at(-1)!.input, [1280, 4, 4]);
  // Weights do not depend on the resolution; MAdds of convs scale with H·W.
  assert.equal(at112.total.weights, 3_469_760);
  assert.ok(at112.total.madds < 0.3 * 300_774_272);
  const small = countNetwork(builtinNetwork("mobilenetv2-28")!);
  assert.deepEqual(small.layers[0].input, [1, 28, 28]);
  assert.deepEqual(small.layers.at(-1)!.output, [10, 1, 1]);
  assert.deepEqual(small.layers.at(-2)!.output, [1280, 4, 4]);
});

Deno.test("conv, depthwise, linear and SE costs", () => {
  assert.deepEqual(convCost(16, 32, 3, 10, 10), {
    madds: 16 * 32 * 9 * 100,
    weights: 4608,
    params: 4608 + 64,
  });
  const dw = convCost(96, 96, 5, 7, 7, { groups: 96 });
  assert.equal(dw.madds, 96 * 25 * 49);
  assert.equal(dw.weights, 96 * 25);
  const se = seCost(96); // hidden 24
  assert.equal(se.madds, 2 * 96 * 24);
  assert.equal(se.params, 2 * 96 * 24 + 24 + 96);
});

Deno.test("the reference cell costs exactly an inverted residual block k3 e6", () => {
  for (const [cin, cout, stride, size] of [[16, 24, 2, 112], [40, 40, 1, 28], [96, 192, 2, 14]]) {
    const irb = blockCost(
      { type: "inverted_residual", cin, cout, stride, kernel: 3, expansion: 6, se: false },
      size,
      size,
    );
    assert.deepEqual(cellCost(REFERENCE_CELL, cin, cout, stride, size, size), irb);
  }
  // Expansion 1: no expansion conv in either.
  const r1: Cell = { ...REFERENCE_CELL, ratio: 1 };
  const irb1 = blockCost(
    { type: "inverted_residual", cin: 32, cout: 16, stride: 1, kernel: 3, expansion: 1, se: false },
    112,
    112,
  );
  assert.deepEqual(cellCost(r1, 32, 16, 1, 112, 112), irb1);
  // So MobileNetV2 rewritten with reference cells counts the same.
  const spec = builtinNetwork("mobilenetv2")!;
  const asCells: NetworkSpec = {
    ...spec,
    blocks: spec.blocks.map((b) =>
      b.type === "inverted_residual"
        ? {
          type: "cell",
          cin: b.cin,
          cout: b.cout,
          stride: b.stride,
          cell: { ...REFERENCE_CELL, ratio: b.expansion as 1 | 6 },
        }
        : b
    ),
  };
  assert.deepEqual(countNetwork(asCells).total, countNetwork(spec).total);
});

Deno.test("cell MAdds: stride on node 0's edges, dead edges free, SE on node 3", () => {
  // r3, 0 -c3-> 3 and a dead 0 -c1-> 1: expand at input size, c3 at output size, project.
  const c = parseCompactCell("r3:c1,-,-,c3,-,-:++");
  const mid = 8 * 3;
  const expected = 8 * mid * 32 * 32 + mid * mid * 9 * 16 * 16 + mid * 16 * 16 * 16;
  assert.equal(cellMAdds(c, 8, 16, 2, 32, 32), expected);
  assert.equal(cellParams(c, 8, 16), 8 * mid + mid * mid * 9 + mid * 16);
  assert.equal(cellMAdds(parseCompactCell("r6:-,-,-,-,-,-:++"), 8, 8, 1, 32, 32), 0);
  const withSe = cellCost({ ...c, se: true }, 8, 16, 2, 32, 32);
  assert.equal(withSe.madds - expected, seCost(mid).madds);
  // Identity out of node 0 subsamples for free.
  const skip = parseCompactCell("r1:-,-,-,id,-,-:++");
  assert.equal(cellMAdds(skip, 8, 16, 2, 32, 32), 8 * 16 * 16 * 16);
});

Deno.test("baseline space: 6 IRBs everywhere, zero where a layer can be skipped", () => {
  assert.equal(baselineCandidates({ cin: 24, cout: 24, stride: 1 }).length, 7);
  assert.equal(baselineCandidates({ cin: 24, cout: 40, stride: 2 }).length, 6);
  assert.equal(baselineCandidates({ cin: 80, cout: 96, stride: 1 }).length, 6);
  const backbone = builtinBackbone("proxyless-224")!;
  const space = baselineSpace(backbone);
  assert.equal(space.layers.length, 22);
  assert.equal(space.layers.filter((l) => l.candidates.length > 1).length, 21);
  // 15 skippable layers, 6 that change shape: 15·log10(7) + 6·log10(6).
  assert.ok(Math.abs(log10SpaceSize(space) - (15 * Math.log10(7) + 6 * Math.log10(6))) < 1e-9);
  // ProxylessNAS with all 3x3 MBConv6 = MobileNetV2-like net through the 21 layers.
  const net = networkFromChoices(space, space.layers.map(() => 0));
  assert.equal(net.blocks.length, 22);
  const layers = countSearchSpace(space);
  assert.deepEqual(layers.map((l) => l.inputSize), layerInputSizes(backbone));
  assert.equal(layers[1].inputSize, 112);
  assert.equal(layers[21].inputSize, 7);
});

Deno.test("space sizes: 21 layers of 93,750 cells is 10^104.41 (paper prints 104.37)", () => {
  assert.equal(PAPER_RAW_CELLS, 93_750);
  const open = log10OpenSpace(builtinBackbone("proxyless-224")!);
  assert.ok(Math.abs(open - Math.log10(93_750) * 21) < 1e-9);
  assert.equal(open.toFixed(2), "104.41");
  // The paper's figure: log10(93,750) rounded to 4.97, times 21.
  assert.equal((Math.round(Math.log10(93_750) * 100) / 100 * 21).toFixed(2), "104.37");
  assert.equal(log10UniformSpace(21, 7).toFixed(2), "17.75");
});

Deno.test("mobileNetV2Spec options: width and strides", () => {
  const half = countNetwork(mobileNetV2Spec({ width: 0.5 }));
  assert.ok(half.total.madds < 0.4 * 300_774_272);
  assert.throws(() => mobileNetV2Spec({ stageStrides: [1, 2] }), /7 entries/);
});
