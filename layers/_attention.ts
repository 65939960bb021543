/** Internal helpers of MultiheadAttention: input shapes, head views, mask checks and the in-projections. */

import type { Tensor } from "../tensor/tensor.ts";
import type { Parameter } from "../tensor/parameter.ts";
import { formatShape } from "../tensor/shape.ts";
import { describeValue } from "../tensor/options.ts";
import {
  type AttentionMasks,
  biasAddBackward,
  booleanMaskToAdditive,
  gemm,
  repeatRows,
  type StridedMatrices,
} from "../tensor/kernels/mod.ts";

/** A mask: a boolean `Uint8Array` (1 = masked, 0 = allowed) or an additive float `Tensor`. */
export type AttentionMask = Tensor | Uint8Array;

/** How a sequence tensor is laid out: `n` batch elements of `len` steps of `dim` features. */
export interface SequenceShape {
  n: number;
  len: number;
  dim: number;
  /** Rows of one step are consecutive per batch element ([N, L, E] or unbatched [L, E]). */
  batchFirst: boolean;
  unbatched: boolean;
}

/** Reads `t` as [L, N, dim] / [N, L, dim] (batchFirst) or unbatched [L, dim]; TypeError otherwise. */
export function sequenceShape(
  t: Tensor,
  name: string,
  dim: number,
  batchFirst: boolean,
  where: string,
): SequenceShape {
  const s = t.shape;
  const layout = batchFirst ? `[N, L, ${dim}]` : `[L, N, ${dim}]`;
  if ((s.length !== 2 && s.length !== 3) || s[s.length - 1] !== dim || s.includes(0)) {
    throw new TypeError(
      `${where}: expected ${name} ${layout} (or unbatched [L, ${dim}]), got ${formatShape(s)}`,
    );
  }
  if (s.length === 2) return { n: 1, len: s[0], dim, batchFirst: true, unbatched: true };
  const [n, len] = batchFirst ? [s[0], s[1]] : [s[1], s[0]];
  return { n, len, dim, batchFirst, unbatched: false };
}

/** The heads of a [rows, ld]-strided projection whose features start at `offset` (see kernels/attention.ts). */
export function headViews(
  data: Float32Array,
  offset: number,
  ld: number,
  shape: SequenceShape,
  headDim: number,
): StridedMatrices {
  return shape.batchFirst
    ? { data, offset, batchStride: shape.len * ld, headStride: headDim, ld }
    : { data, offset, batchStride: ld, headStride: headDim, ld: shape.n * ld };
}

/**
 * Where one input projection reads its weight [outDim, inDim] and bias [outDim]: the q, k or
 * v part of the packed in_proj_weight (outDim E, at an offset), a separate q/k/v_proj_weight,
 * or all of in_proj_weight at once (outDim 3E) for self-attention.
 */
export interface Projection {
  weight: Parameter;
  wOffset: number;
  inDim: number;
  outDim: number;
  bias: Parameter | null;
  bOffset: number;
}

/** out[rows, outDim] = x[rows, inDim]·Wᵀ + b. */
export function projectForward(
  p: Projection,
  x: Float32Array,
  rows: number,
  out: Float32Array,
): void {
  const { inDim: k, outDim: e } = p;
  // b's rows as C, then beta = 1 (as Linear)
  if (p.bias !== null) repeatRows(p.bias.data.data.subarray(p.bOffset, p.bOffset + e), out, rows);
  const beta = p.bias === null ? 0 : 1;
  gemm(false, true, rows, e, k, 1, x, 0, k, p.weight.data.data, p.wOffset, k, beta, out, 0, e);
}

/** Accumulates dW += gᵀ·x and db += Σ g for g [rows, outDim]. */
export function projectBackwardParameters(
  p: Projection,
  x: Float32Array,
  rows: number,
  g: Float32Array,
): void {
  const { inDim: k, outDim: e } = p;
  gemm(true, false, e, k, rows, 1, g, 0, e, x, 0, k, 1, p.weight.grad.data, p.wOffset, k);
  if (p.bias !== null) {
    biasAddBackward(g, p.bias.grad.data.subarray(p.bOffset, p.bOffset + e), rows, e, 1);
  }
}

