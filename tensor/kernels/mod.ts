/**
 * Kernels: the only hot loops of shardgrad (typed arrays + sizes + out buffers).
 *
 * This file is the one switch between interchangeable kernel versions, chosen once per thread
 * at import: "blas" (GEMM on the platform's BLAS through FFI, blas/; convolutions on im2col +
 * that GEMM or on WebAssembly SIMD per shape and pass, pooling on WebAssembly SIMD), "wasm" (WebAssembly SIMD, wasm/) or "ts" (plain TypeScript). The default is
 * the first of these that runs here; `SHARDGRAD_KERNELS=blas|wasm|ts` asks for one, falling back
 * down that list with one printed line when it cannot run. `kernelSelection` says which ran and
 * why the others did not. Every version stays exported under its own name (`gemmTs`,
 * `gemmWasm`, `gemmBlas`, `gemmNaive`...) for tests and benches.
 */

import { gemm as gemmTs } from "./gemm.ts";
import {
  conv2dBackwardInput as conv2dBackwardInputTs,
  conv2dBackwardWeight as conv2dBackwardWeightTs,
  conv2dForward as conv2dForwardTs,
} from "./conv2d.ts";
import { maxPool2dForward as maxPool2dForwardTs } from "./pool2d.ts";
import { ACTIVATIONS as ACTIVATIONS_TS } from "./elementwise.ts";
import { firstNonFinite as firstNonFiniteTs } from "./finite.ts";
import {
  adagradKernel as adagradKernelTs,
  adamKernel as adamKernelTs,
  lionKernel as lionKernelTs,
  rmspropKernel as rmspropKernelTs,
  sgdKernel as sgdKernelTs,
} from "./optimizer.ts";
import {
  adagradKernelWasm,
  adamKernelWasm,
  conv2dBackwardInputWasm,
  conv2dBackwardWeightWasm,
  conv2dForwardWasm,
  envVariable,
  firstNonFiniteWasm,
  geluBackwardWasm,
  geluForwardWasm,
  geluForwardWithGradWasm,
  gemmWasm,
  KERNEL_CHOICES,
  type KernelChoice,
  kernelsFromEnv,
  lionKernelWasm,
  maxPool2dForwardWasm,
  reluForwardWasm,
  rmspropKernelWasm,
  sgdKernelWasm,
  wasmGemmFlavor,
  wasmSimdSupported,
} from "./wasm/mod.ts";
import {
  blasLibrary,
  blasRequested,
  blasSgd,
  blasUnavailableReason,
  conv2dBackwardInputBlas,
  conv2dBackwardWeightBlas,
  conv2dForwardBlas,
  describeBlasLibrary,
  gemmBlas,
} from "./blas/mod.ts";
import { isMainThread } from "./blas/_ffi.ts";

/** Which kernel version runs, what it runs on, and why each other version does not. */
export interface KernelSelection {
  readonly version: KernelChoice;
  /** What the version runs on, e.g. `OpenBLAS 0.3.21 ... (libopenblas.so.0 via bun:ffi, ...)`. */
  readonly detail: string;
  /** Why this version: `SHARDGRAD_KERNELS=wasm` or `the best available`. */
  readonly why: string;
  /** One reason per version that does not run. */
  readonly skipped: Readonly<Partial<Record<KernelChoice, string>>>;
  /** The line printed at import (main thread) when what the environment asked for cannot run, else null. */
  readonly notice: string | null;
}

/** The kernel version of this thread (the same in every Worker: same environment, same search). */
export const kernelSelection: KernelSelection = selectKernels();

/** "blas", "wasm" or "ts": {@linkcode kernelSelection}'s version. */
export const kernelVersion: KernelChoice = kernelSelection.version;

/** True when the WebAssembly SIMD kernels run (convolutions and pooling under "blas" and "wasm"). */
export const simdKernels: boolean = kernelVersion !== "ts" && wasmSimdSupported();
/** The blas version's convolutions choose per shape between sgemm and the WebAssembly kernels. */
const blasConv = kernelVersion === "blas" && simdKernels;

/** The active GEMM; see gemm.ts for the contract. */
export const gemm: typeof gemmTs = kernelVersion === "blas"
  ? gemmBlas
  : simdKernels
  ? gemmWasm
  : gemmTs;
/** The active conv2d forward; see conv2d.ts for the contract. */
export const conv2dForward: typeof conv2dForwardTs = blasConv
  ? conv2dForwardBlas
  : simdKernels
  ? conv2dForwardWasm
  : conv2dForwardTs;
/** The active conv2d dL/dx; see conv2d.ts for the contract. */
export const conv2dBackwardInput: typeof conv2dBackwardInputTs = blasConv
  ? conv2dBackwardInputBlas
  : simdKernels
  ? conv2dBackwardInputWasm
  : conv2dBackwardInputTs;
