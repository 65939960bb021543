/**
 * gemm: general matrix multiply C = alpha·op(A)·op(B) + beta·C on Float32Array, cache-blocked.
 *
 * The classic Goto/BLIS structure in plain TypeScript: op(B) is packed into a
 * [KC, NC] panel and op(A) into an [MC, KC] block (both float64, so the inner loop
 * does no float32→float64 conversions), then a 2×3 register-tiled micro-kernel
 * computes each 2×3 tile of C from a 2-row sliver of A and a 3-column sliver of B.
 * The tile is small on purpose: 6 accumulators plus 5 operands fit in the 16 SIMD
 * registers that V8 allocates, and larger tiles spill to the stack under V8.
 * `gemmNaive` in gemm_naive.ts is the readable oracle this file is tested against.
 */

/** Rows of A per micro-tile. */
const MR = 2;
/** Columns of B per micro-tile. */
const NR = 3;
/** Depth of a packed panel (the k range one micro-kernel call covers). */
const KC = 256;
/** Rows of op(A) per packed block (a multiple of MR). */
const MC = 96;
/** Columns of op(B) per packed panel (a multiple of NR). */
const NC = 1536;

// Packing scratch, grown on demand and reused by every call (never allocated inside loops).
let packedA = new Float64Array(0);
let packedB = new Float64Array(0);

function ensureScratch(aSize: number, bSize: number): void {
  if (packedA.length < aSize) packedA = new Float64Array(aSize);
  if (packedB.length < bSize) packedB = new Float64Array(bSize);
}

/**
 * C = alpha·op(A)·op(B) + beta·C (BLAS sgemm semantics, row-major).
 *
 * - op(A) is [m, k]: A is stored [m, k] with row stride `lda`, or [k, m] if `transA`.
 * - op(B) is [k, n]: B is stored [k, n] with row stride `ldb`, or [n, k] if `transB`.
 * - C is [m, n] with row stride `ldc`; offsets are element offsets into each array.
 * - `beta === 0` overwrites C (NaN or Inf already in C is ignored, as BLAS does).
 * - C must not overlap A or B.
 *
 * Products are summed in float64 over blocks of 256 terms and added to C in float32.
 *
 * @example
 * ```ts
 * import { gemm } from "./gemm.ts";
 * const a = new Float32Array([1, 2, 3, 4]); // [2, 2]
 * const c = new Float32Array(4);
 * gemm(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
 * console.log(c); // Float32Array [7, 10, 15, 22]
 * ```
 */
export function gemm(
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
  if (m <= 0 || n <= 0) return;
  if (beta !== 1) scaleC(m, n, beta, c, cOffset, ldc);
  if (k <= 0 || alpha === 0) return;
  const kcMax = Math.min(KC, k);
  ensureScratch(roundUp(Math.min(MC, m), MR) * kcMax, roundUp(Math.min(NC, n), NR) * kcMax);
  const pa = packedA, pb = packedB;
  for (let jc = 0; jc < n; jc += NC) {
    const nc = Math.min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = Math.min(KC, k - pc);
      packB(transB, kc, nc, b, transB ? bOffset + jc * ldb + pc : bOffset + pc * ldb + jc, ldb, pb);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = Math.min(MC, m - ic);
        const aStart = transA ? aOffset + pc * lda + ic : aOffset + ic * lda + pc;
        packA(transA, mc, kc, alpha, a, aStart, lda, pa);
        for (let jr = 0; jr < nc; jr += NR) {
          const nr = Math.min(NR, nc - jr);
          for (let ir = 0; ir < mc; ir += MR) {
            const tile = cOffset + (ic + ir) * ldc + jc + jr;
            microKernel(kc, pa, ir * kc, pb, jr * kc, c, tile, ldc, Math.min(MR, mc - ir), nr);
          }
        }
      }
    }
  }
}

function roundUp(x: number, multiple: number): number {
  return Math.ceil(x / multiple) * multiple;
}

/** C = beta·C over the [m, n] window; beta = 0 writes zeros so NaN in C does not survive. */
function scaleC(
  m: number,
  n: number,
  beta: number,
  c: Float32Array,
  cOffset: number,
  ldc: number,
): void {
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j] *= beta;
  }
}

