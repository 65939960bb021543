/**
 * gemmBlas: the GEMM of gemm.ts on the platform's BLAS (OpenBLAS, MKL, BLIS, Accelerate)
 * through the runtime's FFI (Deno.dlopen, bun:ffi), one thread per caller. The library is
 * searched for once per thread (each Worker too) at import; where none is found, or FFI is not
 * permitted, {@linkcode blasLibrary} is null and {@linkcode blasUnavailableReason} says why.
 */

import type { GemmFunction } from "../wasm/gemm_wasm.ts";
import { type BlasProbe, probeBlas } from "./_search.ts";
import type { RawLevel1 } from "./_ffi.ts";
import { describeVendor, type Vendor } from "./_libraries.ts";

/** The library the blas kernels run on. */
export interface BlasLibraryInfo {
  /** The path or name it was opened by (SHARDGRAD_BLAS, or a name of the platform's list). */
  readonly path: string;
  readonly vendor: Vendor;
  /** What it says of itself (OpenBLAS's config string) or how fast it measured. */
  readonly detail: string;
  /** How its threads were limited to one. */
  readonly threads: string;
  /** The FFI that opened it: "Deno.dlopen" or "bun:ffi". */
  readonly ffi: string;
}

const probe: BlasProbe = probeBlas();
const raw = probe.library?.sgemm ?? null;

/** The library's cblas_saxpy and cblas_sscal (unchecked; sgd_blas.ts checks), or null. */
export function blasLevel1(): RawLevel1 | null {
  return probe.library?.level1 ?? null;
}

/** The library {@linkcode gemmBlas} calls here, or null when there is none. */
export function blasLibrary(): BlasLibraryInfo | null {
  if (probe.library === null) return null;
  const { path, vendor, detail, threads, ffi } = probe.library;
  return { path, vendor, detail, threads, ffi };
}

/** One line naming the library, e.g. `OpenBLAS 0.3.21 ... (libopenblas.so.0 via bun:ffi, openblas_set_num_threads(1))`. */
export function describeBlasLibrary(info: BlasLibraryInfo): string {
  // OpenBLAS names its version and CPU target itself; an unidentified library shows its speed.
  const name = info.vendor === "openblas"
    ? info.detail
    : info.vendor === "unknown"
    ? `${describeVendor(info.vendor)} (${info.detail})`
    : describeVendor(info.vendor);
  return `${name} (${info.path} via ${info.ffi}, threads: ${info.threads})`;
}

/** Why there is no library here (no FFI, no permission, what each candidate lacked), or null. */
export function blasUnavailableReason(): string | null {
  if (probe.library !== null) return null;
  if (probe.unavailable !== null) return probe.unavailable;
  const tried = probe.skipped.join("; ");
  return probe.requested !== undefined
    ? `SHARDGRAD_BLAS=${probe.requested} cannot be used (${tried})`
    : `no CBLAS library found (${tried})`;
}

/** SHARDGRAD_BLAS as read at import (undefined when unset or unreadable). */
export function blasRequested(): string | undefined {
  return probe.requested;
}

/**
 * C = alpha·op(A)·op(B) + beta·C (BLAS sgemm semantics, row-major) by the library's
 * cblas_sgemm, on the caller's memory (SharedArrayBuffer-backed views too): no copies.
 *
 * - op(A) is [m, k]: A is stored [m, k] with row stride `lda`, or [k, m] if `transA`.
 * - op(B) is [k, n]: B is stored [k, n] with row stride `ldb`, or [n, k] if `transB`.
 * - C is [m, n] with row stride `ldc`; offsets are element offsets into each array.
 * - `beta === 0` overwrites C (NaN or Inf already in C is ignored, as BLAS does).
 * - C must not overlap A or B.
 *
 * Native code writes where it is told, so every operand's extent is checked against its array
 * first (a RangeError names the operand); a row stride below the row length (rows that overlap)
 * is refused, as BLAS does. k = 0 or alpha = 0 only scales C, here. Results differ from gemm.ts
 * in the last bits (float32 sums, blocked and fused differently).
 *
 * @throws {Error} where {@linkcode blasLibrary} is null: use gemm.ts or gemmWasm there.
 *
 * @example
 * ```ts
 * import { blasLibrary, gemmBlas } from "./gemm_blas.ts";
 * if (blasLibrary() !== null) {
 *   const a = new Float32Array([1, 2, 3, 4]); // [2, 2]
 *   const c = new Float32Array(4);
 *   gemmBlas(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
 *   console.log(c); // Float32Array [7, 10, 15, 22]
 * }
 * ```
 */
export const gemmBlas: GemmFunction = (
  transA,
  transB,
  m,
  n,
  k,
  alpha,
  a,
  aOffset,
  lda,
  b,
  bOffset,
  ldb,
  beta,
  c,
  cOffset,
  ldc,
) => {
  if (raw === null) {
    throw new Error(
      `Cannot run gemmBlas: ${blasUnavailableReason()}; use gemm from gemm.ts or gemmWasm`,
    );
  }
  if (m <= 0 || n <= 0) return;
  ldc = stride("C", c, cOffset, m, n, ldc);
  if (k <= 0 || alpha === 0) {
    scaleC(m, n, beta, c, cOffset, ldc);
    return;
  }
  lda = transA ? stride("A", a, aOffset, k, m, lda) : stride("A", a, aOffset, m, k, lda);
  ldb = transB ? stride("B", b, bOffset, n, k, ldb) : stride("B", b, bOffset, k, n, ldb);
  raw(transA, transB, m, n, k, alpha, a, aOffset, lda, b, bOffset, ldb, beta, c, cOffset, ldc);
};

/**
 * Checks that a stored [rows, cols] operand lies inside its array and returns the row stride
 * to pass to BLAS (a single row's stride does not matter, but BLAS still wants ≥ cols).
 */
function stride(
  name: string,
  x: Float32Array,
  offset: number,
  rows: number,
  cols: number,
  ld: number,
): number {
  if (rows === 1) ld = Math.max(ld, cols);
  if (!Number.isInteger(offset) || offset < 0 || !Number.isInteger(ld) || ld < cols) {
    throw new RangeError(
      `Cannot run gemmBlas: ${name} [${rows}, ${cols}] needs an offset ≥ 0 and a row stride ≥ ${cols}, got offset ${offset}, stride ${ld}`,
    );
  }
  const end = offset + (rows - 1) * ld + cols;
  if (end > x.length) {
    throw new RangeError(
      `Cannot run gemmBlas: ${name} [${rows}, ${cols}] with row stride ${ld} from offset ${offset} needs ${end} elements, its array has ${x.length}`,
    );
  }
  return ld;
}

/** C = beta·C over the [m, n] window (beta = 0 writes zeros, so NaN in C does not survive). */
function scaleC(
  m: number,
  n: number,
  beta: number,
  c: Float32Array,
  cOffset: number,
  ldc: number,
): void {
  if (beta === 1) return;
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j] *= beta;
  }
}
