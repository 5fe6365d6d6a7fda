import assert from "node:assert/strict";
import { Rng } from "../src/util/rng.ts";
import {
  baselineSpace,
  builtinBackbone,
  builtinNetwork,
  cellId,
  loadJson,
  makeSearchSpaceFile,
  networkToJson,
  parseNetworkSpec,
  parseSearchSpaceSpec,
  randomCell,
  readSearchSpaceFile,
  REFERENCE_CELL,
  searchSpaceFromFile,
  searchSpaceSpecToJson,
  SpecError,
  writeSearchSpaceFile,
} from "../src/space/mod.ts";
import { runScript, type ScriptRun } from "./_helpers.ts";

const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x));

Deno.test("network spec JSON round-trips", () => {
  for (const name of ["mobilenetv2", "mobilenetv2-28"]) {
    const spec = builtinNetwork(name)!;
    assert.deepEqual(parseNetworkSpec(clone(networkToJson(spec))), spec);
  }
  const withCell = {
    ...networkToJson(builtinNetwork("mobilenetv2")!),
  } as Record<string, unknown> & { blocks: Record<string, unknown>[] };
  withCell.blocks[2] = {
    type: "cell",
    cin: 24,
    cout: 24,
    stride: 1,
    cell: "r3:dw3,-,id,-,c1,id:+*",
  };
  const parsed = parseNetworkSpec(clone(withCell));
  const block = parsed.blocks[2];
  assert.equal(block.type, "cell");
  if (block.type === "cell") assert.equal(block.cell.ratio, 3);
});

Deno.test("malformed network specs: one line naming the path", () => {
  const base = networkToJson(builtinNetwork("mobilenetv2")!) as {
    blocks: Record<string, unknown>[];
  };
  const cases: [(j: typeof base & Record<string, unknown>) => void, RegExp][] = [
    [
      (j) => (j.blocks[3].type = "sep_conv"),
      /^<input>: blocks\[3\]\.type: unknown block type "sep_conv"/,
    ],
    [(j) => (j.blocks[3].kernel = 4), /blocks\[3\]\.kernel: unknown kernel 4/],
    [
      (j) => (j.blocks[3].cin = 33),
      /blocks\[3\]\.cin: cin 33 does not match the previous layer's 24/,
    ],
    [
      (j) => (j.blocks[2] = { type: "zero", cin: 24, cout: 32, stride: 1 }),
      /blocks\[2\]: a zero block needs stride 1 and cin = cout/,
    ],
    [(j) => delete j.classes, /classes: missing field/],
    [
      (
        j,
      ) => (j.blocks[2] = {
        type: "cell",
        cin: 24,
        cout: 24,
        stride: 1,
        cell: {
          ratio: 6,
          edges: ["zero", "zero", "zero", "conv9x9", "zero", "zero"],
          aggregation: ["add", "add"],
        },
      }),
      /blocks\[2\]\.cell\.edges\[3\]: unknown op on edge 0 -> 3 "conv9x9"/,
    ],
    [
      (
        j,
      ) => (j.blocks[1] = {
        type: "cell",
        cin: 16,
        cout: 24,
        stride: 2,
        cell: "r6:-,-,-,-,-,-:++",
      }),
      /blocks\[1\]\.cell: the zero cell/,
    ],
  ];
  for (const [edit, pattern] of cases) {
    const json = clone(base) as typeof base & Record<string, unknown>;
    edit(json);
    assert.throws(() => parseNetworkSpec(json), (err) => {
      assert.ok(err instanceof SpecError, String(err));
      assert.match(err.message, pattern);
      assert.ok(!err.message.includes("\n"));
      return true;
    });
  }
});

Deno.test("search-space spec JSON round-trips and checks candidate shapes", () => {
  const space = baselineSpace(builtinBackbone("proxyless-28")!);
  const json = clone(searchSpaceSpecToJson(space));
  assert.deepEqual(parseSearchSpaceSpec(json), space);
  (json as { layers: { candidates: { cout: number }[] }[] }).layers[3].candidates[2].cout = 48;
  assert.throws(
    () => parseSearchSpaceSpec(json),
    /layers\[3\]\.candidates\[2\]: candidate is 24 -> 48/,
  );
});

