/**
 * Elementwise kernels: the activation table (one row of f and f' per activation)
 * plus the few elementwise helpers layers need (add, multiply, dropout masks).
 *
 * Every kernel works on the index range `lo ≤ i < hi` (default: everything) so
 * `parallel/` can run it on slices, and outputs may alias inputs (`y === x`).
 * Math runs in float64 (JS numbers) and is rounded to float32 on store.
 */

import { geluGrad, normalCdf } from "./_erf.ts";

export { erf, erfc, normalCdf } from "./_erf.ts";

/**
 * One activation: `f` computes y = f(x) and `df` the derivative dy/dx at x, given
 * y = f(x) too (sigmoid and tanh are cheaper from y). `a` and `b` carry the
 * activation's hyper-parameters (negative slope, alpha, beta, threshold); rows
 * that take none ignore them.
 */
export interface ActivationRow {
  /** y = f(x; a, b) */
  f(x: number, a: number, b: number): number;
  /** dy/dx at x, where y = f(x; a, b). */
  df(x: number, y: number, a: number, b: number): number;
  /**
   * The same as `f` over y[lo:hi] as a loop of its own, for the rows every CNN runs on
   * millions of elements: a call through `f` from the loop shared by all rows is not
   * inlined, and the loop can be written without branches.
   */
  forwardLoop?(
    x: Float32Array,
    y: Float32Array,
    a: number,
    b: number,
    lo: number,
    hi: number,
  ): void;
  /**
   * `forwardLoop` that also writes f'(x) in float64 to d[lo:hi], for a backward that then only
   * multiplies (`scaleByDerivative`): for the rows whose derivative costs as much as f and
   * shares its work (GELU's Φ and Φ + xφ come from the same piece of the same table layout).
   */
  forwardWithGradLoop?(
    x: Float32Array,
    y: Float32Array,
    d: Float64Array,
    a: number,
    b: number,
    lo: number,
    hi: number,
  ): void;
  /** The same as `df` times gy over gx[lo:hi], written out (see `forwardLoop`). */
  backwardLoop?(
    x: Float32Array,
    gy: Float32Array,
    gx: Float32Array,
    a: number,
    lo: number,
    hi: number,
  ): void;
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);
/** The largest finite float32: below −FLT_MAX a float32 input can only be −∞. */
const FLT_MAX = 3.4028234663852886e38;
const GELU_TANH_C = 0.044715;

/**
 * The activation table. Each row is the formula PyTorch documents; a layer class
 * (`ReLU`, `GELU`...) is a row plus its hyper-parameters.
 *
 * - relu: max(0, x) (NaN stays NaN, as PyTorch); f' = 1 if x > 0 else 0 (PyTorch's subgradient
 *   at 0 is 0); dL/dx is dL/dy where x > 0 and exactly 0 elsewhere, even where dL/dy is NaN or ∞
 * - leakyRelu (a = negative slope): x if x > 0 else a·x; f' = 1 if x > 0 else a
 * - elu (a = alpha): x if x > 0 else a·(eˣ − 1); f' = 1 if x > 0 else a·eˣ
 * - gelu: x·Φ(x) with Φ the standard normal CDF; f' = Φ(x) + x·φ(x)
 * - geluTanh: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³)))
 * - sigmoid: 1 / (1 + e⁻ˣ); f' = y·(1 − y)
 * - tanh: tanh(x); f' = 1 − y²
 * - softplus (a = beta, b = threshold): log(1 + e^(a·x)) / a, or x where a·x > b;
 *   f' = sigmoid(a·x), or 1 where a·x > b
 */
