/**
 * Kernels: the only hot loops of shardgrad (typed arrays + sizes + out buffers).
 *
 * This file is the one switch between interchangeable kernel versions. `gemm`,
 * `conv2dForward`, `conv2dBackwardInput`, `conv2dBackwardWeight` and `maxPool2dForward`
 * are the WebAssembly SIMD versions (wasm/) where the runtime supports them, else the
 * plain-TypeScript ones; `SHARDGRAD_KERNELS=ts` forces the latter. Every version stays
 * exported under its own name (`gemmTs`, `gemmWasm`, `gemmNaive`...) for tests and benches.
 */

import { gemm as gemmTs } from "./gemm.ts";
import {
  conv2dBackwardInput as conv2dBackwardInputTs,
  conv2dBackwardWeight as conv2dBackwardWeightTs,
  conv2dForward as conv2dForwardTs,
} from "./conv2d.ts";
import { maxPool2dForward as maxPool2dForwardTs } from "./pool2d.ts";
import {
  conv2dBackwardInputWasm,
  conv2dBackwardWeightWasm,
  conv2dForwardWasm,
  gemmWasm,
  kernelsFromEnv,
  maxPool2dForwardWasm,
  wasmSimdSupported,
} from "./wasm/mod.ts";

/** True when the WebAssembly SIMD kernels run (supported here, and SHARDGRAD_KERNELS is not "ts"). */
export const simdKernels: boolean = wasmSimdSupported() && kernelsFromEnv() !== "ts";

/** The active GEMM; see gemm.ts for the contract. */
export const gemm: typeof gemmTs = simdKernels ? gemmWasm : gemmTs;
/** The active conv2d forward; see conv2d.ts for the contract. */
export const conv2dForward: typeof conv2dForwardTs = simdKernels ? conv2dForwardWasm : conv2dForwardTs;
/** The active conv2d dL/dx; see conv2d.ts for the contract. */
export const conv2dBackwardInput: typeof conv2dBackwardInputTs = simdKernels
  ? conv2dBackwardInputWasm
  : conv2dBackwardInputTs;
/** The active conv2d dL/dweight; see conv2d.ts for the contract. */
export const conv2dBackwardWeight: typeof conv2dBackwardWeightTs = simdKernels
  ? conv2dBackwardWeightWasm
  : conv2dBackwardWeightTs;
/** The active max-pool forward; see pool2d.ts for the contract. */
export const maxPool2dForward: typeof maxPool2dForwardTs = simdKernels ? maxPool2dForwardWasm : maxPool2dForwardTs;

export { gemmTs };
export { conv2dBackwardInputTs, conv2dBackwardWeightTs, conv2dForwardTs };
export { maxPool2dForwardTs };
export { type Conv2dGeometry, conv2dGeometry, type Conv2dGeometryInput, conv2dWorkspaceSize } from "./conv2d.ts";
export {
  avgPool2dBackward,
  avgPool2dForward,
  maxPool2dBackward,
  type Pool2dGeometry,
  pool2dGeometry,
  type Pool2dGeometryInput,
} from "./pool2d.ts";
export * from "./wasm/mod.ts";
export * from "./gemm_naive.ts";
export * from "./im2col.ts";
export * from "./conv2d_naive.ts";
export * from "./pool2d_naive.ts";
export * from "./reduce.ts";
export * from "./elementwise.ts";
export * from "./normalization.ts";
export * from "./pad2d.ts";
export * from "./adaptive_pool2d.ts";
export * from "./loss.ts";
export * from "./pointwise_loss.ts";
export * from "./embedding.ts";
export * from "./recurrent.ts";
export * from "./attention.ts";
export * from "./finite.ts";