/** The active conv2d dL/dweight; see conv2d.ts for the contract. */
export const conv2dBackwardWeight: typeof conv2dBackwardWeightTs = blasConv
  ? conv2dBackwardWeightBlas
  : simdKernels
  ? conv2dBackwardWeightWasm
  : conv2dBackwardWeightTs;
/** The active max-pool forward; see pool2d.ts for the contract. */
export const maxPool2dForward: typeof maxPool2dForwardTs = simdKernels
  ? maxPool2dForwardWasm
  : maxPool2dForwardTs;

/**
 * `ts` itself where the SIMD kernels do not run; otherwise `wasm` for calls whose range [lo, hi)
 * (arguments `loAt` and `loAt + 1`) holds at least `min` elements, `ts` for shorter ones, where
 * a WebAssembly call and its copies cost more than they save; both give the same values.
 */
function bySize<A extends unknown[], R>(
  ts: (...args: A) => R,
  wasm: (...args: A) => R,
  min: number,
  loAt: number,
): (...args: A) => R {
  if (!simdKernels) return ts;
  return (...args: A) =>
    ((args[loAt + 1] as number) - (args[loAt] as number) < min ? ts : wasm)(...args);
}

/** GELU's and ReLU's break-even range lengths (gelu_wasm.ts, relu_wasm.ts). */
const WASM_GELU_MIN = 256, WASM_RELU_MIN = 1024;
const { gelu, relu } = ACTIVATIONS_TS;

/**
 * elementwise.ts's activation table, with GELU's loops in WebAssembly f64x2 where the SIMD
 * kernels run (gelu_wasm.ts: bit-for-bit the same values, 3–4× faster on a transformer's MLP)
 * and ReLU's forward in f32x4 (relu_wasm.ts: the same values; 1.4–2.2× faster on a CNN's
 * activations that fit the cache, about even beyond it).
 */
// Where the SIMD kernels do not run, the table itself (not an equal copy of its rows).
export const ACTIVATIONS: typeof ACTIVATIONS_TS = simdKernels
  ? {
    ...ACTIVATIONS_TS,
    relu: {
      ...relu,
      forwardLoop: bySize(
        relu.forwardLoop,
        (x, y, _a, _b, lo, hi) => reluForwardWasm(x, y, lo, hi),
        WASM_RELU_MIN,
        4,
      ),
    },
    gelu: {
      ...gelu,
      forwardLoop: bySize(
        gelu.forwardLoop,
        (x, y, _a, _b, lo, hi) => geluForwardWasm(x, y, lo, hi),
        WASM_GELU_MIN,
        4,
      ),
      backwardLoop: bySize(
        gelu.backwardLoop,
        (x, gy, gx, _a, lo, hi) => geluBackwardWasm(x, gy, gx, lo, hi),
        WASM_GELU_MIN,
        4,
      ),
      forwardWithGradLoop: bySize(
        gelu.forwardWithGradLoop,
        (x, y, d, _a, _b, lo, hi) => geluForwardWithGradWasm(x, y, d, lo, hi),
        WASM_GELU_MIN,
        5,
      ),
    },
  }
  : ACTIVATIONS_TS;

/**
 * Below these many elements an optimizer loop's WebAssembly call and copies (~0.2 µs under Deno,
 * ~0.4 under Bun) cost more than they save: where the two break even, measured on both runtimes.
 */
const WASM_SGD_MIN = 1024, WASM_ADAM_MIN = 256, WASM_LION_MIN = 1024;

/**
 * The active SGD loop: optimizer.ts's for ranges below {@linkcode WASM_SGD_MIN} elements or where
 * the SIMD kernels do not run; else, where the blas version's library has an exact saxpy
 * (sgd_blas.ts), its three passes for plain momentum and plain SGD, which need no copies; else
 * optimizer_wasm.ts's (float32 four at a time). All give the same bits. On the MLP's 235k
 * parameters with momentum: TypeScript 1.03 ms (Deno) / 0.64 (Bun); WebAssembly with copies
 * 0.32 / 0.40, in place 0.05 (V8, fused) / 0.30; the library 0.06 under either runtime.
 */
export const sgdKernel: typeof sgdKernelTs = bySize(
  sgdKernelTs,
  kernelVersion === "blas" && blasSgd !== null ? blasSgd(sgdKernelWasm) : sgdKernelWasm,
  WASM_SGD_MIN,
  3,
);

/** The active Adam/AdamW loop, chosen as {@linkcode sgdKernel} (from {@linkcode WASM_ADAM_MIN} elements). */
export const adamKernel: typeof adamKernelTs = bySize(
  adamKernelTs,
  adamKernelWasm,
  WASM_ADAM_MIN,
  5,
);

