/**
 * Depthwise 2-D convolution with autograd: x [N, C, H, W] ⊛ w [C, 1, k, k], 'same'
 * padding (k − 1)/2, stride 1 or 2, no bias (batch norm follows in every cell).
 * The forward and both gradients are exported separately for the benchmark.
 */
import { grid1D } from "../../kernels/common.ts";
import {
  blockCounts,
  depthwiseConvWgsl,
  type DepthwiseGeometry,
  type DepthwiseTile,
  depthwiseWeightGradWgsl,
  type WeightGradPlan,
} from "../../kernels/depthwise_conv2d.ts";
import type { KernelVariant } from "../gpu/device.ts";
import type { StripPartialsLayout } from "../../kernels/bn_partial_stats.ts";
import type { NormalizedSource } from "./batch_norm.ts";
import { attachStripPartials } from "./strip_partials.ts";
import { record } from "../tensor/autograd.ts";
import { empty } from "../tensor/creation.ts";
import { engine } from "../tensor/engine.ts";
import { sameShape, shapeStr, type Tensor } from "../tensor/tensor.ts";
import { kernelVariant, runPass2, writeF32 } from "./reduce.ts";

export type { DepthwiseTile };

export interface DepthwiseOptions {
  stride?: 1 | 2;
  /**
   * A training-mode batch norm reads the output: the forward also writes its
   * per-channel statistics partials where its blocks allow (src/ops/strip_partials.ts).
   */
  statistics?: boolean;
}

function normKey(norm: NormalizedSource | undefined): string {
  return norm ? `:norm-${norm.act}` : "";
}

const KERNEL_SIZES = [1, 3, 5, 7];
const WG = 64;

/** Output size of a 'same'-padded conv: ⌊(H + 2p − k)/s⌋ + 1. */
function outSize(size: number, k: number, stride: number): number {
  return Math.floor((size + 2 * ((k - 1) / 2) - k) / stride) + 1;
}

/** Validates x and w and returns the geometry. */
export function depthwiseGeometry(
  xShape: readonly number[],
  wShape: readonly number[],
  opts: DepthwiseOptions,
): DepthwiseGeometry {
  const stride = opts.stride ?? 1;
  const where = `depthwiseConv2d: x ${shapeStr(xShape)}, w ${shapeStr(wShape)}`;
  if (xShape.length !== 4) throw new Error(`depthwiseConv2d: x must be [N,C,H,W] (${where})`);
  const [n, c, h, w] = xShape;
  if (wShape.length !== 4 || wShape[0] !== c || wShape[1] !== 1 || wShape[2] !== wShape[3]) {
    throw new Error(`depthwiseConv2d: w must be [C,1,k,k] with C = ${c} (${where})`);
  }
  const k = wShape[2];
  if (!KERNEL_SIZES.includes(k)) {
    throw new Error(`depthwiseConv2d: kernel size ${k} unsupported; use 1, 3, 5 or 7 (${where})`);
  }
  if (stride !== 1 && stride !== 2) {
    throw new Error(`depthwiseConv2d: stride ${stride} unsupported; use 1 or 2 (${where})`);
  }
  if (n * c * h * w === 0) throw new Error(`depthwiseConv2d: x is empty (${where})`);
  return {
    n,
    c,
    h,
    w,
    k,
    stride,
    pad: (k - 1) / 2,
    ho: outSize(h, k, stride),
    wo: outSize(w, k, stride),
  };
}

function checkF32(op: string, ...ts: Tensor[]): void {
  for (const t of ts) {
    if (t.dtype !== "f32") throw new Error(`${op}: ${t.describe()} has dtype ${t.dtype}; need f32`);
  }
}

function geometryKey(g: DepthwiseGeometry): string {
  return `${g.n},${g.c},${g.h},${g.w},${g.k},${g.stride}`;
}

function tileKey(t: DepthwiseTile): string {
  return `${t.th}x${t.tw}${t.vecLoad ? "v" : "s"}${t.vecStore ? "v" : "s"}` +
    `${t.flatLoad ? "f" : ""}${t.flatStore ? "F" : ""}`;
}

