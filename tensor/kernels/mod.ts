/** Kernels: the only hot loops of shardgrad (typed arrays + sizes + out buffers). */

export * from "./gemm.ts";
export * from "./gemm_naive.ts";
export * from "./im2col.ts";
export * from "./conv2d.ts";
export * from "./conv2d_naive.ts";
export * from "./pool2d.ts";
export * from "./pool2d_naive.ts";
export * from "./reduce.ts";
export * from "./elementwise.ts";
export * from "./normalization.ts";
export * from "./pad2d.ts";
export * from "./adaptive_pool2d.ts";
export * from "./loss.ts";
export * from "./pointwise_loss.ts";
