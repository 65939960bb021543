/**
 * A float64 oracle for the recurrent layers: PyTorch's documented formulas for RNN (tanh,
 * relu), LSTM and GRU, written as plain loops over layers, directions, steps and units, with
 * the weights read through the layer's state dict (so the keys and layouts are checked too).
 */

import type { Module } from "../../layers/module.ts";
import type { Tensor } from "../../tensor/tensor.ts";

/** Which formulas. */
export type Mode = "RNN_TANH" | "RNN_RELU" | "LSTM" | "GRU";

/** The configuration the oracle reads from the layer. */
interface Config {
  inputSize: number;
  hiddenSize: number;
  numLayers: number;
  bidirectional: boolean;
  batchFirst: boolean;
  bias: boolean;
}

/** The expected output (in the layer's layout) and final states, as float64 arrays. */
export interface Reference {
  output: number[];
  outputShape: number[];
  h: number[];
  c: number[] | null;
  /** The smallest nonzero |pre-activation| of any unit at any step (how far a relu RNN is from its kink). */
  minAbsPre: number;
}

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

/** Runs `mode`'s formulas with `layer`'s weights on x [L, N, I] (or [N, L, I] when batchFirst). */
export function reference(
  mode: Mode,
  layer: Module & Config,
  x: Tensor,
  h0: Tensor | null,
  c0: Tensor | null,
): Reference {
  const { inputSize, hiddenSize: H, numLayers, batchFirst } = layer;
  const D = layer.bidirectional ? 2 : 1;
  const G = mode === "LSTM" ? 4 : mode === "GRU" ? 3 : 1;
  const [L, N] = batchFirst ? [x.shape[1], x.shape[0]] : [x.shape[0], x.shape[1]];
  const sd = layer.stateDict();
  // seq[t][n] = features
  let seq: number[][][] = [];
  for (let t = 0; t < L; t++) {
    seq.push([]);
    for (let n = 0; n < N; n++) {
      const base = (batchFirst ? n * L + t : t * N + n) * inputSize;
      seq[t].push(Array.from(x.data.subarray(base, base + inputSize)));
    }
  }
  let minAbsPre = Infinity;
  const hOut: number[] = [];
  const cOut: number[] = [];
  for (let k = 0; k < numLayers; k++) {
    const next = seq.map((row) => row.map(() => new Array(D * H).fill(0)));
    for (let d = 0; d < D; d++) {
      const sfx = `_l${k}${d === 1 ? "_reverse" : ""}`;
      const wih = sd[`weight_ih${sfx}`], whh = sd[`weight_hh${sfx}`];
      const bih = layer.bias ? sd[`bias_ih${sfx}`].data : new Float32Array(G * H);
      const bhh = layer.bias ? sd[`bias_hh${sfx}`].data : new Float32Array(G * H);
      const inSize = wih.shape[1];
      const row = k * D + d;
      const h = Array.from(
        { length: N },
        (_, n) => Array.from({ length: H }, (_, j) => h0 ? h0.data[(row * N + n) * H + j] : 0),
      );
      const c = Array.from(
        { length: N },
        (_, n) => Array.from({ length: H }, (_, j) => c0 ? c0.data[(row * N + n) * H + j] : 0),
      );
      for (let s = 0; s < L; s++) {
        const t = d === 1 ? L - 1 - s : s;
        for (let n = 0; n < N; n++) {
          const xi = seq[t][n];
          const gi = new Array(G * H).fill(0), gh = new Array(G * H).fill(0);
          for (let g = 0; g < G * H; g++) {
            let a = bih[g], b = bhh[g];
            for (let q = 0; q < inSize; q++) a += wih.data[g * inSize + q] * xi[q];
            for (let q = 0; q < H; q++) b += whh.data[g * H + q] * h[n][q];
            gi[g] = a;
            gh[g] = b;
          }
          const hNew = new Array(H).fill(0);
          // An exact 0 comes from all-zero inputs (no bias): no nudge moves it, it is no kink.
          for (let j = 0; j < G * H; j++) {
            const pre = Math.abs(gi[j] + gh[j]);
            if (pre !== 0) minAbsPre = Math.min(minAbsPre, pre);
          }
          for (let j = 0; j < H; j++) {
            if (mode === "RNN_TANH") hNew[j] = Math.tanh(gi[j] + gh[j]);
            else if (mode === "RNN_RELU") hNew[j] = Math.max(0, gi[j] + gh[j]);
            else if (mode === "LSTM") {
              const i = sigmoid(gi[j] + gh[j]);
              const f = sigmoid(gi[H + j] + gh[H + j]);
              const g = Math.tanh(gi[2 * H + j] + gh[2 * H + j]);
              const o = sigmoid(gi[3 * H + j] + gh[3 * H + j]);
              c[n][j] = f * c[n][j] + i * g;
              hNew[j] = o * Math.tanh(c[n][j]);
            } else {
              const r = sigmoid(gi[j] + gh[j]);
              const z = sigmoid(gi[H + j] + gh[H + j]);
              const nn = Math.tanh(gi[2 * H + j] + r * gh[2 * H + j]);
              hNew[j] = (1 - z) * nn + z * h[n][j];
            }
          }
          h[n] = hNew;
          for (let j = 0; j < H; j++) next[t][n][d * H + j] = hNew[j];
        }
      }
      hOut.push(...h.flat());
      cOut.push(...c.flat());
    }
    seq = next;
  }
  const output: number[] = [];
  if (batchFirst) {
    for (let n = 0; n < N; n++) for (let t = 0; t < L; t++) output.push(...seq[t][n]);
  } else {
    for (let t = 0; t < L; t++) for (let n = 0; n < N; n++) output.push(...seq[t][n]);
  }
  return {
    output,
    outputShape: batchFirst ? [N, L, D * H] : [L, N, D * H],
    h: hOut,
    c: mode === "LSTM" ? cOut : null,
    minAbsPre,
  };
}