/**
 * Block per invocation. llvmpipe: 4×8 blocks amortise loads over many FMAs in
 * 8-lane SIMD; GPUs: 2×4 blocks keep registers low and occupancy high.
 * Vec4 is used only where every block origin lands on a 4-aligned column.
 *
 * llvmpipe, planes at most 32 wide: blocks of whole rows instead, as many rows as
 * divide the plane within 56 accumulators (7×7 → one 7×7 block, 14 → 2×14,
 * 28 → 2×28; 1×28 for stride-1 forwards and input gradients), so no block overhangs
 * the plane and no column is loaded twice. With
 * one thread and timestamps, MobileNetV2's stride-1 passes ran 15–37% faster
 * (e.g. 64×96×14×14 forward 7.2 → 5.4 ms, its weight gradient 10.7 → 7.2), and the
 * stride-2 input gradients with 2-row blocks 9–16% faster; stride-2 forward and
 * weight gradient were not then, but are since whole rows are read as contiguous vec4
 * (`flatLoad`) and written as vec4 (`flatStore`): the 64×48×28×28 stride-2 forward
 * ran 0.60–0.69× its 4×8 time, its weight gradient 0.43× (in-process A/B, minima).
 * Planes of at most 64 outputs (7×7, 4×4) are one block, whose padding the generator
 * drops (`StaticOrigin` in kernels/depthwise_conv2d.ts).
 */
export function depthwiseTile(
  g: DepthwiseGeometry,
  kind: "forward" | "inputGrad" | "weightGrad",
  variant: KernelVariant,
): DepthwiseTile {
  const [srcW, dstW] = kind === "inputGrad" ? [g.wo, g.w] : [g.w, g.wo];
  const dstH = kind === "inputGrad" ? g.h : g.ho;
  const s = g.stride;
  if (variant === "register" && dstH * dstW <= PLANE_BLOCK_ACCS) {
    return fitTile(g, kind, dstH, dstW, srcW, dstW);
  }
  if (variant === "register" && dstW <= ROW_BLOCK_MAX_W) {
    // Input-gradient blocks start on multiples of the stride.
    const accs = s === 1 && kind !== "weightGrad" ? ROW_BLOCK_ACCS_S1 : ROW_BLOCK_ACCS;
    const th = [7, 4, 2, 1].find((t) =>
      dstH % t === 0 && t * dstW <= accs && (kind !== "inputGrad" || t % s === 0)
    );
    if (th && (kind !== "inputGrad" || dstW % s === 0)) {
      return fitTile(g, kind, th, dstW, srcW, dstW);
    }
  }
  let th = variant === "register" ? 4 : 2;
  let tw = variant === "register" && dstW >= 8 ? 8 : 4;
  if (kind === "inputGrad" && s === 2 && srcW % 4 === 0 && variant === "register") tw = 8;
  if (kind === "inputGrad") th = Math.max(th, s); // block origins must be multiples of s
  return fitTile(g, kind, th, tw, srcW, dstW);
}

/**
 * Widest plane that takes whole-row blocks on llvmpipe, and their most accumulators;
 * stride-1 forwards and input gradients take at most `ROW_BLOCK_ACCS_S1`: on 28×28
 * planes one row a block (28 accumulators and 3 source rows) ran 0.72–0.93× the
 * time of two (the 64×16×28×28 forward) and 0.77–0.91× (its input gradient),
 * interleaved in-process A/B, minima over 10 rounds; the weight gradient and the
 * stride-2 passes were slower with fewer rows and keep 56.
 */
const ROW_BLOCK_MAX_W = 32;
const ROW_BLOCK_ACCS = 56;
const ROW_BLOCK_ACCS_S1 = 28;
/** Largest plane that one llvmpipe invocation takes whole (7×7, 4×4; 8×8 at most). */
const PLANE_BLOCK_ACCS = 64;

