/**
 * The blas kernel version: GEMM on the platform's BLAS through FFI (Deno.dlopen, bun:ffi), found
 * at import (SHARDGRAD_BLAS, then the platform's usual library names). tensor/kernels/mod.ts
 * picks it when a library is found; the convolutions and pooling stay on WebAssembly SIMD.
 */

export * from "./gemm_blas.ts";
