/**
 * A tensor read by two convolutions gets its gradient summed in the second one's
 * store (`GradNode.backward`'s `into`) instead of by a separate accumulate pass: dense
 * and depthwise convs, strides 1 and 2, the store forms of the depthwise input
 * gradient (flat vec4, vec4, scalar), against the float64 reference.
 */
import assert from "node:assert/strict";
import { assertClose, gpuTest, toGpu } from "./_helpers.ts";
import { conv2d } from "../src/ops/conv2d.ts";
import { depthwiseConv2d } from "../src/ops/depthwise_conv2d.ts";
import {
  conv2d as refConv2d,
  conv2dBackward as refConv2dBackward,
} from "../src/reference/conv2d.ts";
import { type HostTensor, randomHost } from "../src/reference/host_tensor.ts";
import { backward, record, requireGrad } from "../src/tensor/autograd.ts";
import { empty } from "../src/tensor/creation.ts";
import type { Tensor } from "../src/tensor/tensor.ts";
import type { Gpu } from "../src/gpu/gpu.ts";
import { Rng } from "../src/util/rng.ts";

/** A conv reading x: dense (`co` output channels) or depthwise, kernel k, stride s. */
interface Reader {
  kind: "dense" | "depthwise";
  k: number;
  stride: 1 | 2;
  co?: number;
}

function describe(r: Reader): string {
  return `${r.kind} ${r.k}×${r.k} s${r.stride}`;
}

/** The reader on the GPU (with autograd) and in the reference. */
function apply(r: Reader, x: Tensor, w: Tensor): Tensor {
  return r.kind === "dense"
    ? conv2d(x, w, { stride: r.stride })
    : depthwiseConv2d(x, w, { stride: r.stride });
}

function weightShape(r: Reader, c: number): number[] {
  return r.kind === "dense" ? [r.co ?? c, c, r.k, r.k] : [c, 1, r.k, r.k];
}

/** A root whose backward hands each output its own upstream gradient. */
function joinWithGradients(outputs: Tensor[], grads: Tensor[]): Tensor {
  return record(empty([1], { name: "join" }), "join", outputs, () => grads);
}

/** Runs `fn`, counting the dispatches of autograd's accumulate kernel. */
function countingAccumulates(gpu: Gpu, fn: () => void): number {
  let count = 0;
  const dispatch = gpu.dispatch;
  gpu.dispatch = (kernel, buffers, groups, label) => {
    if (kernel.key.startsWith("accumulate")) count++;
    return dispatch.call(gpu, kernel, buffers, groups, label);
  };
  try {
    fn();
  } finally {
    gpu.dispatch = dispatch;
  }
  return count;
}

/** x's gradient as the reference sums it over the readers. */
function referenceGradient(
  xh: HostTensor,
  readers: readonly Reader[],
  whs: readonly HostTensor[],
  dyhs: readonly HostTensor[],
): Float64Array {
  const sum = new Float64Array(xh.data.length);
  readers.forEach((r, i) => {
    const groups = r.kind === "dense" ? 1 : xh.shape[1];
    const { dx } = refConv2dBackward(xh, whs[i], dyhs[i], { stride: r.stride, groups });
    for (let j = 0; j < sum.length; j++) sum[j] += dx.data[j];
  });
  return sum;
}

const dense = (k: number, stride: 1 | 2, co: number): Reader => ({ kind: "dense", k, stride, co });
const depthwise = (k: number, stride: 1 | 2): Reader => ({ kind: "depthwise", k, stride });

const CASES: { x: [number, number, number, number]; readers: Reader[] }[] = [
  // dense dx into dense dx: 1×1 (flat strips), 3×3 stride 2 (one dispatch per row parity)
  { x: [2, 8, 8, 8], readers: [dense(1, 1, 12), dense(3, 2, 8)] },
  // 1×1 stride 2: the odd rows of its dx get no tap and must keep the first gradient
  { x: [2, 6, 6, 6], readers: [depthwise(3, 1), dense(1, 2, 10)] },
  // depthwise into dense on 4×4 planes (whole-plane flat vec4 stores)
  { x: [4, 8, 4, 4], readers: [dense(1, 1, 8), depthwise(3, 1)] },
  // 7×7 planes (scalar stores), stride 2 and a 5×5 kernel
  { x: [2, 8, 7, 7], readers: [depthwise(5, 1), depthwise(3, 2)] },
  // 16×16 planes (vec4 row stores)
  { x: [2, 4, 16, 16], readers: [depthwise(3, 2), dense(3, 1, 4)] },
  // a dense reduction split over uniform-buffer parts, every part adding into dx
  { x: [1, 90, 5, 6], readers: [dense(1, 1, 8), dense(7, 1, 8)] },
];

for (const { x: xShape, readers } of CASES) {
  const name = `x[${xShape}] read by ${readers.map(describe).join(" and ")}`;
  gpuTest(`autograd: ${name}: the second conv adds its dx in place, sum exact`, async (gpu) => {
    const rng = new Rng(xShape.reduce((a, b) => a * 7 + b, 3));
    const xh = randomHost(xShape, rng);
    const whs = readers.map((r) => randomHost(weightShape(r, xShape[1]), rng));
    const dyhs = readers.map((r, i) => {
      const groups = r.kind === "dense" ? 1 : xShape[1];
      return randomHost(refConv2d(xh, whs[i], { stride: r.stride, groups }).shape, rng);
    });
    const x = requireGrad(toGpu(xh, "x"));
    const ws = whs.map((wh, i) => toGpu(wh, `w${i}`));
    const ys = readers.map((r, i) => apply(r, x, ws[i]));
    const dys = dyhs.map((dyh, i) => toGpu(dyh, `dy${i}`));
    const accumulates = countingAccumulates(gpu, () => backward(joinWithGradients(ys, dys)));
    assert.equal(accumulates, 0, `${name}: autograd ran its own add`);
    assert.ok(x.grad, `${name}: x has no gradient`);
    assertClose(await x.grad.read(), referenceGradient(xh, readers, whs, dyhs), `${name}: dx`);
  });
}

gpuTest("autograd: a gradient held elsewhere is never added into in place", async (gpu) => {
  const rng = new Rng(11);
  const xh = randomHost([2, 4, 8, 8], rng);
  const wh = randomHost([4, 4, 3, 3], rng);
  const dyh = randomHost([2, 4, 8, 8], rng);
  const passh = randomHost([2, 4, 8, 8], rng);
  const x = requireGrad(toGpu(xh, "x"));
  // `pass` hands its upstream gradient to x as it is: x's first gradient is a tensor
  // the caller keeps (persistent), which the conv must not overwrite.
  const kept = toGpu(passh, "kept");
  kept.persistent = true;
  const passed = record(empty(xh.shape, { name: "passed" }), "pass", [x], (g) => [g]);
  const y = conv2d(x, toGpu(wh, "w"), { stride: 1 });
  const accumulates = countingAccumulates(
    gpu,
    () => backward(joinWithGradients([passed, y], [kept, toGpu(dyh, "dy")])),
  );
  assert.equal(accumulates, 1, "the sum of a kept gradient needs autograd's own add");
  const { dx } = refConv2dBackward(xh, wh, dyh, { stride: 1, groups: 1 });
  const want = dx.data.map((v, i) => v + passh.data[i]);
  assertClose(await x.grad!.read(), want, "dx");
  assertClose(await kept.read(), passh.data, "the kept gradient");
});
