import assert from "node:assert/strict";
import { Rng } from "../src/util/rng.ts";
import {
  conv2d,
  conv2dBackward,
  conv2dOutputSize,
  gradientCheckError,
  type HostTensor,
  hostTensor,
  linear,
  maxRelError,
  randomHost,
} from "../src/reference/mod.ts";

const TOL = 1e-6;

interface ConvCase {
  n: number;
  c: number;
  h: number;
  w: number;
  co: number;
  k: number;
  stride: number;
  groups: number;
}

const CASES: ConvCase[] = [
  { n: 1, c: 3, h: 5, w: 5, co: 5, k: 1, stride: 1, groups: 1 },
  { n: 2, c: 3, h: 5, w: 4, co: 5, k: 1, stride: 2, groups: 1 },
  { n: 2, c: 3, h: 5, w: 4, co: 5, k: 3, stride: 2, groups: 1 },
  { n: 1, c: 2, h: 7, w: 6, co: 3, k: 5, stride: 1, groups: 1 },
  { n: 1, c: 2, h: 6, w: 7, co: 2, k: 7, stride: 2, groups: 1 },
  { n: 1, c: 1, h: 3, w: 3, co: 2, k: 7, stride: 1, groups: 1 }, // kernel wider than the image
  { n: 2, c: 5, h: 5, w: 5, co: 5, k: 3, stride: 1, groups: 5 }, // depthwise
  { n: 1, c: 6, h: 7, w: 7, co: 6, k: 5, stride: 2, groups: 6 }, // depthwise, stride 2
  { n: 1, c: 3, h: 6, w: 6, co: 3, k: 7, stride: 1, groups: 3 }, // depthwise 7×7
  { n: 2, c: 6, h: 4, w: 5, co: 4, k: 3, stride: 1, groups: 2 }, // grouped
];

Deno.test("conv2dOutputSize follows floor((H + 2pad − k)/stride) + 1", () => {
  assert.equal(conv2dOutputSize(5, 3, 1), 5);
  assert.equal(conv2dOutputSize(5, 3, 2), 3);
  assert.equal(conv2dOutputSize(4, 3, 2), 2);
  assert.equal(conv2dOutputSize(7, 7, 2), 4);
  assert.equal(conv2dOutputSize(1, 3, 2), 1);
  assert.equal(conv2dOutputSize(6, 1, 2), 3);
});

Deno.test("conv2d of ones with a 3×3 ones kernel counts the in-image neighbours", () => {
  const ones = hostTensor([1, 1, 3, 3]);
  ones.data.fill(1);
  const y = conv2d(ones, ones, { stride: 1, groups: 1 });
  assert.deepEqual(y.shape, [1, 1, 3, 3]);
  assert.deepEqual([...y.data], [4, 6, 4, 6, 9, 6, 4, 6, 4]);
  const x4 = hostTensor([1, 1, 4, 4]);
  x4.data.fill(1);
  const y2 = conv2d(x4, ones, { stride: 2, groups: 1 });
  assert.deepEqual(y2.shape, [1, 1, 2, 2]);
  assert.deepEqual([...y2.data], [4, 6, 6, 9]);
});

Deno.test("conv2d with a centred delta kernel is the identity", () => {
  const rng = new Rng(1);
  const x = randomHost([2, 3, 5, 4], rng);
  const w = hostTensor([3, 3, 5, 5]);
  for (let c = 0; c < 3; c++) w.data[((c * 3 + c) * 5 + 2) * 5 + 2] = 1;
  const y = conv2d(x, w, { stride: 1, groups: 1 });
  assert.deepEqual(y.shape, x.shape);
  assert.deepEqual([...y.data], [...x.data]);
});