export const ACTIVATIONS = {
  relu: {
    f: (x) => reluOf(x),
    df: (x) => (x > 0 ? 1 : 0),
    // Branch-free: with inputs of random sign, a branch per element mispredicts half the
    // time and costs ~10× the arithmetic. (x + |x|)·0.5 is exactly x for x > 0 (2x is
    // exact in float64), 0 for x ≤ 0, NaN for NaN; −∞ alone (−∞ + ∞ is NaN) is first raised
    // to −FLT_MAX, a comparison that is false for every other input and so always predicted.
    forwardLoop(x, y, _a, _b, lo, hi) {
      for (let i = lo; i < hi; i++) {
        const v = x[i];
        const c = v < -FLT_MAX ? -FLT_MAX : v;
        y[i] = (c + Math.abs(c)) * 0.5;
      }
    },
    // On the bits: x > 0 exactly when x's int32 bits are > 0 (+0 is 0, −0 and negatives
    // have the sign bit set), then gx is gy's bits or 0.
    backwardLoop(x, gy, gx, _a, lo, hi) {
      const xBits = bits(x), gyBits = bits(gy), gxBits = bits(gx);
      for (let i = lo; i < hi; i++) gxBits[i] = gyBits[i] & -(xBits[i] > 0);
    },
  },
  leakyRelu: {
    f: (x, a) => (x > 0 ? x : a * x),
    df: (x, _y, a) => (x > 0 ? 1 : a),
  },
  elu: {
    f: (x, a) => (x > 0 ? x : a * Math.expm1(x)),
    df: (x, _y, a) => (x > 0 ? 1 : a * Math.exp(x)),
  },
  gelu: {
    f: (x) => x * normalCdf(x),
    df: (x) => geluGrad(x),
    // A transformer's MLP runs GELU on 4× its width: loops of their own let the JIT inline
    // Φ (tensor/kernels/_erf.ts) instead of calling through the row.
    forwardLoop(x, y, _a, _b, lo, hi) {
      for (let i = lo; i < hi; i++) {
        const v = x[i];
        y[i] = v * normalCdf(v);
      }
    },
    backwardLoop(x, gy, gx, _a, lo, hi) {
      for (let i = lo; i < hi; i++) gx[i] = gy[i] * geluGrad(x[i]);
    },
    forwardWithGradLoop(x, y, d, _a, _b, lo, hi) {
      for (let i = lo; i < hi; i++) {
        const v = x[i];
        y[i] = v * normalCdf(v);
        d[i] = geluGrad(v);
      }
    },
  },
  geluTanh: {
    f: (x) => 0.5 * x * (1 + Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x))),
    df: (x) => {
      const t = Math.tanh(SQRT_2_OVER_PI * (x + GELU_TANH_C * x * x * x));
      return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * SQRT_2_OVER_PI * (1 + 3 * GELU_TANH_C * x * x);
    },
  },
  sigmoid: {
    f: (x) => sigmoid(x),
    df: (_x, y) => y * (1 - y),
  },
  tanh: {
    f: (x) => Math.tanh(x),
    df: (_x, y) => 1 - y * y,
  },
  softplus: {
    f: (x, a, b) => (a * x > b ? x : softplusUnit(a * x) / a),
    df: (x, _y, a, b) => (a * x > b ? 1 : sigmoid(a * x)),
  },
} satisfies Record<string, ActivationRow>;

/** The name of a row of `ACTIVATIONS`. */
export type ActivationName = keyof typeof ACTIVATIONS;

/**
 * y[i] = row.f(x[i]; a, b) for lo ≤ i < hi.
 *
 * @param row an entry of `ACTIVATIONS`
 * @param x input, any shape (flat)
 * @param y output, same length, overwritten (may be `x`)
 */
export function activationForward(
  row: ActivationRow,
  x: Float32Array,
  y: Float32Array,
  a: number,
  b: number,
  lo: number,
  hi: number,
): void {
  if (row.forwardLoop !== undefined) return row.forwardLoop(x, y, a, b, lo, hi);
  const f = row.f;
  for (let i = lo; i < hi; i++) y[i] = f(x[i], a, b);
}

/**
 * gx[i] = gy[i] · row.df(x[i], y[i]; a, b) for lo ≤ i < hi: the chain rule through an activation.
 *
 * @param row an entry of `ACTIVATIONS`
 * @param x the forward input
 * @param y the forward output
 * @param gy dL/dy
 * @param gx dL/dx, OVERWRITTEN (may be `gy`)
 */
export function activationBackward(
  row: ActivationRow,
  x: Float32Array,
  y: Float32Array,
  gy: Float32Array,
  gx: Float32Array,
  a: number,
  b: number,
  lo: number,
  hi: number,
): void {
  if (row.backwardLoop !== undefined) return row.backwardLoop(x, gy, gx, a, lo, hi);
  const df = row.df;
  for (let i = lo; i < hi; i++) gx[i] = gy[i] * df(x[i], y[i], a, b);
}

/**
 * gx[i] = gy[i] · d[i] for lo ≤ i < hi: the chain rule through an activation whose forward
 * saved its derivative (`forwardWithGradLoop`); the same float64 product and rounding as
 * `activationBackward` (`gx` may be `gy`).
 */
export function scaleByDerivative(
  gy: Float32Array,
  d: Float64Array,
  gx: Float32Array,
  lo: number,
  hi: number,
): void {
  for (let i = lo; i < hi; i++) gx[i] = gy[i] * d[i];
}

/** out[i] = x[i] + y[i] for lo ≤ i < hi (`out` may alias either input). */
export function addForward(
  x: Float32Array,
  y: Float32Array,
  out: Float32Array,
  lo: number,
  hi: number,
): void {
  for (let i = lo; i < hi; i++) out[i] = x[i] + y[i];
}

/** out[i] = x[i] · y[i] for lo ≤ i < hi (`out` may alias either input). */
export function mulForward(
  x: Float32Array,
  y: Float32Array,
  out: Float32Array,
  lo: number,
  hi: number,
): void {
  for (let i = lo; i < hi; i++) out[i] = x[i] * y[i];
}

/**
 * Draws an inverted-dropout mask: mask[i] = 0 with probability p, else 1 / (1 − p),
 * so E[mask] = 1. `random()` returns uniform floats in [0, 1) (e.g. `() => rng.random()`).
 *
 * @param mask output, overwritten
 * @param p drop probability in [0, 1)
 */
export function dropoutMask(
  mask: Float32Array,
  p: number,
  random: () => number,
  lo = 0,
  hi = mask.length,
): void {
  const keep = 1 / (1 - p);
  for (let i = lo; i < hi; i++) mask[i] = random() < p ? 0 : keep;
}