Deno.test("learned search-space file: write, read, check ids and costs", () => {
  const backbone = builtinBackbone("proxyless-28")!;
  const rng = new Rng(3);
  const layers = backbone.layers.flatMap((layer, index) =>
    layer.fixed ? [] : [{
      layer: index,
      cells: [REFERENCE_CELL, randomCell(rng), randomCell(rng)].map((cell, k) => ({
        cell,
        fitness: k * 0.1 - 0.05,
      })),
    }]
  );
  const file = makeSearchSpaceFile(backbone, layers, { seed: 3 });
  assert.equal(file.layers.length, 21);
  assert.ok(file.layers.every((l) => l.cells[0].fitness >= l.cells[1].fitness), "best first");
  const text = writeSearchSpaceFile(file);
  const back = readSearchSpaceFile(text, "space.json");
  assert.deepEqual(back, file);
  const space = searchSpaceFromFile(back);
  assert.equal(space.layers.length, 22);
  assert.equal(space.layers[1].candidates.length, 3); // 16 -> 24 cannot be skipped
  assert.equal(space.layers[2].candidates.length, 4); // 24 -> 24 s1: + zero

  const json = JSON.parse(text);
  json.layers[0].cells[1].id = "r6:dw3,-,id,-,-,id:++-stale";
  assert.throws(() => readSearchSpaceFile(JSON.stringify(json), "space.json"), (err) => {
    assert.ok(err instanceof SpecError);
    assert.equal(err.file, "space.json");
    assert.equal(err.path, "layers[0].cells[1].id");
    return true;
  });
  json.layers[0].cells[1].id = cellId(back.layers[0].cells[1].cell);
  json.layers[0].cells[1].madds += 1;
  assert.throws(
    () => readSearchSpaceFile(JSON.stringify(json), "space.json"),
    /layers\[0\]\.cells\[1\]\.madds: .* differs from the counted/,
  );
  assert.throws(
    () => readSearchSpaceFile("{not json", "bad.json"),
    /bad\.json: \(root\): invalid JSON/,
  );
});

Deno.test("loadJson tells file kinds apart by content", () => {
  const net = loadJson(networkToJson(builtinNetwork("mobilenetv2")!), "a.json");
  assert.equal(net.kind, "network");
  const space = loadJson(
    searchSpaceSpecToJson(baselineSpace(builtinBackbone("proxyless-224")!)),
    "b.json",
  );
  assert.equal(space.kind, "space");
  assert.throws(
    () => loadJson({ format: "other/v9" }, "c.json"),
    /c\.json: format: unknown format "other\/v9"/,
  );
});

function inspect(...args: string[]): Promise<ScriptRun> {
  return runScript("inspect.ts", ...args);
}

Deno.test("inspect CLI: table, JSON, and one-line errors", async () => {
  const table = await inspect("mobilenetv2");
  assert.equal(table.code, 0);
  assert.match(table.stdout, /total: 300\.8M MAdds, 3\.47M conv\+linear weights/);
  const json = await inspect("mobilenetv2-28", "--json", "--input", "32");
  assert.equal(json.code, 0);
  const parsed = JSON.parse(json.stdout);
  assert.equal(parsed.inputSize, 32);
  assert.equal(parsed.layers[0].input[1], 32);

  const dir = await Deno.makeTempDir();
  try {
    const bad = `${dir}/bad.json`;
    const spec = networkToJson(builtinNetwork("mobilenetv2")!) as {
      blocks: Record<string, unknown>[];
    };
    spec.blocks[5].type = "shuffle";
    await Deno.writeTextFile(bad, JSON.stringify(spec));
    const result = await inspect(bad);
    assert.equal(result.code, 1);
    assert.equal(result.stdout, "");
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1);
    assert.match(
      lines[0],
      /^inspect: .*bad\.json: blocks\[5\]\.type: unknown block type "shuffle"/,
    );
    const missing = await inspect(`${dir}/nope.json`);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.json: not a built-in .*\(no such file\)/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