/** The active RMSprop loop, chosen as {@linkcode sgdKernel} (from {@linkcode WASM_ADAM_MIN} elements). */
export const rmspropKernel: typeof rmspropKernelTs = bySize(
  rmspropKernelTs,
  rmspropKernelWasm,
  WASM_ADAM_MIN,
  5,
);

/** The active Adagrad loop, chosen as {@linkcode sgdKernel} (from {@linkcode WASM_ADAM_MIN} elements). */
export const adagradKernel: typeof adagradKernelTs = bySize(
  adagradKernelTs,
  adagradKernelWasm,
  WASM_ADAM_MIN,
  3,
);

/** The active Lion loop, chosen as {@linkcode sgdKernel} (from {@linkcode WASM_LION_MIN} elements). */
export const lionKernel: typeof lionKernelTs = bySize(
  lionKernelTs,
  lionKernelWasm,
  WASM_LION_MIN,
  3,
);

/**
 * The active firstNonFinite (finite.ts's contract): WebAssembly f32x4 where the SIMD kernels run,
 * for ranges of 1024 floats or more (~3× faster; the same index).
 */
export const firstNonFinite: typeof firstNonFiniteTs = bySize(
  firstNonFiniteTs,
  firstNonFiniteWasm,
  1024,
  1,
);

/**
 * One line for start-up reports: `kernels blas: OpenBLAS ... (...); not wasm: blas runs first; not ts: ...`.
 */
export function describeKernels(selection: KernelSelection = kernelSelection): string {
  const skipped = Object.entries(selection.skipped).map(([version, why]) =>
    `; not ${version}: ${why}`
  );
  return `kernels ${selection.version} (${selection.why}): ${selection.detail}${skipped.join("")}`;
}

export { gemmTs };
export * from "./blas/mod.ts";
export { conv2dBackwardInputTs, conv2dBackwardWeightTs, conv2dForwardTs };
export { maxPool2dForwardTs };
export { ACTIVATIONS_TS };
export { firstNonFiniteTs };
export { adagradKernelTs, adamKernelTs, lionKernelTs, rmspropKernelTs, sgdKernelTs };
export {
  type Conv2dGeometry,
  conv2dGeometry,
  type Conv2dGeometryInput,
  conv2dWorkspaceSize,
} from "./conv2d.ts";
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
export * from "./pixels.ts";
export * from "./recurrent.ts";
export * from "./attention.ts";
export * from "./finite.ts";
export * from "./optimizer.ts";

/** Picks the version (see the file's doc) and prints the notice, once, on the main thread. */
function selectKernels(): KernelSelection {
  const asked = kernelsFromEnv();
  const raw = envVariable("SHARDGRAD_KERNELS")?.trim();
  const cannot: Record<KernelChoice, string | null> = {
    blas: blasUnavailableReason(),
    wasm: wasmSimdSupported() ? null : "this runtime has no WebAssembly SIMD",
    ts: null,
  };
  // Asking for a version rules out those above it; below it is the fallback order.
  const from = asked === null ? 0 : KERNEL_CHOICES.indexOf(asked);
  const version = KERNEL_CHOICES.slice(from).find((v) => cannot[v] === null)!;
  const skipped: Partial<Record<KernelChoice, string>> = {};
  KERNEL_CHOICES.forEach((v, i) => {
    if (v === version) return;
    skipped[v] = i < from ? `SHARDGRAD_KERNELS=${asked}` : cannot[v] ?? `${version} runs first`;
  });
  const notices: string[] = [];
  if (raw && asked === null) {
    notices.push(
      `SHARDGRAD_KERNELS=${raw} is not one of ${KERNEL_CHOICES.join(", ")}; using ${version}`,
    );
  }
  if (asked !== null && version !== asked) {
    notices.push(`SHARDGRAD_KERNELS=${asked}, but ${cannot[asked]}; using ${version}`);
  } else if (blasRequested() !== undefined && version !== "blas" && from === 0) {
    notices.push(`${cannot.blas}; using ${version}`);
  }
  const notice = notices.length > 0 ? `shardgrad kernels: ${notices.join("; ")}` : null;
  if (notice !== null && isMainThread()) console.error(notice);
  const blas = blasLibrary();
  const wasm = wasmSimdSupported() ? `WebAssembly SIMD (${wasmGemmFlavor()})` : "plain TypeScript";
  const detail = version === "blas"
    ? `GEMM on ${
      describeBlasLibrary(blas!)
    }; convolutions on im2col + its sgemm or ${wasm} per shape and pass (blasConvPays); pooling on ${wasm}`
    : version === "wasm"
    ? wasm
    : "plain TypeScript";
  const why = asked === null
    ? "the best available"
    : asked === version
    ? `SHARDGRAD_KERNELS=${asked}`
    : `SHARDGRAD_KERNELS=${asked} cannot run`;
  return { version, detail, why, skipped, notice };
}