/** Completes a TH×TW choice with the vec4 flags its alignment allows. */
export function fitTile(
  g: DepthwiseGeometry,
  kind: "forward" | "inputGrad" | "weightGrad",
  th: number,
  tw: number,
  srcW = kind === "inputGrad" ? g.wo : g.w,
  dstW = kind === "inputGrad" ? g.w : g.wo,
): DepthwiseTile {
  const s = g.stride;
  const dstH = kind === "inputGrad" ? g.h : g.ho;
  // A block spanning the plane's height (width) has one origin, 0, whatever its size.
  const wholeH = th >= dstH;
  const srcH = kind === "inputGrad" ? g.ho : g.h;
  // How far the source row origin moves from one block down to the next.
  const srcStep = kind === "inputGrad" ? th / s : th * s;
  const wholeW = tw >= dstW;
  if (kind === "inputGrad" && ((th % s !== 0 && !wholeH) || (tw % s !== 0 && !wholeW))) {
    throw new Error(`depthwiseConv2d: input-gradient block ${th}×${tw} must be a multiple of ${s}`);
  }
  // Source column origin: s·c0 (forward, dw) or c0 / s (input gradient).
  const originAligned = wholeW || (kind === "inputGrad" ? tw % (4 * s) === 0 : tw % 4 === 0);
  return {
    th,
    tw,
    vecLoad: srcW % 4 === 0 && originAligned,
    vecStore: dstW % 4 === 0 && tw % 4 === 0,
    flatLoad: tw === dstW && (srcH * srcW) % 4 === 0 &&
      (wholeH || (srcStep * srcW) % 4 === 0),
    flatStore: tw === dstW && (th === dstH || (th < dstH && dstH % th === 0)) &&
      (th * dstW) % 4 === 0 && (dstH * dstW) % 4 === 0,
  };
}

/**
 * Images one forward or input-gradient invocation takes of its channel (llvmpipe): up
 * to `CONV_IMAGES` where one block covers the plane (7×7, 4×4: there the 9 weight
 * loads rival the block's own), while at least `CONV_MIN_LANES` invocations remain.
 * On 28×28 planes (14 blocks a plane) 4 images a lane made the stride-2 input
 * gradient 1.26× slower in an in-process A/B; 4×4 forwards ran 0.83–0.90×.
 */
function imagesPerInvocation(g: DepthwiseGeometry, blocks: number, variant: KernelVariant) {
  if (variant !== "register" || blocks > 1) return 1;
  let images = 1;
  while (
    images < CONV_IMAGES && g.n % (2 * images) === 0 &&
    (g.n / (2 * images)) * g.c * blocks >= CONV_MIN_LANES
  ) images *= 2;
  return images;
}
const CONV_IMAGES = 4;
const CONV_MIN_LANES = 2048;

function runConv(
  kind: "forward" | "inputGrad",
  g: DepthwiseGeometry,
  src: Tensor,
  w: Tensor,
  tile: DepthwiseTile,
  norm?: NormalizedSource,
  statistics = false,
  into?: Tensor,
): Tensor {
  const gpu = engine.gpu;
  const [dstH, dstW] = kind === "forward" ? [g.ho, g.wo] : [g.h, g.w];
  const dstShape = [g.n, g.c, dstH, dstW];
  if (into && !sameShape(into.shape, dstShape)) {
    throw new Error(
      `depthwiseConv2d ${kind}: cannot add into ${shapeStr(into.shape)}, the output is ${
        shapeStr(dstShape)
      }`,
    );
  }
  const dst = into ?? empty(dstShape, { name: kind === "forward" ? "dwconv" : "dwconv.dx" });
  const [bw, bh] = blockCounts(dstH, dstW, tile);
  const variant = kernelVariant();
  const images = imagesPerInvocation(g, bw * bh, variant);
  const layout = statistics && kind === "forward"
    ? statisticsLayout(g, tile, images, variant)
    : null;
  let stats: Tensor | null = null;
  if (layout) {
    stats = empty([2 * g.c * layout.strips], { name: "dwconv.stats" });
    attachStripPartials(dst, { stats, ...layout });
  }
  const grid = grid1D(Math.ceil(g.n / images) * g.c * bw * bh, WG);
  const k = gpu.kernel(
    `dwconv_${kind}:${geometryKey(g)}:${tileKey(tile)}:i${images}${normKey(norm)}` +
      (layout ? ":stats" : "") + (into ? ":add" : ""),
    () => depthwiseConvWgsl(g, kind, tile, grid, WG, norm, images, layout ?? undefined, !!into),
  );
  gpu.dispatch(
    k,
    [
      src.buffer,
      w.buffer,
      dst.buffer,
      ...(norm ? [norm.chan.buffer] : []),
      ...(stats ? [stats.buffer] : []),
    ],
    grid.groups,
    `depthwiseConv2d ${kind} ${src.describe()} k${g.k} s${g.stride}`,
  );
  return dst;
}

