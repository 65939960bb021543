/**
 * Recurrent-cell kernels (RNN, LSTM, GRU): one time step's elementwise gate math, forward and
 * backward, plus the layout moves around it (batch-first ↔ time-major, column blocks).
 *
 * A step works on `n` rows (the batch) of `hidden` units. Gate blocks sit side by side in a
 * row, in PyTorch's order: LSTM [i | f | g | o] (row length 4·hidden), GRU [r | z | n]
 * (3·hidden). Every array comes with an element offset so a layer passes the slice of time
 * step t of a [L, N, ·] buffer without making views. The matrix products around these
 * (x·W_ihᵀ for all steps, h·W_hhᵀ per step) are the GEMM kernel's; no kernel checks its
 * inputs: layers/_recurrent.ts does, once per call.
 */

// σ and tanh inlined from _fast_exp.ts: Math.exp/Math.tanh are libm calls that cost an LSTM
// step more than its gate arithmetic.
import { sigmoid, sigmoidInPlace, tanh, tanhInPlace } from "./_fast_exp.ts";

/**
 * LSTM step forward. On entry `gates[g0..]` holds the pre-activations
 * x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh as [n, 4·hidden]; they are replaced by the activations
 * (i, f, o through σ, g through tanh), which backward reads. Then
 * c = f ⊙ c_prev + i ⊙ g and h = o ⊙ tanh(c).
 */
export function lstmCellForward(
  n: number,
  hidden: number,
  gates: Float32Array,
  g0: number,
  cPrev: Float32Array,
  cp0: number,
  c: Float32Array,
  c0: number,
  h: Float32Array,
  h0: number,
): void {
  for (let row = 0; row < n; row++) {
    const g = g0 + row * 4 * hidden;
    // The activations in place first, one loop per function (σ on [i | f], tanh on g, σ on o):
    // V8 inlines a σ or tanh into a loop of its own, not five of them into one loop.
    sigmoidInPlace(gates, g, g + 2 * hidden);
    tanhInPlace(gates, g + 2 * hidden, g + 3 * hidden);
    sigmoidInPlace(gates, g + 3 * hidden, g + 4 * hidden);
    const s = row * hidden;
    for (let j = 0; j < hidden; j++) {
      const cell = gates[g + hidden + j] * cPrev[cp0 + s + j] + gates[g + j] * gates[g + 2 * hidden + j];
      c[c0 + s + j] = cell;
      h[h0 + s + j] = gates[g + 3 * hidden + j] * tanh(cell);
    }
  }
}

/**
 * LSTM step backward. `dh` [n, hidden] is the whole dL/dh_t; `dc` [n, hidden] holds dL/dc_t
 * from the later steps on entry (zeros or dL/dc_N at the last step) and dL/dc_{t−1} on exit.
 * Writes dL/d(pre-activations) [n, 4·hidden] at `dGates[dg0..]`; dL/dh_{t−1} is then
 * dGates·W_hh, a GEMM.
 */
export function lstmCellBackward(
  n: number,
  hidden: number,
  gates: Float32Array,
  g0: number,
  cPrev: Float32Array,
  cp0: number,
  c: Float32Array,
  c0: number,
  dh: Float32Array,
  dc: Float32Array,
  dGates: Float32Array,
  dg0: number,
): void {
  for (let row = 0; row < n; row++) {
    const g = g0 + row * 4 * hidden;
    const d = dg0 + row * 4 * hidden;
    const s = row * hidden;
    for (let j = 0; j < hidden; j++) {
      const i = gates[g + j];
      const f = gates[g + hidden + j];
      const gg = gates[g + 2 * hidden + j];
      const o = gates[g + 3 * hidden + j];
      const tc = tanh(c[c0 + s + j]);
      const dht = dh[s + j];
      const dct = dc[s + j] + dht * o * (1 - tc * tc);
      dGates[d + j] = dct * gg * i * (1 - i);
      dGates[d + hidden + j] = dct * cPrev[cp0 + s + j] * f * (1 - f);
      dGates[d + 2 * hidden + j] = dct * i * (1 - gg * gg);
      dGates[d + 3 * hidden + j] = dht * tc * o * (1 - o);
      dc[s + j] = dct * f;
    }
  }
}

/**
 * GRU step forward (PyTorch's formulas, r applied to the whole hidden term of n):
 * r = σ(gi_r + gh_r), z = σ(gi_z + gh_z), n = tanh(gi_n + r ⊙ gh_n), h = (1 − z) ⊙ n + z ⊙ h_prev,
 * with gi = x·W_ihᵀ + b_ih [n, 3·hidden] at `gi[gi0..]` and gh = h_prev·W_hhᵀ [n, 3·hidden]
 * (`bhh` added here when not null). Stores [r | z | n | gh_n] [n, 4·hidden] at `cache[k0..]`
 * for backward.
 */
