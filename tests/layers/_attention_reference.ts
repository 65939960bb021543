/**
 * A float64 oracle for MultiheadAttention and TransformerEncoderLayer: PyTorch's
 * multi_head_attention_forward and TransformerEncoderLayer.forward written as plain loops,
 * with the weights read through the layer's state dict (so keys and layouts are checked too).
 */

import type { Module } from "../../layers/module.ts";
import type { Tensor } from "../../tensor/tensor.ts";

/** A mask as the oracle takes it: booleans (true = masked) or additive numbers, flat. */
export type RefMask = { bool: boolean[] } | { add: number[] } | null;

/** How the oracle reads its inputs. */
export interface RefConfig {
  embedDim: number;
  numHeads: number;
  batchFirst: boolean;
  /** [L, S] masks have L·S entries; [N·H, L, S] ones N·H·L·S. */
  attnMask?: RefMask;
  /** [N, S]. */
  keyPaddingMask?: RefMask;
  isCausal?: boolean;
  /** State-dict key prefix ("self_attn." inside a TransformerEncoderLayer). */
  prefix?: string;
}

/** seq[n][t] = features, from a [L, N, F] / [N, L, F] / unbatched [L, F] tensor. */
export function readSequence(x: Tensor, batchFirst: boolean): number[][][] {
  const f = x.shape[x.shape.length - 1];
  const unbatched = x.shape.length === 2;
  const [n, l] = unbatched
    ? [1, x.shape[0]]
    : batchFirst
    ? [x.shape[0], x.shape[1]]
    : [x.shape[1], x.shape[0]];
  const out: number[][][] = [];
  for (let b = 0; b < n; b++) {
    out.push([]);
    for (let t = 0; t < l; t++) {
      const row = unbatched || batchFirst ? b * l + t : t * n + b;
      out[b].push(Array.from(x.data.subarray(row * f, row * f + f)));
    }
  }
  return out;
}

/** The inverse of `readSequence`, flat in the layer's layout. */
export function writeSequence(seq: number[][][], batchFirst: boolean): number[] {
  const [n, l] = [seq.length, seq[0].length];
  const out: number[] = [];
  if (batchFirst) {
    for (let b = 0; b < n; b++) {
      for (let t = 0; t < l; t++) out.push(...seq[b][t]);
    }
  } else for (let t = 0; t < l; t++) for (let b = 0; b < n; b++) out.push(...seq[b][t]);
  return out;
}

function matrix(sd: Record<string, Tensor>, key: string, row0: number, rows: number): number[][] {
  const t = sd[key];
  if (t === undefined) throw new Error(`state dict has no "${key}"`);
  const cols = t.shape[1];
  const out: number[][] = [];
  for (let r = row0; r < row0 + rows; r++) {
    out.push(Array.from(t.data.subarray(r * cols, r * cols + cols)));
  }
  return out;
}

function vector(sd: Record<string, Tensor>, key: string, from: number, count: number): number[] {
  const t = sd[key];
  return t === undefined
    ? new Array(count).fill(0)
    : Array.from(t.data.subarray(from, from + count));
}

/** x·Wᵀ + b for one row. */
export function affine(x: number[], w: number[][], b: number[]): number[] {
  return w.map((row, o) => row.reduce((s, v, i) => s + v * x[i], b[o]));
}