/**
 * Where a forward's statistics partials lie, one a lane (its `images` blocks), or
 * null where the forward writes none: llvmpipe's register blocks only (on GPUs a lane's
 * block is 8 values, so the partials would rival the output), channels in vec4 quads,
 * blocks that tile the plane exactly (no lane holds values past its edge), and planes
 * of at least `STATISTICS_MIN_PLANE` outputs.
 */
function statisticsLayout(
  g: DepthwiseGeometry,
  tile: DepthwiseTile,
  images: number,
  variant: KernelVariant,
): StripPartialsLayout | null {
  const fits = variant === "register" && g.c % 4 === 0 && g.ho % tile.th === 0 &&
    g.wo % tile.tw === 0 && g.ho * g.wo >= STATISTICS_MIN_PLANE;
  if (!fits) return null;
  const [bw, bh] = blockCounts(g.ho, g.wo, tile);
  const stripLen = images * tile.th * tile.tw;
  return { c: g.c, strips: (g.n / images) * bw * bh, stripLen, rowLen: stripLen };
}

/**
 * Smallest output plane whose depthwise forward writes statistics partials. Unlike the
 * dense convs' (src/ops/conv2d.ts), 4×4 planes gain: their statistics took 0.7–0.8 ms
 * a MobileNetV2 training step with partials against 1.6–2.1 ms without, for 0.1–0.4 ms
 * more in their forwards (three alternating runs, per-dispatch minima).
 */
const STATISTICS_MIN_PLANE = 16;

/**
 * y = depthwise conv of x with w (no autograd); with `norm`, of act(bn(x)) computed
 * as x is loaded. `tile` overrides the block (tests).
 */
export function depthwiseConv2dForward(
  x: Tensor,
  w: Tensor,
  opts: DepthwiseOptions = {},
  tile?: DepthwiseTile,
  norm?: NormalizedSource,
): Tensor {
  checkF32("depthwiseConv2d", x, w);
  const g = depthwiseGeometry(x.shape, w.shape, opts);
  const t = tile ?? depthwiseTile(g, "forward", kernelVariant());
  return runConv("forward", g, x, w, t, norm, opts.statistics);
}

/**
 * dx from dy [N, C, Ho, Wo] and w; `xShape` is the forward input's shape. With `into`,
 * dx is added into that tensor (of x's shape), which is returned.
 */
export function depthwiseConv2dBackwardInput(
  dy: Tensor,
  w: Tensor,
  xShape: readonly number[],
  opts: DepthwiseOptions = {},
  tile?: DepthwiseTile,
  into?: Tensor,
): Tensor {
  checkF32("depthwiseConv2d backward", dy, w);
  const g = depthwiseGeometry(xShape, w.shape, opts);
  checkDy(g, dy);
  const t = tile ?? depthwiseTile(g, "inputGrad", kernelVariant());
  return runConv("inputGrad", g, dy, w, t, undefined, false, into);
}

function checkDy(g: DepthwiseGeometry, dy: Tensor): void {
  const want = [g.n, g.c, g.ho, g.wo];
  if (dy.shape.length !== 4 || dy.shape.some((d, i) => d !== want[i])) {
    throw new Error(
      `depthwiseConv2d backward: dy is ${shapeStr(dy.shape)}, expected ${shapeStr(want)}`,
    );
  }
}

/**
 * The split of dw's reduction. Tiled: enough workgroups to fill the device, ≥ 2
 * blocks a lane. Register: the fewest parts a channel that still give
 * `DW_REGISTER.lanes` lanes, each walking ≥ `DW_REGISTER.minBlocks` blocks, so
 * that few partials are written and read again (one part: no second pass). A 4×4
 * plane at batch 64 has 64 blocks a channel: with 64 lanes a channel, as the tiled
 * split has, each lane wrote its 9 partials after one block.
 */
