/** gemmNaive: the readable triple-loop matrix product, kept as the oracle for faster GEMMs. */

/**
 * C = alpha·op(A)·op(B) + beta·C, one dot product per output element.
 *
 * - op(A) is [m, k]: A is stored [m, k] with row stride `lda`, or [k, m] if `transA`.
 * - op(B) is [k, n]: B is stored [k, n] with row stride `ldb`, or [n, k] if `transB`.
 * - C is [m, n] with row stride `ldc`; offsets are element offsets into each array.
 * - `beta === 0` overwrites C (NaN or Inf already in C is ignored, as BLAS does).
 * - C must not overlap A or B.
 *
 * Sums are accumulated in float64 and rounded once when stored.
 *
 * @example
 * ```ts
 * import { gemmNaive } from "./gemm_naive.ts";
 * const a = new Float32Array([1, 2, 3, 4]); // [2, 2]
 * const c = new Float32Array(4);
 * gemmNaive(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
 * console.log(c); // Float32Array [7, 10, 15, 22]
 * ```
 */
export function gemmNaive(
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: Float32Array,
  aOffset: number,
  lda: number,
  b: Float32Array,
  bOffset: number,
  ldb: number,
  beta: number,
  c: Float32Array,
  cOffset: number,
  ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let sum = 0;
      for (let p = 0; p < k; p++) {
        const aip = transA ? a[aOffset + p * lda + i] : a[aOffset + i * lda + p];
        const bpj = transB ? b[bOffset + j * ldb + p] : b[bOffset + p * ldb + j];
        sum += aip * bpj;
      }
      const ci = cOffset + i * ldc + j;
      c[ci] = beta === 0 ? alpha * sum : alpha * sum + beta * c[ci];
    }
  }
}
