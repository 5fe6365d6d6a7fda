/**
 * Element-wise activations and their gradients. At the kinks the gradient is a
 * convention: relu uses 0 for x <= 0 (so 0 at x = 0, like PyTorch), relu6 uses 1 only
 * on the open interval (0, 6) and 0 elsewhere, including at x = 0 and x = 6.
 */
import { assertShape, type HostTensor, hostTensor } from "./host_tensor.ts";

function mapUnary(x: HostTensor, f: (v: number) => number): HostTensor {
  const y = hostTensor(x.shape);
  for (let i = 0; i < x.data.length; i++) y.data[i] = f(x.data[i]);
  return y;
}

function mapBackward(
  x: HostTensor,
  dy: HostTensor,
  what: string,
  derivative: (v: number) => number,
): HostTensor {
  assertShape(dy, x.shape, `${what}: dy`);
  const dx = hostTensor(x.shape);
  for (let i = 0; i < x.data.length; i++) dx.data[i] = derivative(x.data[i]) * dy.data[i];
  return dx;
}

/** Logistic function 1/(1 + e^−v), written so that neither branch overflows. */
export function sigmoidScalar(v: number): number {
  if (v >= 0) return 1 / (1 + Math.exp(-v));
  const e = Math.exp(v);
  return e / (1 + e);
}

/** y = max(x, 0). */
export function reluForward(x: HostTensor): HostTensor {
  return mapUnary(x, (v) => (v > 0 ? v : 0));
}

/** dx = dy where x > 0, else 0 (0 at the kink x = 0). */
export function reluBackward(x: HostTensor, dy: HostTensor): HostTensor {
  return mapBackward(x, dy, "reluBackward", (v) => (v > 0 ? 1 : 0));
}

/** y = min(max(x, 0), 6). */
export function relu6Forward(x: HostTensor): HostTensor {
  return mapUnary(x, (v) => Math.min(Math.max(v, 0), 6));
}

/** dx = dy where 0 < x < 6, else 0 (0 at both kinks). */
export function relu6Backward(x: HostTensor, dy: HostTensor): HostTensor {
  return mapBackward(x, dy, "relu6Backward", (v) => (v > 0 && v < 6 ? 1 : 0));
}

/** y = σ(x) = 1/(1 + e^−x). */
export function sigmoidForward(x: HostTensor): HostTensor {
  return mapUnary(x, sigmoidScalar);
}

/** dx = σ(x)·(1 − σ(x))·dy. */
export function sigmoidBackward(x: HostTensor, dy: HostTensor): HostTensor {
  return mapBackward(x, dy, "sigmoidBackward", (v) => {
    const s = sigmoidScalar(v);
    return s * (1 - s);
  });
}

/** y = x·σ(x) (SiLU, also called swish). */
export function siluForward(x: HostTensor): HostTensor {
  return mapUnary(x, (v) => v * sigmoidScalar(v));
}

/** dx = σ(x)·(1 + x·(1 − σ(x)))·dy. */
export function siluBackward(x: HostTensor, dy: HostTensor): HostTensor {
  return mapBackward(x, dy, "siluBackward", (v) => {
    const s = sigmoidScalar(v);
    return s * (1 + v * (1 - s));
  });
}

/** Hard sigmoid (MobileNetV3's SE gate): y = relu6(x + 3) / 6. */
export function hardSigmoidForward(x: HostTensor): HostTensor {
  return mapUnary(x, (v) => Math.min(Math.max(v + 3, 0), 6) / 6);
}

/** dx = dy / 6 on the open interval (−3, 3), else 0. */
export function hardSigmoidBackward(x: HostTensor, dy: HostTensor): HostTensor {
  return mapBackward(x, dy, "hardSigmoidBackward", (v) => (v > -3 && v < 3 ? 1 / 6 : 0));
}

/** The activations by name, forward and backward (as the ops name them). */
export const ACTIVATIONS = {
  relu: { forward: reluForward, backward: reluBackward },
  relu6: { forward: relu6Forward, backward: relu6Backward },
  sigmoid: { forward: sigmoidForward, backward: sigmoidBackward },
  silu: { forward: siluForward, backward: siluBackward },
  hsigmoid: { forward: hardSigmoidForward, backward: hardSigmoidBackward },
} as const;
