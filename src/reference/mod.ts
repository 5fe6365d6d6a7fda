/**
 * CPU reference of every tensor op, forward and backward, in float64 with plain
 * loops. The GPU kernels are tested against these functions.
 */
export * from "./host_tensor.ts";
export * from "./finite_difference.ts";
export * from "./conv2d.ts";
export * from "./batch_norm.ts";
export * from "./activations.ts";
export * from "./elementwise.ts";
export * from "./pooling.ts";
export * from "./linear.ts";
export * from "./cross_entropy.ts";
export * from "./reduce.ts";
export * from "./softmax.ts";
export * from "./weighted_sum.ts";
export * from "./sgd.ts";
export * from "./adam.ts";
export * from "./dropout.ts";
