import assert from "node:assert/strict";
import { Rng } from "../src/util/rng.ts";
import { centerCropPlan, randomResizedCropBox, toNormalizedChw } from "../src/data/transforms.ts";

Deno.test("randomResizedCropBox stays inside the image with scale and ratio in range", () => {
  const rng = new Rng(7);
  for (const [w, h] of [[500, 375], [64, 64], [33, 200]]) {
    let minArea = 1;
    let maxArea = 0;
    for (let i = 0; i < 500; i++) {
      const box = randomResizedCropBox(w, h, rng);
      assert.ok(box.left >= 0 && box.top >= 0 && box.width >= 1 && box.height >= 1);
      assert.ok(box.left + box.width <= w && box.top + box.height <= h, JSON.stringify(box));
      const area = (box.width * box.height) / (w * h);
      minArea = Math.min(minArea, area);
      maxArea = Math.max(maxArea, area);
      // Rounding to whole pixels can move the ratio a little past 3/4..4/3.
      const ratio = box.width / box.height;
      if (area < 0.99) assert.ok(ratio > 0.7 && ratio < 1.45, `ratio ${ratio} for ${w}×${h}`);
    }
    assert.ok(minArea < 0.2 && minArea >= 0.07, `smallest area fraction ${minArea}`);
    // A 33×200 strip fits at most 33×44 within the ratio range: 22% of its area.
    const largestPossible = w / h < 0.75 ? (w * Math.round(w / 0.75)) / (w * h) : 1;
    assert.ok(maxArea > 0.6 * largestPossible, `largest area fraction ${maxArea}`);
  }
});

Deno.test("randomResizedCropBox falls back to a centred box for extreme shapes", () => {
  const box = randomResizedCropBox(1000, 10, new Rng(1));
  assert.deepEqual(box, { left: 493, top: 0, width: 13, height: 10 });
  const tall = randomResizedCropBox(10, 1000, new Rng(1));
  assert.deepEqual(tall, { left: 0, top: 493, width: 10, height: 13 });
});

Deno.test("centerCropPlan resizes the shorter side to size/0.875 and centres", () => {
  assert.deepEqual(centerCropPlan(500, 375, 224), {
    resizeWidth: 341,
    resizeHeight: 256,
    box: { left: 58, top: 16, width: 224, height: 224 },
  });
  const tall = centerCropPlan(20, 40, 16);
  assert.equal(tall.resizeWidth, 18);
  assert.equal(tall.resizeHeight, 36);
  assert.deepEqual(tall.box, { left: 1, top: 10, width: 16, height: 16 });
});

Deno.test("toNormalizedChw: gray to 3 channels, alpha dropped, flip mirrors", () => {
  const mean = [0.5, 0.25, 0];
  const std = [0.5, 0.25, 1];
  const gray = { data: new Uint8Array([0, 255]), width: 2, height: 1, channels: 1 };
  const out = new Float32Array(6);
  toNormalizedChw(gray, out, mean, std, false);
  assert.deepEqual([...out], [-1, 1, -1, 3, 0, 1]);
  const rgba = {
    data: new Uint8Array([255, 0, 51, 7, 0, 255, 102, 9]),
    width: 2,
    height: 1,
    channels: 4,
  };
  toNormalizedChw(rgba, out, [0, 0, 0], [1, 1, 1], true);
  const expected = [0, 1, 1, 0, 0.4, 0.2].map(Math.fround);
  out.forEach((v, i) => assert.ok(Math.abs(v - expected[i]) < 1e-6, `${i}: ${v}`));
  const deep = { data: new Uint16Array([65535]), width: 1, height: 1, channels: 1 };
  toNormalizedChw(deep, out, [0, 0, 0], [1, 1, 1], false);
  assert.deepEqual([...out.slice(0, 3)], [1, 1, 1]);
});
