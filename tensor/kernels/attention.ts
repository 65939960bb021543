/**
 * Attention kernels: GEMM batched over (batch, head) pairs of strided matrices, and the
 * masked softmax of attention scores with its backward.
 *
 * The heads of a projection [rows, E] are never copied out: head h of batch element b is
 * the [len, D] matrix starting at `offset + b·batchStride + h·headStride` whose rows sit
 * `ld` apart (for a [L, N, E] sequence-first input, batchStride E, headStride D, ld N·E),
 * so the per-head products run on the projections in place.
 */

import { gemm } from "./mod.ts";
import { expNonPositive } from "./_fast_exp.ts";

/** A batch × heads family of row-major matrices inside one array (see the module doc). */
export interface StridedMatrices {
  data: Float32Array;
  offset: number;
  batchStride: number;
  headStride: number;
  /** Distance between consecutive rows of one matrix. */
  ld: number;
}

/**
 * For every b < batch, h < heads: C_bh = alpha·op(A_bh)·op(B_bh) + beta·C_bh, with gemm's
 * conventions (op(A) [m, k], op(B) [k, n], C [m, n]); runs the active gemm (WebAssembly SIMD
 * where supported) once per pair. The C matrices must not overlap A, B or each other.
 */
export function gemmBatched(
  transA: boolean,
  transB: boolean,
  batch: number,
  heads: number,
  m: number,
  n: number,
  k: number,
  alpha: number,
  a: StridedMatrices,
  b: StridedMatrices,
  beta: number,
  c: StridedMatrices,
): void {
  for (let i = 0; i < batch; i++) {
    for (let h = 0; h < heads; h++) {
      gemm(
        transA,
        transB,
        m,
        n,
        k,
        alpha,
        a.data,
        a.offset + i * a.batchStride + h * a.headStride,
        a.ld,
        b.data,
        b.offset + i * b.batchStride + h * b.headStride,
        b.ld,
        beta,
        c.data,
        c.offset + i * c.batchStride + h * c.headStride,
        c.ld,
      );
    }
  }
}

/** The masks of one attention call (all additive; a boolean mask arrives as 0 / −Infinity). */
export interface AttentionMasks {
  /** [L, S] shared by every (batch, head), or [batch·heads, L, S] (`perHead`); null: none. */
  attn: Float32Array | null;
  perHead: boolean;
  /** [batch, S], added to every query row of that batch element; null: none. */
  padding: Float32Array | null;
  /** Key j > query i is masked (top-left aligned, as scaled_dot_product_attention's is_causal). */
  causal: boolean;
}

/**
 * In place over scores [batch, heads, L, S]: adds the masks and takes the softmax of each
 * row of S. A row whose every key is masked comes out NaN, as in PyTorch (softmax of all −∞);
 * a causal row never touches its keys j > i, which come out 0.
 */
export function attentionSoftmaxForward(
  scores: Float32Array,
  batch: number,
  heads: number,
  l: number,
  s: number,
  masks: AttentionMasks,
): void {
  const { attn, perHead, padding, causal } = masks;
  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < heads; h++) {
      const bh = b * heads + h;
      for (let i = 0; i < l; i++) {
        const row = (bh * l + i) * s;
        const mRow = attn === null ? -1 : ((perHead ? bh * l : 0) + i) * s;
        const end = causal ? Math.min(i + 1, s) : s;
        let max = -Infinity;
        for (let j = 0; j < end; j++) {
          let v = scores[row + j];
          if (mRow >= 0) v += attn![mRow + j];
          if (padding !== null) v += padding[b * s + j];
          scores[row + j] = v;
          if (v > max) max = v;
        }
        if (max === -Infinity) {
          for (let j = 0; j < s; j++) scores[row + j] = NaN;
          continue;
        }
        let sum = 0;
        for (let j = 0; j < end; j++) {
          const e = expNonPositive(scores[row + j] - max); // ≤ 0; inlined, Math.exp is a call
          scores[row + j] = e;
          sum += e;
        }
        const inv = 1 / sum;
        for (let j = 0; j < end; j++) scores[row + j] *= inv;
        for (let j = end; j < s; j++) scores[row + j] = 0;
      }
    }
  }
}

/**
 * Backward of `attentionSoftmaxForward` (the masks are constants): per row,
 * gScores[j] = p[j]·(gProbs[j] − Σ_k gProbs[k]·p[k]); masked keys (p = 0) get 0, a causal
 * row's keys j > i get exactly 0, a NaN row stays NaN. `gScores` may alias `gProbs`.
 *
 * @param probs the forward's output [rows, S], rows = batch·heads·L
 */
export function attentionSoftmaxBackward(
  probs: Float32Array,
  gProbs: Float32Array,
  gScores: Float32Array,
  rows: number,
  l: number,
  s: number,
  causal: boolean,
): void {
  for (let r = 0; r < rows; r++) {
    const row = r * s;
    const end = causal ? Math.min((r % l) + 1, s) : s;
    let dot = 0;
    for (let j = 0; j < end; j++) dot += gProbs[row + j] * probs[row + j];
    for (let j = 0; j < end; j++) gScores[row + j] = probs[row + j] * (gProbs[row + j] - dot);
    for (let j = end; j < s; j++) gScores[row + j] = 0;
  }
}

/** A boolean mask (nonzero = masked) as an additive one: 0 where allowed, −Infinity where masked. */
export function booleanMaskToAdditive(mask: Uint8Array, out: Float32Array): void {
  for (let i = 0; i < mask.length; i++) out[i] = mask[i] === 0 ? 0 : -Infinity;
}

/** out[b, i] = mean over h of probs[b, h, i] for probs [batch, heads, inner] (head-averaged weights). */
export function meanOverHeads(
  probs: Float32Array,
  out: Float32Array,
  batch: number,
  heads: number,
  inner: number,
): void {
  for (let b = 0; b < batch; b++) {
    for (let i = 0; i < inner; i++) {
      let sum = 0;
      for (let h = 0; h < heads; h++) sum += probs[(b * heads + h) * inner + i];
      out[b * inner + i] = sum / heads;
    }
  }
}

/**
 * y[o, r, c] += rows[r, c] for y viewed as [outer, count, size] and `rows` [count, size] —
 * or, with `rowsOuter`, y[r, o, c] += rows[r, c] for y [count, outer, size] (positions
 * added to a sequence-first batch).
 */
export function addRowsForward(
  y: Float32Array,
  rows: Float32Array,
  outer: number,
  count: number,
  size: number,
  rowsOuter: boolean,
): void {
  for (let o = 0; o < outer; o++) {
    for (let r = 0; r < count; r++) {
      const base = (rowsOuter ? r * outer + o : o * count + r) * size;
      const src = r * size;
      for (let c = 0; c < size; c++) y[base + c] += rows[src + c];
    }
  }
}

/** Backward of `addRowsForward`: gRows[r, c] += Σ_o gy at (o, r, c) (float64 sums), ACCUMULATES. */
export function addRowsBackward(
  gy: Float32Array,
  gRows: Float32Array,
  outer: number,
  count: number,
  size: number,
  rowsOuter: boolean,
): void {
  for (let r = 0; r < count; r++) {
    for (let c = 0; c < size; c++) {
      let sum = 0;
      for (let o = 0; o < outer; o++) {
        sum += gy[(rowsOuter ? r * outer + o : o * count + r) * size + c];
      }
      gRows[r * size + c] += sum;
    }
  }
}
