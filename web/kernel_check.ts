/**
 * The test page's kernel check, run in the page and in a Web Worker: which kernel version
 * the switch chose there, and both the WebAssembly GEMM and the plain-TypeScript GEMM run on
 * the same operands and agree (a wrong or missing WebAssembly build is a loud failure).
 */

import { gemmTs, gemmWasm, kernelSelection, wasmGemmFlavor } from "../tensor/kernels/mod.ts";
import { Rng } from "../tensor/rng.ts";

/** What one thread's kernels did. */
export interface KernelReport {
  /** "page" or "worker". */
  where: string;
  /** The version the kernel switch chose ("wasm" where SIMD runs, "ts" otherwise). */
  version: string;
  /** "relaxed-simd", "simd" or null (no WebAssembly SIMD here). */
  wasmFlavor: string | null;
  /** Largest |gemmWasm − gemmTs| over a 37×53·53×41 product (null where SIMD cannot run). */
  maxDifference: number | null;
  /** The TS GEMM's result checked against a naive triple loop. */
  tsCorrect: boolean;
}

/** Runs both GEMMs on seeded operands and reports; `where` names the thread. */
export function checkKernels(where: string): KernelReport {
  const m = 37, k = 53, n = 41;
  const rng = new Rng(7);
  const a = Float32Array.from({ length: m * k }, () => rng.random() - 0.5);
  const b = Float32Array.from({ length: k * n }, () => rng.random() - 0.5);
  const reference = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) sum += a[i * k + p] * b[p * n + j];
      reference[i * n + j] = sum;
    }
  }
  const cTs = new Float32Array(m * n);
  gemmTs(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, cTs, 0, n);
  const tsCorrect = cTs.every((value, i) => Math.abs(value - reference[i]) < 1e-4);
  const flavor = wasmGemmFlavor();
  let maxDifference: number | null = null;
  if (flavor !== null) {
    const cWasm = new Float32Array(m * n);
    gemmWasm(false, false, m, n, k, 1, a, 0, k, b, 0, n, 0, cWasm, 0, n);
    maxDifference = 0;
    for (let i = 0; i < cWasm.length; i++) {
      maxDifference = Math.max(maxDifference, Math.abs(cWasm[i] - cTs[i]));
    }
  }
  return { where, version: kernelSelection.version, wasmFlavor: flavor, maxDifference, tsCorrect };
}