/** PyTorch's MultiheadAttention forward: the output (layer layout, flat) and per-head weights [N][H][L][S]. */
export function attentionReference(
  layer: Module,
  query: number[][][],
  key: number[][][],
  value: number[][][],
  c: RefConfig,
): { output: number[][][]; weights: number[][][][] } {
  const sd = layer.stateDict();
  const p = c.prefix ?? "";
  const e = c.embedDim, h = c.numHeads, d = e / h;
  const packed = `${p}in_proj_weight` in sd;
  const w = [0, 1, 2].map((i) =>
    packed
      ? matrix(sd, `${p}in_proj_weight`, i * e, e)
      : matrix(sd, `${p}${["q", "k", "v"][i]}_proj_weight`, 0, e)
  );
  const b = [0, 1, 2].map((i) => vector(sd, `${p}in_proj_bias`, i * e, e));
  const wo = matrix(sd, `${p}out_proj.weight`, 0, e);
  const bo = vector(sd, `${p}out_proj.bias`, 0, e);
  const n = query.length, l = query[0].length, s = key[0].length;
  const output: number[][][] = [];
  const weights: number[][][][] = [];
  for (let bi = 0; bi < n; bi++) {
    const q = query[bi].map((x) => affine(x, w[0], b[0]));
    const k = key[bi].map((x) => affine(x, w[1], b[1]));
    const v = value[bi].map((x) => affine(x, w[2], b[2]));
    const ctx = q.map(() => new Array(e).fill(0));
    weights.push([]);
    for (let hi = 0; hi < h; hi++) {
      weights[bi].push([]);
      for (let i = 0; i < l; i++) {
        const scores: number[] = [];
        for (let j = 0; j < s; j++) {
          let dot = 0;
          for (let t = 0; t < d; t++) dot += q[i][hi * d + t] * k[j][hi * d + t];
          scores.push(dot / Math.sqrt(d) + maskValue(c, bi, hi, i, j, l, s));
        }
        const max = Math.max(...scores);
        const ex = scores.map((x) => Math.exp(x - max));
        const sum = ex.reduce((a, x) => a + x, 0);
        const pr = ex.map((x) => max === -Infinity ? NaN : x / sum);
        weights[bi][hi].push(pr);
        for (let t = 0; t < d; t++) {
          ctx[i][hi * d + t] = pr.reduce((acc, pj, j) => acc + pj * v[j][hi * d + t], 0);
        }
      }
    }
    output.push(ctx.map((x) => affine(x, wo, bo)));
  }
  return { output, weights };
}

function maskValue(
  c: RefConfig,
  b: number,
  h: number,
  i: number,
  j: number,
  l: number,
  s: number,
): number {
  let m = 0;
  if (c.isCausal && j > i) m = -Infinity;
  const add = (mask: RefMask, index: number) => {
    if (mask === null || mask === undefined) return;
    if ("bool" in mask) m += mask.bool[index] ? -Infinity : 0;
    else m += mask.add[index];
  };
  if (c.attnMask) {
    const size = "bool" in c.attnMask ? c.attnMask.bool.length : c.attnMask.add.length;
    add(c.attnMask, size === l * s ? i * s + j : ((b * c.numHeads + h) * l + i) * s + j);
  }
  if (c.keyPaddingMask) add(c.keyPaddingMask, b * s + j);
  return m;
}

/** LayerNorm of one row (biased variance), with weight and bias from the state dict. */
export function layerNorm(
  x: number[],
  sd: Record<string, Tensor>,
  key: string,
  eps: number,
): number[] {
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  const variance = x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length;
  const w = vector(sd, `${key}.weight`, 0, x.length);
  const bias = vector(sd, `${key}.bias`, 0, x.length);
  return x.map((v, i) =>
    ((v - mean) / Math.sqrt(variance + eps)) * (sd[`${key}.weight`] ? w[i] : 1) + bias[i]
  );
}

/** PyTorch's TransformerEncoderLayer.forward (dropout 0) on seq[n][t]. */
export function encoderLayerReference(
  layer: Module,
  src: number[][][],
  c: RefConfig & {
    normFirst: boolean;
    activation: "relu" | "gelu";
    eps: number;
    dimFeedforward: number;
  },
  erf: (x: number) => number,
): number[][][] {
  const sd = layer.stateDict();
  const sa = (x: number[][][]) =>
    attentionReference(layer, x, x, x, { ...c, prefix: "self_attn." }).output;
  const act = c.activation === "relu"
    ? (v: number) => Math.max(v, 0)
    : (v: number) => 0.5 * v * (1 + erf(v / Math.SQRT2));
  const w1 = matrix(sd, "linear1.weight", 0, c.dimFeedforward);
  const b1 = vector(sd, "linear1.bias", 0, c.dimFeedforward);
  const w2 = matrix(sd, "linear2.weight", 0, c.embedDim);
  const b2 = vector(sd, "linear2.bias", 0, c.embedDim);
  const ff = (x: number[][][]) =>
    x.map((seq) => seq.map((row) => affine(affine(row, w1, b1).map(act), w2, b2)));
  const ln = (x: number[][][], key: string) =>
    x.map((seq) => seq.map((row) => layerNorm(row, sd, key, c.eps)));
  const add = (a: number[][][], b: number[][][]) =>
    a.map((seq, i) => seq.map((row, t) => row.map((v, k) => v + b[i][t][k])));
  if (c.normFirst) {
    const x1 = add(src, sa(ln(src, "norm1")));
    return add(x1, ff(ln(x1, "norm2")));
  }
  const x1 = ln(add(src, sa(src)), "norm1");
  return ln(add(x1, ff(x1)), "norm2");
}
