/** Internal: the forward and backward of MultiheadAttention between the in-projections and out_proj. */

import { Tensor } from "../tensor/tensor.ts";
import type { BufferCache } from "../tensor/buffers.ts";
import {
  type AttentionMasks,
  attentionSoftmaxBackward,
  attentionSoftmaxForward,
  dropoutMask,
  gemmBatched,
  meanOverHeads,
  mulForward,
  type StridedMatrices,
} from "../tensor/kernels/mod.ts";
import {
  headViews,
  projectBackwardInput,
  projectBackwardParameters,
  projectForward,
  type Projection,
  type SequenceShape,
} from "./_attention.ts";

/** What `attentionForward` needs. */
export interface AttentionInput {
  query: Tensor;
  key: Tensor;
  value: Tensor;
  q: SequenceShape;
  k: SequenceShape;
  /** Self-attention with in_proj_weight: one [rows, 3E] projection (`projections` has one entry). */
  packed: boolean;
  masks: AttentionMasks;
  projections: Projection[];
  heads: number;
  /** Dropout on the weights (0 in eval). */
  dropout: number;
  random: () => number;
  buffers: BufferCache;
  training: boolean;
}

/** The forward's state: the context (out_proj's input) and everything the backward needs. */
export interface AttentionCache extends AttentionInput {
  qView: StridedMatrices;
  kView: StridedMatrices;
  vView: StridedMatrices;
  /** Softmax output [N, heads, L, S] and the weights actually applied (after dropout). */
  probs: Float32Array;
  applied: Float32Array;
  dropMask: Float32Array | null;
  context: Tensor;
  outputShape: readonly number[];
  /** The weights PyTorch returns: averaged [N, L, S] or [N, heads, L, S] (no N unbatched), new tensors. */
  weights(average: boolean): Tensor;
}

/** Projects q, k, v, computes the masked softmax weights (with dropout) and the per-head context. */
export function attentionForward(input: AttentionInput): AttentionCache {
  const { query, key, value, q, k, packed, projections: p, heads, buffers, training } = input;
  const e = q.dim;
  const d = e / heads;
  const [n, l, s] = [q.n, q.len, k.len];
  const rowsQ = n * l, rowsK = n * s;
  let qView: StridedMatrices, kView: StridedMatrices, vView: StridedMatrices;
  if (packed) {
    const qkv = buffers.floats("qkv", rowsQ * 3 * e, training);
    projectForward(p[0], query.data, rowsQ, qkv);
    [qView, kView, vView] = [0, e, 2 * e].map((off) => headViews(qkv, off, 3 * e, q, d));
  } else {
    const qb = buffers.floats("q", rowsQ * e, training);
    const kb = buffers.floats("k", rowsK * e, training);
    const vb = buffers.floats("v", rowsK * e, training);
    projectForward(p[0], query.data, rowsQ, qb);
    projectForward(p[1], key.data, rowsK, kb);
    projectForward(p[2], value.data, rowsK, vb);
    [qView, kView, vView] = [
      headViews(qb, 0, e, q, d),
      headViews(kb, 0, e, k, d),
      headViews(vb, 0, e, k, d),
    ];
  }
  const size = n * heads * l * s;
  const probs = buffers.floats("probs", size, training);
  const scale = 1 / Math.sqrt(d);
  gemmBatched(
    false,
    true,
    n,
    heads,
    l,
    s,
    d,
    scale,
    qView,
    kView,
    0,
    scoreView(probs, heads, l, s),
  );
  attentionSoftmaxForward(probs, n, heads, l, s, input.masks);
  let applied = probs;
  let dropMask: Float32Array | null = null;
  if (input.dropout > 0) {
    dropMask = buffers.floats("dropMask", size, training);
    dropoutMask(dropMask, input.dropout, input.random);
    applied = buffers.floats("applied", size, training);
    mulForward(probs, dropMask, applied, 0, applied.length);
  }
  const context = buffers.tensor("context", query.shape, training);
  const cView = headViews(context.data, 0, e, q, d);
  gemmBatched(false, false, n, heads, l, d, s, 1, scoreView(applied, heads, l, s), vView, 0, cView);
  const weights = (average: boolean): Tensor => {
    const lead = q.unbatched ? [] : [n];
    if (!average) return new Tensor(applied.slice(), [...lead, heads, l, s]);
    const out = new Tensor(new Float32Array(n * l * s), [...lead, l, s]);
    meanOverHeads(applied, out.data, n, heads, l * s);
    return out;
  };
  return {
    ...input,
    qView,
    kView,
    vView,
    probs,
    applied,
    dropMask,
    context,
    outputShape: query.shape,
    weights,
  };
}

