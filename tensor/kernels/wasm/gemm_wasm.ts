/** gemmWasm: the GEMM of gemm.ts on WebAssembly SIMD (f32x4), with relaxed-SIMD FMA where available. */

import {
  bestInstance,
  KC,
  loadWasmInstance,
  MC,
  NC,
  requireInstance,
  type WasmGemmFlavor,
  type WasmInstance,
  WORK,
} from "./_instance.ts";

export type { WasmGemmFlavor };

/** The signature shared by every GEMM version (gemm.ts, gemm_naive.ts, this file). */
export type GemmFunction = (
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
) => void;

/** Options of {@linkcode createWasmGemm}. */
export interface WasmGemmOptions {
  /**
   * Most bytes of WebAssembly memory one call may use (clamped to [1 MiB, 1 GiB]); larger
   * products are split into column, row or depth blocks that fit. The memory never shrinks.
   * @default 67108864 (64 MiB)
   */
  maxBytes?: number;
}

function roundUp(x: number, multiple: number): number {
  return Math.ceil(x / multiple) * multiple;
}

/** Floats a [rows, cols] matrix with row stride ld takes in wasm memory: its span, unless gappy. */
function placedFloats(rows: number, cols: number, ld: number): number {
  const span = (rows - 1) * ld + cols;
  return span <= 2 * rows * cols + 4096 ? span : rows * cols;
}

/**
 * Copies a [rows, cols] matrix (row stride ld, from src[offset]) into heap[at...]: its whole span
 * in one copy, or row by row with stride cols when the gaps between rows would dominate.
 * Returns the row stride it has in heap.
 */
function copyIn(
  src: Float32Array,
  offset: number,
  rows: number,
  cols: number,
  ld: number,
  heap: Float32Array,
  at: number,
): number {
  const span = (rows - 1) * ld + cols;
  if (span === placedFloats(rows, cols, ld)) {
    heap.set(src.subarray(offset, offset + span), at);
    return ld;
  }
  for (let r = 0; r < rows; r++) {
    for (let j = 0, s = offset + r * ld, d = at + r * cols; j < cols; j++) heap[d + j] = src[s + j];
  }
  return cols;
}

/** C = beta·C over the [m, n] window (beta = 0 writes zeros, so NaN in C does not survive). */
function scaleC(m: number, n: number, beta: number, c: Float32Array, cOffset: number, ldc: number) {
  for (let i = 0; i < m; i++) {
    const row = cOffset + i * ldc;
    if (beta === 0) c.fill(0, row, row + n);
    else for (let j = row; j < row + n; j++) c[j] *= beta;
  }
}

/** A GEMM bound to one instance (its own memory) of one flavor. */
function bind(instance: WasmInstance, maxBytes: number): GemmFunction {
  const { exports } = instance;

  /** Byte addresses of one block's operands, [work | A | B | C], each part 16-byte aligned. */
  function layout(
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    lda: number,
    ldb: number,
    ldc: number,
  ) {
    const aAt = roundUp(WORK + (MC * KC + KC * Math.min(NC, roundUp(n, 8))) * 4, 16);
    const bAt = roundUp(aAt + 4 * (transA ? placedFloats(k, m, lda) : placedFloats(m, k, lda)), 16);
    const cAt = roundUp(bAt + 4 * (transB ? placedFloats(n, k, ldb) : placedFloats(k, n, ldb)), 16);
    return { aAt, bAt, cAt, end: cAt + 4 * placedFloats(m, n, ldc) };
  }

  /** One product that fits maxBytes: copy in, multiply in wasm, copy C out. */
  const block: GemmFunction = (
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
    const { aAt, bAt, cAt, end } = layout(transA, transB, m, n, k, lda, ldb, ldc);
    const h = instance.reserve(end);
    const ldaW = transA
      ? copyIn(a, aOffset, k, m, lda, h, aAt >> 2)
      : copyIn(a, aOffset, m, k, lda, h, aAt >> 2);
    const ldbW = transB
      ? copyIn(b, bOffset, n, k, ldb, h, bAt >> 2)
      : copyIn(b, bOffset, k, n, ldb, h, bAt >> 2);
    const cSpan = (m - 1) * ldc + n;
    const cWhole = cSpan === placedFloats(m, n, ldc);
    // C comes in when its values matter (beta ≠ 0) or when its span holds the caller's gaps.
    if (beta !== 0 || (cWhole && ldc !== n)) copyIn(c, cOffset, m, n, ldc, h, cAt >> 2);
    const overwrite = beta === 0 ? 1 : 0;
    const ldcW = cWhole ? ldc : n;
    exports.gemm(
      +transA,
      +transB,
      m,
      n,
      k,
      aAt,
      ldaW,
      bAt,
      ldbW,
      cAt,
      ldcW,
      alpha,
      beta,
      overwrite,
      WORK,
    );
    if (cWhole) {
      c.set(h.subarray(cAt >> 2, (cAt >> 2) + cSpan), cOffset);
    } else {
      for (let i = 0; i < m; i++) {
        for (let j = 0, s = (cAt >> 2) + i * n, d = cOffset + i * ldc; j < n; j++) {
          c[d + j] = h[s + j];
        }
      }
    }
  };

  return function gemmWasm(
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
  ) {
    if (m <= 0 || n <= 0) return;
    if (k <= 0 || alpha === 0) {
      scaleC(m, n, beta, c, cOffset, ldc);
      return;
    }
    // Blocks of at most mb×nb×kb whose operands fit maxBytes: halve the largest side until they do.
    let mb = m, nb = n, kb = k;
    while (layout(transA, transB, mb, nb, kb, lda, ldb, ldc).end > maxBytes && mb * nb * kb > 1) {
      if (mb >= nb && mb >= kb) mb = Math.ceil(mb / 2);
      else if (nb >= kb) nb = Math.ceil(nb / 2);
      else kb = Math.ceil(kb / 2);
    }
    for (let i0 = 0; i0 < m; i0 += mb) {
      for (let j0 = 0; j0 < n; j0 += nb) {
        for (let p0 = 0; p0 < k; p0 += kb) {
          // Depth blocks after the first add onto C (beta = 1).
          block(
            transA,
            transB,
            Math.min(mb, m - i0),
            Math.min(nb, n - j0),
            Math.min(kb, k - p0),
            alpha,
            a,
            aOffset + (transA ? p0 * lda + i0 : i0 * lda + p0),
            lda,
            b,
            bOffset + (transB ? j0 * ldb + p0 : p0 * ldb + j0),
            ldb,
            p0 === 0 ? beta : 1,
            c,
            cOffset + i0 * ldc + j0,
            ldc,
          );
        }
      }
    }
  };
}