/**
 * Packs alpha·op(A)[0:mc, 0:kc] (starting at `start`) as slivers of MR rows, each stored [kc, MR]
 * (rows past mc are zero), so the micro-kernel reads A with unit stride.
 */
function packA(
  transA: boolean,
  mc: number,
  kc: number,
  alpha: number,
  a: Float32Array,
  start: number,
  lda: number,
  pa: Float64Array,
): void {
  let o = 0;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = Math.min(MR, mc - ir);
    if (mr === MR && !transA) {
      for (let p = 0, r0 = start + ir * lda, r1 = r0 + lda; p < kc; p++, o += MR) {
        pa[o] = alpha * a[r0 + p];
        pa[o + 1] = alpha * a[r1 + p];
      }
    } else if (mr === MR) {
      for (let p = 0, src = start + ir; p < kc; p++, src += lda, o += MR) {
        pa[o] = alpha * a[src];
        pa[o + 1] = alpha * a[src + 1];
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let i = 0; i < MR; i++) {
          pa[o++] = i < mr
            ? alpha * (transA ? a[start + p * lda + ir + i] : a[start + (ir + i) * lda + p])
            : 0;
        }
      }
    }
  }
}

/**
 * Packs op(B)[0:kc, 0:nc] (starting at `start`) as slivers of NR columns, each stored [kc, NR]
 * (columns past nc are zero), so the micro-kernel reads B with unit stride.
 */
function packB(
  transB: boolean,
  kc: number,
  nc: number,
  b: Float32Array,
  start: number,
  ldb: number,
  pb: Float64Array,
): void {
  let o = 0;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = Math.min(NR, nc - jr);
    if (nr === NR && !transB) {
      for (let p = 0, src = start + jr; p < kc; p++, src += ldb, o += NR) {
        pb[o] = b[src];
        pb[o + 1] = b[src + 1];
        pb[o + 2] = b[src + 2];
      }
    } else if (nr === NR) {
      for (let p = 0, r0 = start + jr * ldb, r1 = r0 + ldb, r2 = r1 + ldb; p < kc; p++, o += NR) {
        pb[o] = b[r0 + p];
        pb[o + 1] = b[r1 + p];
        pb[o + 2] = b[r2 + p];
      }
    } else {
      for (let p = 0; p < kc; p++) {
        for (let j = 0; j < NR; j++) {
          pb[o++] = j < nr
            ? (transB ? b[start + (jr + j) * ldb + p] : b[start + p * ldb + jr + j])
            : 0;
        }
      }
    }
  }
}

/**
 * C[0:mr, 0:nr] += Σ_p packedA[p, 0:2]ᵀ · packedB[p, 0:3] for one 2×3 tile; the 6 sums live in locals.
 * `| 0` keeps index arithmetic in int32 so V8 emits no overflow checks in the loop.
 */
function microKernel(
  kc: number,
  pa: Float64Array,
  ai: number,
  pb: Float64Array,
  bi: number,
  c: Float32Array,
  ci: number,
  ldc: number,
  mr: number,
  nr: number,
): void {
  let c00 = 0, c01 = 0, c02 = 0;
  let c10 = 0, c11 = 0, c12 = 0;
  const end = (ai + kc * MR) | 0;
  for (; ai < end; ai = (ai + MR) | 0, bi = (bi + NR) | 0) {
    const a0 = pa[ai], a1 = pa[(ai + 1) | 0];
    const b0 = pb[bi], b1 = pb[(bi + 1) | 0], b2 = pb[(bi + 2) | 0];
    c00 += a0 * b0;
    c01 += a0 * b1;
    c02 += a0 * b2;
    c10 += a1 * b0;
    c11 += a1 * b1;
    c12 += a1 * b2;
  }
  if (mr === MR && nr === NR) {
    c[ci] += c00;
    c[ci + 1] += c01;
    c[ci + 2] += c02;
    c[ci + ldc] += c10;
    c[ci + ldc + 1] += c11;
    c[ci + ldc + 2] += c12;
    return;
  }
  c[ci] += c00;
  if (nr > 1) c[ci + 1] += c01;
  if (nr > 2) c[ci + 2] += c02;
  if (mr > 1) {
    c[ci + ldc] += c10;
    if (nr > 1) c[ci + ldc + 1] += c11;
    if (nr > 2) c[ci + ldc + 2] += c12;
  }
}
