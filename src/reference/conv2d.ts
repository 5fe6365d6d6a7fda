/**
 * 2-D convolution (cross-correlation, as in PyTorch) with 'same' padding, any stride
 * and grouped channels; no bias. Depthwise conv is groups = C = Co.
 * Layouts: x [N, C, H, W], w [Co, C/groups, k, k], y [N, Co, Hout, Wout].
 */
import { assertRank, assertShape, type HostTensor, hostTensor } from "./host_tensor.ts";

/** Stride and channel grouping of a convolution. */
export interface Conv2dOptions {
  stride: number;
  groups: number;
}

/** Output height/width of a 'same'-padded conv: floor((H + 2·pad − k) / stride) + 1. */
export function conv2dOutputSize(inputSize: number, kernel: number, stride: number): number {
  const pad = (kernel - 1) / 2;
  return Math.floor((inputSize + 2 * pad - kernel) / stride) + 1;
}

interface ConvGeometry {
  n: number;
  c: number;
  inH: number;
  inW: number;
  co: number;
  k: number;
  pad: number;
  stride: number;
  groups: number;
  cPerGroup: number;
  coPerGroup: number;
  outH: number;
  outW: number;
}

function convGeometry(
  x: HostTensor,
  w: HostTensor,
  opts: Conv2dOptions,
  what: string,
): ConvGeometry {
  const [n, c, inH, inW] = assertRank(x, 4, `${what}: x`);
  const [co, cPerGroup, k, k2] = assertRank(w, 4, `${what}: w`);
  const { stride, groups } = opts;
  if (!Number.isInteger(stride) || stride < 1) {
    throw new Error(`${what}: stride is ${stride}; use a positive integer`);
  }
  if (!Number.isInteger(groups) || groups < 1 || c % groups !== 0 || co % groups !== 0) {
    throw new Error(
      `${what}: groups is ${groups} with C=${c}, Co=${co}; groups must divide both`,
    );
  }
  if (cPerGroup !== c / groups) {
    throw new Error(
      `${what}: w has ${cPerGroup} input channels per group but C/groups = ${c / groups}`,
    );
  }
  if (k !== k2 || k % 2 !== 1) {
    throw new Error(`${what}: kernel is ${k}×${k2}; use a square kernel of odd size (1, 3, 5, 7)`);
  }
  const pad = (k - 1) / 2;
  return {
    n,
    c,
    inH,
    inW,
    co,
    k,
    pad,
    stride,
    groups,
    cPerGroup,
    coPerGroup: co / groups,
    outH: conv2dOutputSize(inH, k, stride),
    outW: conv2dOutputSize(inW, k, stride),
  };
}

/**
 * Calls `visit` with the flat x and w indices of every tap that output (n, o, i, j)
 * sums, in the order c, a, b; taps outside the image (zero padding) are skipped.
 */
function forEachTap(
  g: ConvGeometry,
  n: number,
  o: number,
  i: number,
  j: number,
  visit: (xi: number, wi: number) => void,
): void {
  const group = Math.floor(o / g.coPerGroup);
  for (let cl = 0; cl < g.cPerGroup; cl++) {
    const c = group * g.cPerGroup + cl;
    for (let a = 0; a < g.k; a++) {
      const ih = i * g.stride - g.pad + a;
      if (ih < 0 || ih >= g.inH) continue;
      for (let b = 0; b < g.k; b++) {
        const iw = j * g.stride - g.pad + b;
        if (iw < 0 || iw >= g.inW) continue;
        visit(
          ((n * g.c + c) * g.inH + ih) * g.inW + iw,
          ((o * g.cPerGroup + cl) * g.k + a) * g.k + b,
        );
      }
    }
  }
}

/**
 * y[n, o, i, j] = Σ_{c in group(o), a, b} x[n, c, i·s − pad + a, j·s − pad + b] · w[o, c', a, b],
 * reading zero outside the image (pad = (k − 1)/2).
 */
export function conv2d(x: HostTensor, w: HostTensor, opts: Conv2dOptions): HostTensor {
  const g = convGeometry(x, w, opts, "conv2d");
  const y = hostTensor([g.n, g.co, g.outH, g.outW]);
  for (let n = 0; n < g.n; n++) {
    for (let o = 0; o < g.co; o++) {
      for (let i = 0; i < g.outH; i++) {
        for (let j = 0; j < g.outW; j++) {
          let acc = 0;
          forEachTap(g, n, o, i, j, (xi, wi) => {
            acc += x.data[xi] * w.data[wi];
          });
          y.data[((n * g.co + o) * g.outH + i) * g.outW + j] = acc;
        }
      }
    }
  }
  return y;
}

/**
 * Gradients of conv2d: the same loops as the forward pass, scattering
 * dy[n, o, i, j] · w into dx and dy[n, o, i, j] · x into dw.
 */
export function conv2dBackward(
  x: HostTensor,
  w: HostTensor,
  dy: HostTensor,
  opts: Conv2dOptions,
): { dx: HostTensor; dw: HostTensor } {
  const g = convGeometry(x, w, opts, "conv2dBackward");
  assertShape(dy, [g.n, g.co, g.outH, g.outW], "conv2dBackward: dy");
  const dx = hostTensor(x.shape);
  const dw = hostTensor(w.shape);
  for (let n = 0; n < g.n; n++) {
    for (let o = 0; o < g.co; o++) {
      for (let i = 0; i < g.outH; i++) {
        for (let j = 0; j < g.outW; j++) {
          const dyv = dy.data[((n * g.co + o) * g.outH + i) * g.outW + j];
          forEachTap(g, n, o, i, j, (xi, wi) => {
            dx.data[xi] += dyv * w.data[wi];
            dw.data[wi] += dyv * x.data[xi];
          });
        }
      }
    }
  }
  return { dx, dw };
}
