import assert from "node:assert/strict";
import {
  builtinBackbone,
  builtinNetwork,
  cellId,
  countNetwork,
  decodeMotifGraph,
  distinctLayerShapes,
  encodeMotifGraph,
  exportNetConfig,
  exportSuperNetConfig,
  formatCell,
  importNetConfig,
  importSuperNetConfig,
  log10SpaceSize,
  networkToJson,
  parseCompactCell,
  parseNetworkSpec,
  pythonListString,
  REFERENCE_CELL,
  spaceFromSuperNetConfig,
  SpecError,
} from "../src/space/mod.ts";
import { releasedSpaceEntries } from "../src/space/released.ts";

/**
 * The released AutoSpace files, ../shared/reference/autospace beside the repository,
 * where a checkout has them; the tests run on the built-ins (src/space/released.ts)
 * everywhere, and check them byte for byte against the files where present.
 */
function referenceDir(): string | null {
  for (const candidate of ["../../shared/reference/autospace/", "../shared/reference/autospace/"]) {
    const url = new URL(candidate, import.meta.url);
    try {
      Deno.statSync(url);
      return url.pathname;
    } catch {
      // try the next place
    }
  }
  return null;
}

const REF = referenceDir();
const readRef = (name: string): unknown => JSON.parse(Deno.readTextFileSync(`${REF}${name}`));

Deno.test("autospace-340m (net_340M.config): 336.3M MAdds at 224, within 2% of the released 340M", () => {
  const spec = builtinNetwork("autospace-340m")!;
  if (REF !== null) {
    assert.deepEqual(spec, importNetConfig(readRef("net_340M.config"), { name: spec.name }));
  }
  const count = countNetwork(spec);
  assert.equal(spec.blocks.length, 22);
  assert.equal(spec.blocks.filter((b) => b.type === "cell").length, 13);
  assert.equal(spec.blocks.filter((b) => b.type === "zero").length, 6);
  assert.ok(Math.abs(count.total.madds / 340e6 - 1) < 0.02, `${count.total.madds}`);
  assert.equal(count.total.madds, 336_336_512);
  assert.equal(count.total.weights, 4_462_280);
  // The first Motif is the reference DAG (an IRB k3 e6).
  const first = spec.blocks[1];
  assert.equal(first.type, "cell");
  if (first.type === "cell") assert.equal(cellId(first.cell), cellId(REFERENCE_CELL));
});

Deno.test("net.config round trip: import then export gives the released network back", () => {
  const spec = builtinNetwork("autospace-340m")!;
  const exported = exportNetConfig(spec);
  // Byte for byte against the released file, where a checkout has it.
  if (REF !== null) {
    const original = readRef("net_340M.config");
    assert.deepEqual(exported, original);
    assert.deepEqual(exportNetConfig(importNetConfig(original)), original);
  }
  const back = importNetConfig(JSON.parse(JSON.stringify(exported)), { name: spec.name });
  assert.deepEqual(back, spec);
  assert.deepEqual(exportNetConfig(back), exported);
  // And through our own spec JSON.
  const again = parseNetworkSpec(JSON.parse(JSON.stringify(networkToJson(spec))));
  assert.deepEqual(exportNetConfig(again), exported);
});

Deno.test("MobileNetV2 exports to net.config and back unchanged", () => {
  const spec = builtinNetwork("mobilenetv2")!;
  const back = importNetConfig(JSON.parse(JSON.stringify(exportNetConfig(spec))), {
    name: "mobilenetv2",
  });
  assert.deepEqual(back, spec);
});

Deno.test("Motif graphs: decoding of the hypothesis, encoding inverts it", () => {
  const decoded = decodeMotifGraph(
    [[0, 0, 0, 1], [7, 0, 0, [1, 0]], [5, 2, 0, 0], [1, 5, 5, 0]],
    "g",
  );
  assert.deepEqual(decoded.edges, [
    "dwconv5x5",
    "dwconv3x3",
    "identity",
    "zero",
    "dwconv3x3",
    "dwconv3x3",
  ]);
  assert.equal(decoded.ratioIndex, 1);
  assert.deepEqual(decoded.aggregation, ["product", "add"]);
  const c = parseCompactCell("r6:c1,c3,dw7,id,-,dw5:*+:se");
  const round = decodeMotifGraph(encodeMotifGraph(c), "g");
  assert.equal(
    formatCell({ ratio: 6, edges: round.edges, aggregation: round.aggregation, se: true }),
    formatCell(c),
  );
  assert.equal(
    pythonListString(encodeMotifGraph(REFERENCE_CELL)),
    "[[0, 0, 0, 2], [5, 0, 0, [0, 0]], [1, 2, 0, 0], [1, 1, 2, 0]]",
  );
});

