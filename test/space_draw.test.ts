import assert from "node:assert/strict";
import {
  cellSvg,
  fileSafe,
  parseCompactCell,
  REFERENCE_CELL,
  svgToPng,
  writeCellDrawings,
  ZERO_CELL,
} from "../src/space/mod.ts";

Deno.test("cell SVG: live edges labelled by op, aggregations marked, dead edges left out", () => {
  const svg = cellSvg(parseCompactCell("r3:dw5,c1,id,c3,dw3,id:*+"), {
    title: "t <1>",
    subtitle: "s",
  });
  assert.match(svg, /^<svg /);
  assert.ok(svg.includes(">DConv k5<"));
  assert.ok(svg.includes(">Conv k1<"));
  assert.ok(svg.includes(">Conv k3<"));
  assert.ok(svg.includes(">DConv k3<"));
  assert.ok(svg.includes(">Identity<"));
  assert.ok(svg.includes(">⊙<"), "product at node 2");
  assert.ok(svg.includes(">⊕<"), "add at node 3");
  assert.ok(svg.includes("Conv k1, r=3"));
  assert.ok(svg.includes("t &lt;1&gt;"), "text is escaped");
  // The reference chain: one dw, two identities, no aggregation circle.
  const ref = cellSvg(REFERENCE_CELL);
  assert.equal(ref.match(/>Identity</g)?.length, 2);
  assert.ok(!ref.includes("⊕") && !ref.includes("⊙"));
  // Dead edge 0 -> 2 (node 2 reaches nothing) is not drawn.
  assert.ok(!cellSvg(parseCompactCell("r6:-,c3,-,dw3,-,-:++")).includes(">Conv k3<"));
  assert.ok(cellSvg(ZERO_CELL).includes("zero cell"));
  assert.equal(fileSafe("r6:dw3,-,id:+*"), "r6_dw3_z_id_ap");
});

Deno.test("cell drawings rasterise to PNG with sharp", async () => {
  const png = await svgToPng(cellSvg(REFERENCE_CELL));
  assert.deepEqual([...png.slice(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const view = new DataView(png.buffer, png.byteOffset);
  assert.equal(view.getUint32(16), 2020, "width at 2x");
  const dir = await Deno.makeTempDir();
  try {
    const written = await writeCellDrawings([{ name: "ref", cell: REFERENCE_CELL }], dir);
    assert.deepEqual(written, [`${dir}/ref.png`]);
    assert.ok((await Deno.stat(`${dir}/ref.svg`)).size > 1000);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