Deno.test("a 1×1 conv equals a matmul over pixels", () => {
  const rng = new Rng(2);
  const [n, c, h, wd, co] = [2, 3, 3, 2, 5];
  const x = randomHost([n, c, h, wd], rng);
  const w = randomHost([co, c, 1, 1], rng);
  const y = conv2d(x, w, { stride: 1, groups: 1 });
  // Rows = pixels (n, h, w), columns = channels.
  const rows = hostTensor([n * h * wd, c]);
  for (let b = 0; b < n; b++) {
    for (let ch = 0; ch < c; ch++) {
      for (let p = 0; p < h * wd; p++) {
        rows.data[(b * h * wd + p) * c + ch] = x.data[(b * c + ch) * h * wd + p];
      }
    }
  }
  const z = linear(rows, { shape: [co, c], data: w.data });
  for (let b = 0; b < n; b++) {
    for (let o = 0; o < co; o++) {
      for (let p = 0; p < h * wd; p++) {
        const got = y.data[(b * co + o) * h * wd + p];
        const want = z.data[(b * h * wd + p) * co + o];
        assert.ok(Math.abs(got - want) < 1e-12, `pixel ${p} channel ${o}: ${got} vs ${want}`);
      }
    }
  }
});

/** Channels [from, to) of an NCHW tensor. */
function sliceChannels(x: HostTensor, from: number, to: number): HostTensor {
  const [n, c, h, w] = x.shape;
  const out = hostTensor([n, to - from, h, w]);
  for (let b = 0; b < n; b++) {
    for (let ch = from; ch < to; ch++) {
      for (let p = 0; p < h * w; p++) {
        out.data[(b * (to - from) + ch - from) * h * w + p] = x.data[(b * c + ch) * h * w + p];
      }
    }
  }
  return out;
}

Deno.test("grouped and depthwise conv equal independent convs on channel slices", () => {
  const rng = new Rng(3);
  for (const [c, co, groups] of [[6, 4, 2], [5, 5, 5], [4, 8, 4]]) {
    const x = randomHost([2, c, 5, 5], rng);
    const w = randomHost([co, c / groups, 3, 3], rng);
    const y = conv2d(x, w, { stride: 2, groups });
    const coG = co / groups;
    const cG = c / groups;
    for (let g = 0; g < groups; g++) {
      const xg = sliceChannels(x, g * cG, (g + 1) * cG);
      const wg = {
        shape: [coG, cG, 3, 3],
        data: w.data.slice(g * coG * cG * 9, (g + 1) * coG * cG * 9),
      };
      const yg = conv2d(xg, wg, { stride: 2, groups: 1 });
      const part = sliceChannels(y, g * coG, (g + 1) * coG);
      assert.ok(maxRelError(part.data, yg.data) < 1e-14, `groups=${groups}, group ${g}`);
    }
  }
});

Deno.test("conv2dBackward matches finite differences (kernels 1/3/5/7, stride 2, groups)", () => {
  const rng = new Rng(4);
  for (const cs of CASES) {
    const opts = { stride: cs.stride, groups: cs.groups };
    const x = randomHost([cs.n, cs.c, cs.h, cs.w], rng);
    const w = randomHost([cs.co, cs.c / cs.groups, cs.k, cs.k], rng);
    const y = conv2d(x, w, opts);
    const r = randomHost(y.shape, rng);
    const { dx, dw } = conv2dBackward(x, w, r, opts);
    const label = JSON.stringify(cs);
    const errX = gradientCheckError(() => conv2d(x, w, opts).data, x, r.data, dx.data);
    const errW = gradientCheckError(() => conv2d(x, w, opts).data, w, r.data, dw.data);
    assert.ok(errX < TOL, `dx error ${errX} for ${label}`);
    assert.ok(errW < TOL, `dw error ${errW} for ${label}`);
  }
});

Deno.test("conv2d rejects bad shapes with a clear message", () => {
  const x = hostTensor([1, 4, 3, 3]);
  assert.throws(() => conv2d(x, hostTensor([2, 4, 2, 2]), { stride: 1, groups: 1 }), /odd size/);
  assert.throws(() => conv2d(x, hostTensor([3, 2, 3, 3]), { stride: 1, groups: 2 }), /divide/);
  assert.throws(() => conv2d(x, hostTensor([2, 3, 3, 3]), { stride: 1, groups: 1 }), /per group/);
  assert.throws(() => conv2d(x, hostTensor([2, 4, 3, 3]), { stride: 0, groups: 1 }), /stride/);
  assert.throws(
    () =>
      conv2dBackward(x, hostTensor([2, 4, 3, 3]), hostTensor([1, 2, 2, 2]), {
        stride: 1,
        groups: 1,
      }),
    /dy/,
  );
});