Deno.test("malformed net.config: one error naming the path and the problem", () => {
  const spec = exportNetConfig(builtinNetwork("mobilenetv2")!) as Record<string, unknown>;
  const motif = JSON.parse(JSON.stringify(spec));
  motif.blocks[1].mobile_inverted_conv = {
    name: "Motif",
    in_channels: 16,
    out_channels: 24,
    kernel_size: 3,
    stride: 2,
    expand_ratio: 6,
    num_nodes: 4,
    build_graph: "[[0, 0, 0, 2], [5, 0, 0, [0, 0]], [6, 2, 0, 0], [1, 1, 2, 0]]",
    dim_conv_idx: 2,
    atten_mode: "channel",
    feature_mix_mode_idx: [0, 0],
  };
  assert.throws(() => importNetConfig(motif), (err) => {
    assert.ok(err instanceof SpecError);
    assert.equal(err.path, "blocks[1].mobile_inverted_conv.build_graph[2][0]");
    assert.match(err.message, /unknown Motif op code 6/);
    assert.ok(!err.message.includes("\n"));
    return true;
  });
  motif.blocks[1].mobile_inverted_conv.build_graph =
    "[[0, 0, 0, 1], [5, 0, 0, [0, 0]], [1, 2, 0, 0], [1, 1, 2, 0]]";
  assert.throws(
    () => importNetConfig(motif),
    /dim_conv_idx: 2 disagrees with build_graph\[0\]\[3\] = 1/,
  );
  const badOp = JSON.parse(JSON.stringify(spec));
  badOp.blocks[3].mobile_inverted_conv.name = "SepConv";
  assert.throws(
    () => importNetConfig(badOp),
    /blocks\[3\]\.mobile_inverted_conv\.name: unknown layer "SepConv"/,
  );
  const badShortcut = JSON.parse(JSON.stringify(spec));
  badShortcut.blocks[2].shortcut = null;
  assert.throws(
    () => importNetConfig(badShortcut),
    /blocks\[2\]\.shortcut: missing the identity shortcut/,
  );
  const badChannels = JSON.parse(JSON.stringify(spec));
  badChannels.blocks[4].mobile_inverted_conv.in_channels = 33;
  assert.throws(
    () => importNetConfig(badChannels),
    /blocks\[4\]\.mobile_inverted_conv\.in_channels: expected 32/,
  );
});

Deno.test("search_space.config: 11 entries x 9 cells, mapped onto the 11 layer shapes", () => {
  const entries = releasedSpaceEntries();
  assert.equal(entries.length, 11);
  assert.ok(entries.every((cells) => cells.length === 9));
  // Every entry ends with the chains dw-dw-dw, dw-dw-id, dw-id-id (the reference DAG).
  for (const cells of entries) {
    assert.equal(formatCell(cells[8]), formatCell(REFERENCE_CELL));
    assert.equal(formatCell(cells[7]), "r6:dw3,-,dw3,-,-,id:++");
    assert.equal(formatCell(cells[6]), "r6:dw3,-,dw3,-,-,dw3:++");
  }
  const exported = exportSuperNetConfig(entries);
  // Byte for byte against the released file, where a checkout has it.
  if (REF !== null) {
    const raw = readRef("search_space.config");
    assert.deepEqual(importSuperNetConfig(raw), entries);
    assert.deepEqual(exported, raw);
  }
  assert.deepEqual(importSuperNetConfig(JSON.parse(JSON.stringify(exported))), entries);
  const backbone = builtinBackbone("proxyless-224")!;
  assert.equal(distinctLayerShapes(backbone).length, 11);
  const space = spaceFromSuperNetConfig(entries, backbone);
  assert.equal(space.layers.length, 22);
  assert.equal(space.layers[2].candidates.length, 10); // 9 cells + zero
  assert.equal(space.layers[1].candidates.length, 9); // stride 2: no zero
  assert.ok(log10SpaceSize(space) > 20);
  assert.throws(() => spaceFromSuperNetConfig(entries.slice(0, 10), backbone), /10 entries/);
});
