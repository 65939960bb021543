/**
 * The blas kernel version: GEMM on the platform's BLAS through FFI (Deno.dlopen, bun:ffi), found
 * at import (SHARDGRAD_BLAS, then the platform's usual library names), and convolutions on
 * im2col + that GEMM or on the WebAssembly kernels, per shape and pass by measured cost.
 * tensor/kernels/mod.ts picks it when a library is found; pooling stays on WebAssembly SIMD.
 */

export * from "./gemm_blas.ts";
export * from "./conv2d_blas.ts";
export * from "./sgd_blas.ts";