/**
 * A fresh GEMM of the given flavor with its own WebAssembly instance and memory, or null where
 * the runtime cannot run that flavor. For tests and benchmarks that compare flavors; everyone
 * else calls {@linkcode gemmWasm}.
 */
export function createWasmGemm(
  flavor: WasmGemmFlavor,
  options: WasmGemmOptions = {},
): GemmFunction | null {
  const instance = loadWasmInstance(flavor);
  return instance === null ? null : bind(instance, clampMaxBytes(options.maxBytes));
}

function clampMaxBytes(maxBytes = 2 ** 26): number {
  return Math.min(2 ** 30, Math.max(2 ** 20, maxBytes));
}

const best = bestInstance === null ? null : bind(bestInstance, clampMaxBytes());

/** True when this runtime runs WebAssembly with 128-bit SIMD, so {@linkcode gemmWasm} works. */
export function wasmSimdSupported(): boolean {
  return bestInstance !== null;
}

/** The flavor {@linkcode gemmWasm} runs here, or null without WebAssembly SIMD. */
export function wasmGemmFlavor(): WasmGemmFlavor | null {
  return bestInstance?.flavor ?? null;
}

/**
 * C = alpha·op(A)·op(B) + beta·C (BLAS sgemm semantics, row-major), in WebAssembly SIMD.
 *
 * - op(A) is [m, k]: A is stored [m, k] with row stride `lda`, or [k, m] if `transA`.
 * - op(B) is [k, n]: B is stored [k, n] with row stride `ldb`, or [n, k] if `transB`.
 * - C is [m, n] with row stride `ldc`; offsets are element offsets into each array.
 * - `beta === 0` overwrites C (NaN or Inf already in C is ignored, as BLAS does).
 * - C must not overlap A or B.
 *
 * A, B and C are copied into the module's memory (O(mn + mk + kn)), packed there into panels
 * and multiplied by a 4×8 f32x4 micro-kernel (O(mnk)); C is copied back. Products are summed
 * in float32 over blocks of 256 terms (relaxed-SIMD builds may fuse each multiply-add), so
 * results differ from gemm.ts in the last bits. Each thread (Worker) compiles the module once,
 * at import. Throws where {@linkcode wasmSimdSupported} is false: use gemm.ts there.
 *
 * @example
 * ```ts
 * import { gemmWasm, wasmSimdSupported } from "./gemm_wasm.ts";
 * if (wasmSimdSupported()) {
 *   const a = new Float32Array([1, 2, 3, 4]); // [2, 2]
 *   const c = new Float32Array(4);
 *   gemmWasm(false, false, 2, 2, 2, 1, a, 0, 2, a, 0, 2, 0, c, 0, 2);
 *   console.log(c); // Float32Array [7, 10, 15, 22]
 * }
 * ```
 */
export const gemmWasm: GemmFunction = best ?? (() => {
  requireInstance("gemmWasm", "gemm from gemm.ts"); // throws: there is no instance
});