/**
 * a[lo..hi) = 0 by copying from a block of zeros: V8's `fill` on a SharedArrayBuffer-backed
 * array stores element by element (~0.45 ns an element, 3–4× this), and the workers' gradient
 * slots are such arrays, zeroed every step.
 */
export function zeroFloats(a: Float32Array, lo: number, hi: number): void {
  for (let i = lo; i < hi; i += ZEROS.length) {
    a.set(hi - i >= ZEROS.length ? ZEROS : ZEROS.subarray(0, hi - i), i);
  }
}

const ZEROS = new Float32Array(16384);

/**
 * out[r·n + c] = row[c] for r < rows, with n = row.length: a row repeated, such as a bias laid
 * out as the C that a GEMM with beta = 1 then adds its product to (PyTorch's Linear is
 * addmm(bias, x, Wᵀ) the same way). The filled part is copied onto itself, doubling each time.
 *
 * @param out at least rows·n floats; the first rows·n are overwritten
 */
export function repeatRows(row: Float32Array, out: Float32Array, rows: number): void {
  const n = row.length;
  if (rows <= 0 || n === 0) return;
  out.set(row, 0);
  for (let filled = 1; filled < rows;) {
    const take = Math.min(filled, rows - filled);
    out.copyWithin(filled * n, 0, take * n);
    filled += take;
  }
}

/**
 * Adds a per-channel bias: y[o, c, j] += bias[c] for y viewed as [outer, channels, inner]
 * (Linear: [N, C_out, 1]; a conv output: [N, C_out, H·W]).
 */
export function biasAddForward(
  y: Float32Array,
  bias: Float32Array,
  outer: number,
  channels: number,
  inner: number,
): void {
  if (inner === 1) {
    // Linear and the recurrent/attention projections: rows of `channels`, no inner loop of 1.
    for (let o = 0; o < outer; o++) {
      const base = o * channels;
      for (let c = 0; c < channels; c++) y[base + c] += bias[c];
    }
    return;
  }
  for (let o = 0; o < outer; o++) {
    for (let c = 0; c < channels; c++) {
      const v = bias[c];
      const base = (o * channels + c) * inner;
      for (let j = base; j < base + inner; j++) y[j] += v;
    }
  }
}

/**
 * Gradient of a per-channel bias: gb[c] += Σ_{o, j} gy[o, c, j] (float64 sums), ACCUMULATES.
 */
export function biasAddBackward(
  gy: Float32Array,
  gb: Float32Array,
  outer: number,
  channels: number,
  inner: number,
): void {
  if (inner === 1) {
    // Column sums of [outer, channels], row by row: walking a column jumps a whole row per
    // element (an LSTM's [L·N, 4·hidden] gate gradients spent 9% of a step there). Same
    // float64 sums in the same order.
    if (biasSums.length < channels) biasSums = new Float64Array(channels);
    const sums = biasSums;
    sums.fill(0, 0, channels);
    // Four rows a pass, each column's running sum in a register: the same additions in the same
    // order as one row a pass, with a quarter of the loads and stores of the sums.
    let o = 0;
    for (; o + 4 <= outer; o += 4) {
      const b0 = o * channels, b1 = b0 + channels, b2 = b1 + channels, b3 = b2 + channels;
      for (let c = 0; c < channels; c++) {
        let sum = sums[c];
        sum += gy[b0 + c];
        sum += gy[b1 + c];
        sum += gy[b2 + c];
        sum += gy[b3 + c];
        sums[c] = sum;
      }
    }
    for (; o < outer; o++) {
      const base = o * channels;
      for (let c = 0; c < channels; c++) sums[c] += gy[base + c];
    }
    for (let c = 0; c < channels; c++) gb[c] += sums[c];
    return;
  }
  for (let c = 0; c < channels; c++) {
    let s = 0;
    for (let o = 0; o < outer; o++) {
      const base = (o * channels + c) * inner;
      for (let j = base; j < base + inner; j++) s += gy[j];
    }
    gb[c] += s;
  }
}

/** biasAddBackward's per-channel float64 sums (grown as needed, reused across calls). */
let biasSums = new Float64Array(0);

function sigmoid(x: number): number {
  if (x >= 0) return 1 / (1 + Math.exp(-x));
  const e = Math.exp(x);
  return e / (1 + e);
}

// log(1 + eᶻ) without overflow for large z.
function softplusUnit(z: number): number {
  return z > 0 ? z + Math.log1p(Math.exp(-z)) : Math.log1p(Math.exp(z));
}

/** The int32 view of a float32 array's bits (same memory). */
function bits(a: Float32Array): Int32Array {
  return new Int32Array(a.buffer, a.byteOffset, a.length);
}

/** max(0, x) as relu's forwardLoop computes it (0 for −∞, NaN for NaN). */
function reluOf(x: number): number {
  const c = x < -FLT_MAX ? -FLT_MAX : x;
  return (c + Math.abs(c)) * 0.5;
}