export function gruCellForward(
  n: number,
  hidden: number,
  gi: Float32Array,
  gi0: number,
  gh: Float32Array,
  bhh: Float32Array | null,
  hPrev: Float32Array,
  hp0: number,
  cache: Float32Array,
  k0: number,
  h: Float32Array,
  h0: number,
): void {
  const h2 = 2 * hidden;
  for (let row = 0; row < n; row++) {
    const a = gi0 + row * 3 * hidden;
    const b = row * 3 * hidden;
    const k = k0 + row * 4 * hidden;
    const s = row * hidden;
    for (let j = 0; j < hidden; j++) {
      const hr = gh[b + j] + (bhh === null ? 0 : bhh[j]);
      const hz = gh[b + hidden + j] + (bhh === null ? 0 : bhh[hidden + j]);
      const hn = gh[b + h2 + j] + (bhh === null ? 0 : bhh[h2 + j]);
      const r = sigmoid(gi[a + j] + hr);
      const z = sigmoid(gi[a + hidden + j] + hz);
      const nn = tanh(gi[a + h2 + j] + r * hn);
      cache[k + j] = r;
      cache[k + hidden + j] = z;
      cache[k + h2 + j] = nn;
      cache[k + 3 * hidden + j] = hn;
      h[h0 + s + j] = (1 - z) * nn + z * hPrev[hp0 + s + j];
    }
  }
}

/**
 * GRU step backward. From dL/dh_t (`dh` [n, hidden]) writes dL/d(gi) at `dGi[di0..]` and
 * dL/d(gh) (with b_hh inside) at `dGh[dh0..]`, both [n, 3·hidden], and OVERWRITES `dhPrev`
 * [n, hidden] with the direct part z ⊙ dh of dL/dh_{t−1} (the GEMM dGh·W_hh adds the rest).
 */
export function gruCellBackward(
  n: number,
  hidden: number,
  cache: Float32Array,
  k0: number,
  hPrev: Float32Array,
  hp0: number,
  dh: Float32Array,
  dhPrev: Float32Array,
  dGi: Float32Array,
  di0: number,
  dGh: Float32Array,
  dgh0: number,
): void {
  const h2 = 2 * hidden;
  for (let row = 0; row < n; row++) {
    const k = k0 + row * 4 * hidden;
    const a = di0 + row * 3 * hidden;
    const b = dgh0 + row * 3 * hidden;
    const s = row * hidden;
    for (let j = 0; j < hidden; j++) {
      const r = cache[k + j];
      const z = cache[k + hidden + j];
      const nn = cache[k + h2 + j];
      const hn = cache[k + 3 * hidden + j];
      const dht = dh[s + j];
      const dnPre = dht * (1 - z) * (1 - nn * nn);
      const dzPre = dht * (hPrev[hp0 + s + j] - nn) * z * (1 - z);
      const drPre = dnPre * hn * r * (1 - r);
      dGi[a + j] = drPre;
      dGi[a + hidden + j] = dzPre;
      dGi[a + h2 + j] = dnPre;
      dGh[b + j] = drPre;
      dGh[b + hidden + j] = dzPre;
      dGh[b + h2 + j] = dnPre * r;
      dhPrev[s + j] = dht * z;
    }
  }
}

/** Elman RNN step: h = tanh(pre) or relu(pre) over `count` elements at `pre[p0..]`, into `h[h0..]`. */
export function rnnCellForward(
  count: number,
  pre: Float32Array,
  p0: number,
  h: Float32Array,
  h0: number,
  relu: boolean,
): void {
  if (relu) {
    for (let i = 0; i < count; i++) {
      const v = pre[p0 + i];
      h[h0 + i] = v > 0 ? v : 0;
    }
  } else {
    for (let i = 0; i < count; i++) h[h0 + i] = tanh(pre[p0 + i]);
  }
}

/**
 * Elman RNN step backward from the output h: dpre = dh ⊙ (1 − h²) for tanh, dh ⊙ [h > 0] for
 * relu (the derivative at 0 is 0, as PyTorch's threshold_backward), into `dPre[dp0..]`.
 */
export function rnnCellBackward(
  count: number,
  h: Float32Array,
  h0: number,
  dh: Float32Array,
  dPre: Float32Array,
  dp0: number,
  relu: boolean,
): void {
  if (relu) {
    for (let i = 0; i < count; i++) dPre[dp0 + i] = h[h0 + i] > 0 ? dh[i] : 0;
  } else {
    for (let i = 0; i < count; i++) {
      const y = h[h0 + i];
      dPre[dp0 + i] = dh[i] * (1 - y * y);
    }
  }
}

/** out[i] = x[x0 + i] + y[i] for i < count (the gradient of a step's output plus the carry). */
export function addOffset(
  count: number,
  x: Float32Array,
  x0: number,
  y: Float32Array,
  out: Float32Array,
): void {
  for (let i = 0; i < count; i++) out[i] = x[x0 + i] + y[i];
}

/**
 * Copies a [rows, cols] block between row-major matrices of different row strides:
 * dst[d0 + r·dstStride + j] = src[s0 + r·srcStride + j] (one direction's columns of a
 * bidirectional output, in or out).
 */
export function copyBlock(
  rows: number,
  cols: number,
  src: Float32Array,
  s0: number,
  srcStride: number,
  dst: Float32Array,
  d0: number,
  dstStride: number,
): void {
  for (let r = 0; r < rows; r++) {
    const a = s0 + r * srcStride;
    const b = d0 + r * dstStride;
    for (let j = 0; j < cols; j++) dst[b + j] = src[a + j];
  }
}

/** dst [b, a, inner] = src [a, b, inner] with the two leading axes swapped (batch-first ↔ time-major). */
export function swapLeadingAxes(
  src: Float32Array,
  dst: Float32Array,
  a: number,
  b: number,
  inner: number,
): void {
  for (let i = 0; i < a; i++) {
    for (let j = 0; j < b; j++) {
      const s = (i * b + j) * inner;
      const d = (j * a + i) * inner;
      for (let k = 0; k < inner; k++) dst[d + k] = src[s + k];
    }
  }
}