/** dL/d(query), dL/d(key), dL/d(value) as `backward` asks: summed into query, separate, or none. */
export interface AttentionInputGradients {
  query: Tensor | null;
  key: Tensor | null;
  value: Tensor | null;
}

/**
 * From dL/d(context): the weight and projection gradients (ACCUMULATED into the in-projection
 * parameters) and, per `inputs`, the input gradients.
 */
export function attentionBackward(
  c: AttentionCache,
  gContext: Tensor,
  inputs: "sum" | "separate" | "none",
  avoid: Float32Array,
): AttentionInputGradients {
  const { q, k, heads, buffers, training, projections: p, packed } = c;
  const e = q.dim;
  const d = e / heads;
  const [n, l, s] = [q.n, q.len, k.len];
  const rowsQ = n * l, rowsK = n * s;
  const size = n * heads * l * s;
  const gcView = headViews(gContext.data, 0, e, q, d);
  const gWeights = buffers.floats("gWeights", size, training);
  const gwView = scoreView(gWeights, heads, l, s);
  gemmBatched(false, true, n, heads, l, s, d, 1, gcView, c.vView, 0, gwView);
  let gq: Float32Array, gk: Float32Array, gv: Float32Array;
  let gqView: StridedMatrices, gkView: StridedMatrices, gvView: StridedMatrices;
  if (packed) {
    const gqkv = buffers.floats("gqkv", rowsQ * 3 * e, training);
    [gq, gk, gv] = [gqkv, gqkv, gqkv];
    [gqView, gkView, gvView] = [0, e, 2 * e].map((off) => headViews(gqkv, off, 3 * e, q, d));
  } else {
    gq = buffers.floats("gq", rowsQ * e, training);
    gk = buffers.floats("gk", rowsK * e, training);
    gv = buffers.floats("gv", rowsK * e, training);
    [gqView, gkView, gvView] = [
      headViews(gq, 0, e, q, d),
      headViews(gk, 0, e, k, d),
      headViews(gv, 0, e, k, d),
    ];
  }
  // dV = Aᵀ·dC (A the applied weights), then back through dropout and the softmax.
  gemmBatched(
    true,
    false,
    n,
    heads,
    s,
    d,
    l,
    1,
    scoreView(c.applied, heads, l, s),
    gcView,
    0,
    gvView,
  );
  if (c.dropMask !== null) mulForward(gWeights, c.dropMask, gWeights, 0, gWeights.length);
  attentionSoftmaxBackward(c.probs, gWeights, gWeights, n * heads * l, l, s, c.masks.causal);
  const scale = 1 / Math.sqrt(d);
  gemmBatched(false, false, n, heads, l, d, s, scale, gwView, c.kView, 0, gqView);
  gemmBatched(true, false, n, heads, s, d, l, scale, gwView, c.qView, 0, gkView);

  if (packed) projectBackwardParameters(p[0], c.query.data, rowsQ, gq);
  else {
    projectBackwardParameters(p[0], c.query.data, rowsQ, gq);
    projectBackwardParameters(p[1], c.key.data, rowsK, gk);
    projectBackwardParameters(p[2], c.value.data, rowsK, gv);
  }
  if (inputs === "none") return { query: null, key: null, value: null };
  const grad = (name: string, t: Tensor) => buffers.tensor(name, t.shape, training, avoid);
  if (inputs === "sum") {
    const gx = grad("gradQuery", c.query);
    if (packed) projectBackwardInput(p[0], rowsQ, gq, 0, 3 * e, 0, gx.data);
    else {
      projectBackwardInput(p[0], rowsQ, gq, 0, e, 0, gx.data);
      if (c.key === c.query) projectBackwardInput(p[1], rowsK, gk, 0, e, 1, gx.data);
      if (c.value === c.query) projectBackwardInput(p[2], rowsK, gv, 0, e, 1, gx.data);
    }
    return { query: gx, key: null, value: null };
  }
  const out = [grad("gradQuery", c.query), grad("gradKey", c.key), grad("gradValue", c.value)];
  const parts = packed
    ? [0, 1, 2].map((i) => ({ ...p[0], wOffset: i * e * e, outDim: e, bOffset: i * e }))
    : p;
  const rows = [rowsQ, rowsK, rowsK];
  const gs = [gq, gk, gv];
  for (let i = 0; i < 3; i++) {
    projectBackwardInput(
      parts[i],
      rows[i],
      gs[i],
      packed ? i * e : 0,
      packed ? 3 * e : e,
      0,
      out[i].data,
    );
  }
  return { query: out[0], key: out[1], value: out[2] };
}

// The [L, S] score matrix of every (batch, head) in a [N, heads, L, S] array.
function scoreView(data: Float32Array, heads: number, l: number, s: number): StridedMatrices {
  return { data, offset: 0, batchStride: heads * l * s, headStride: l * s, ld: s };
}