function weightGradPlan(
  g: DepthwiseGeometry,
  tile: DepthwiseTile,
  variant: KernelVariant,
): WeightGradPlan {
  const [bw, bh] = blockCounts(g.ho, g.wo, tile);
  const items = g.n * bw * bh;
  if (variant === "register") {
    const lanes = bw * bh === 1 ? DW_REGISTER.lanesPlane : DW_REGISTER.lanes;
    const parts = Math.max(
      1,
      Math.min(Math.ceil(lanes / g.c), Math.floor(items / DW_REGISTER.minBlocks)),
    );
    // Narrower workgroups until there are enough to spread over llvmpipe's threads.
    let wg = 32;
    while (wg > 8 && Math.ceil((g.c * parts) / wg) < DW_REGISTER.groups) wg /= 2;
    return { variant, wg, chunks: parts, partials: parts };
  }
  const chunks = Math.max(1, Math.min(Math.ceil(256 / g.c), Math.floor(items / (WG * 2))));
  return { variant, wg: WG, chunks, partials: chunks };
}

/**
 * Register dw: lanes to aim for, fewest blocks a lane, fewest workgroups. Where one
 * block covers the plane (4×4, 7×7) more lanes pay: at batch 64 a 4×4 channel's 64
 * blocks in 8 parts instead of 2–3 ran 0.63–0.8× the time (pass 1, 192–480
 * channels, interleaved in-process A/B, minima over 10 rounds; 7×7 neutral), while
 * on 14×14 planes more parts than 6 were slower.
 */
const DW_REGISTER = { lanes: 512, lanesPlane: 4096, minBlocks: 8, groups: 32 } as const;

/**
 * dw [C, 1, k, k] from x (or act(bn(x)) with `norm`) and dy: a per-channel reduction
 * over N·Ho·Wo, two passes.
 */
export function depthwiseConv2dBackwardWeight(
  x: Tensor,
  dy: Tensor,
  wShape: readonly number[],
  opts: DepthwiseOptions = {},
  tile?: DepthwiseTile,
  norm?: NormalizedSource,
): Tensor {
  checkF32("depthwiseConv2d backward", x, dy);
  const g = depthwiseGeometry(x.shape, wShape, opts);
  checkDy(g, dy);
  const gpu = engine.gpu;
  const variant = kernelVariant();
  const t = tile ?? depthwiseTile(g, "weightGrad", variant);
  const plan = weightGradPlan(g, t, variant);
  const kk = g.k * g.k;
  if (g.c * plan.chunks > gpu.device.limits.maxComputeWorkgroupsPerDimension) {
    throw new Error(`depthwiseConv2d: ${g.c} channels exceed one dispatch dimension`);
  }
  const dw = empty(wShape, { name: "dwconv.dw" });
  const direct = variant === "register" && plan.partials === 1;
  const partials = direct ? dw : empty([g.c * kk * plan.partials], { name: "dwconv.dw.partials" });
  const k1 = gpu.kernel(
    `dwconv_dw:${geometryKey(g)}:${tileKey(t)}:${variant}:${plan.chunks}${normKey(norm)}`,
    () => depthwiseWeightGradWgsl(g, t, plan, norm),
  );
  const label = `depthwiseConv2d dw ${x.describe()} k${g.k} s${g.stride}`;
  const buffers = [x.buffer, dy.buffer, partials.buffer, ...(norm ? [norm.chan.buffer] : [])];
  const groups = variant === "register"
    ? Math.ceil((g.c * plan.chunks) / plan.wg)
    : g.c * plan.chunks;
  gpu.dispatch(k1, buffers, [groups], label);
  if (direct) return dw;
  runPass2("dwconv_dw", g.c * kk, 1, plan, partials, [writeF32("dw", dw)], "dw[r] = s0;", {
    label,
  });
  partials.dispose();
  return dw;
}

/**
 * Depthwise convolution with autograd: x [N, C, H, W], w [C, 1, k, k] (k ∈ {1,3,5,7}),
 * stride 1 or 2, 'same' padding → [N, C, ⌈H/s⌉, ⌈W/s⌉].
 */
export function depthwiseConv2d(x: Tensor, w: Tensor, opts: DepthwiseOptions = {}): Tensor {
  const y = depthwiseConv2dForward(x, w, opts);
  const stride = { stride: opts.stride };
  return record(y, "depthwiseConv2d", [x, w], (dy, into) => [
    x.requiresGrad
      ? depthwiseConv2dBackwardInput(dy, w, x.shape, stride, undefined, into[0])
      : null,
    w.requiresGrad ? depthwiseConv2dBackwardWeight(x, dy, w.shape, stride) : null,
  ]);
}
