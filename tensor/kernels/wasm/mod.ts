/**
 * WebAssembly SIMD (f32x4) kernels: drop-in versions of gemm.ts, conv2d.ts and pool2d.ts's
 * maxPool2dForward with the same signatures, the feature test that says whether they run here,
 * and the SHARDGRAD_KERNELS switch. The module is compiled synchronously once per thread (each
 * Worker too) at import.
 */

export * from "./gemm_wasm.ts";
export * from "./conv2d_wasm.ts";
export * from "./pool2d_wasm.ts";
export * from "./gelu_wasm.ts";
export * from "./finite_wasm.ts";
export * from "./relu_wasm.ts";
export * from "./optimizer_wasm.ts";
export * from "./kernels_env.ts";
export * from "./shared_memory.ts";