/** gx[rows, inDim] = beta·gx + g·W for g [rows, outDim] read from `gOffset` with row stride `ldg`. */
export function projectBackwardInput(
  p: Projection,
  rows: number,
  g: Float32Array,
  gOffset: number,
  ldg: number,
  beta: number,
  gx: Float32Array,
): void {
  const { inDim: k, outDim: e } = p;
  gemm(
    false,
    false,
    rows,
    k,
    e,
    1,
    g,
    gOffset,
    ldg,
    p.weight.data.data,
    p.wOffset,
    k,
    beta,
    gx,
    0,
    k,
  );
}

/** The forward options' masks, checked against the call's sizes and made additive. */
export function prepareMasks(
  where: string,
  attnMask: unknown,
  keyPaddingMask: unknown,
  isCausal: boolean,
  q: SequenceShape,
  k: SequenceShape,
  heads: number,
): AttentionMasks {
  const { n, len: l } = q;
  const s = k.len;
  let attn: Float32Array | null = null;
  let perHead = false;
  if (attnMask !== undefined && attnMask !== null) {
    const shared = `[${l}, ${s}]`;
    const batched = `[${n * heads}, ${l}, ${s}] (N·numHeads, L, S)`;
    attn = additive(
      where,
      "attnMask",
      attnMask,
      [[l, s], [n * heads, l, s]],
      `${shared} or ${batched}`,
    );
    perHead = attn.length !== l * s;
  }
  let padding: Float32Array | null = null;
  if (keyPaddingMask !== undefined && keyPaddingMask !== null) {
    const shape = q.unbatched ? [s] : [n, s];
    padding = additive(where, "keyPaddingMask", keyPaddingMask, [shape], formatShape(shape));
  }
  return { attn, perHead, padding, causal: isCausal };
}

// A boolean mask must have one of the sizes; a float one one of the shapes. Float masks may
// hold −Infinity (masked) but no NaN or +Infinity, which would poison every row they touch.
function additive(
  where: string,
  name: string,
  mask: unknown,
  shapes: number[][],
  expected: string,
): Float32Array {
  const sizes = shapes.map((sh) => sh.reduce((a, b) => a * b, 1));
  if (mask instanceof Uint8Array) {
    if (!sizes.includes(mask.length)) {
      throw new TypeError(
        `${where}: expected ${name} (a boolean Uint8Array, 1 = masked) of ${expected} = ${
          sizes.join(" or ")
        } elements, got ${mask.length}`,
      );
    }
    for (let i = 0; i < mask.length; i++) {
      if (mask[i] > 1) {
        throw new RangeError(
          `${where}: ${name} is a boolean mask (Uint8Array of 0 and 1), but element ${i} is ${
            mask[i]
          }`,
        );
      }
    }
    const out = new Float32Array(mask.length);
    booleanMaskToAdditive(mask, out);
    return out;
  }
  const t = mask as Tensor;
  if (
    t === null || typeof t !== "object" || !(t.data instanceof Float32Array) ||
    !Array.isArray(t.shape)
  ) {
    throw new TypeError(
      `${where}: expected ${name} to be a boolean Uint8Array (1 = masked) or an additive float Tensor, got ${
        describeValue(mask)
      }`,
    );
  }
  if (!shapes.some((sh) => sh.length === t.shape.length && sh.every((d, i) => d === t.shape[i]))) {
    throw new TypeError(`${where}: expected ${name} ${expected}, got ${formatShape(t.shape)}`);
  }
  for (let i = 0; i < t.size; i++) {
    const v = t.data[i];
    if (Number.isNaN(v) || v === Infinity) {
      throw new RangeError(
        `${where}: ${name} element ${i} is ${v}; an additive mask holds finite values or -Infinity`,
      );
    }
  }
  return t.data;
}
