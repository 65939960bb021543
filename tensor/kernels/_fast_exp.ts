/**
 * e^x, e^x − 1, the logistic sigmoid and tanh in float64 for the elementwise kernels, as
 * plain arithmetic the JIT inlines: Math.exp and Math.tanh are calls into the runtime's libm
 * (10-25 ns an element here, more than the rest of GELU's or an LSTM cell's math), and
 * Math.round/Math.sign/Math.min are calls too. Each is within a few 1e-16 relative of the
 * exact value (tests/tensor/kernels/fast_exp_test.ts), so float32 results round as
 * Math.exp's do but for rare ties. σ and tanh are polynomial pieces over the ranges LSTM
 * gates live in (no exponential, no division) and exponentials beyond. No branches on the
 * sign or size of the input inside those ranges: a random sign would mispredict half the time.
 */

import { SIGMOID_EIGHTHS, TANH_OVER_X_EIGHTHS } from "./_activation_tables.ts";

// ln(2)/32 = LN2_32_HI + LN2_32_LO with LN2_32_HI's low 32 bits zero (fdlibm's split of ln 2,
// divided by 32), so k·LN2_32_HI is exact for |k| < 2²¹.
const LN2_32_HI = 6.93147180369123816490e-01 / 32; // 0x3fe62e42fee00000 / 32
const LN2_32_LO = 1.9082149292705877e-10 / 32; // (ln 2 − 0x3fe62e42fee00000) / 32, from mpmath
const LOG2E_32 = 32 * Math.LOG2E;
const ROUNDER = 6755399441055744; // 1.5·2^52: x + ROUNDER − ROUNDER rounds x to an integer
const E3 = 1 / 6, E4 = 1 / 24, E5 = 1 / 120, E6 = 1 / 720;
/** 2^(i − 1075) for i = 0..1075. */
const EXP2_TABLE = Float64Array.from({ length: 1076 }, (_, i) => 2 ** (i - 1075));

/** 2^(j/32) for j = 0..31, correctly rounded. */
const EXP2_FRACTIONS = new Float64Array([
  1.0, 1.0218971486541166, 1.0442737824274138, 1.0671404006768237,
  1.0905077326652577, 1.1143867425958924, 1.1387886347566916, 1.1637248587775775,
  1.189207115002721, 1.215247359980469, 1.241857812073484, 1.2690509571917332,
  1.2968395546510096, 1.3252366431597413, 1.3542555469368927, 1.383909881963832,
  1.4142135623730951, 1.4451808069770467, 1.4768261459394993, 1.5091644275934228,
  1.5422108254079407, 1.5759808451078865, 1.6104903319492543, 1.645755478153965,
  1.681792830507429, 1.718619298122478, 1.7562521603732995, 1.7947090750031072,
  1.8340080864093424, 1.8741676341103, 1.9152065613971474, 1.9571441241754002,
]);
/** 2^(j/32) − EXP2_FRACTIONS[j]: what rounding left out (mpmath), for the last bits. */
const EXP2_FRACTIONS_LO = new Float64Array([
  0.0, 5.109225028973444e-17, 8.551889705537965e-17, -7.899853966841582e-17,
  -3.046782079812471e-17, 1.0410278456845571e-16, 8.912812676025408e-17, 3.8292048369240935e-17,
  3.982015231465646e-17, -7.712630692681488e-17, 4.658027591836937e-17, 2.667932131342186e-18,
  2.5382502794888315e-17, -2.8587312100388614e-17, 7.70094837980299e-17, -6.770511658794786e-17,
  -9.667293313452913e-17, -3.0237581349939873e-17, -3.483994556892796e-17, -1.016455327754295e-16,
  7.949834809697621e-17, -1.0136916471278304e-17, 2.4707192569797888e-17, -1.0125679913674773e-16,
  8.199010020581497e-17, -1.851380418263111e-17, 2.960140695448873e-17, 1.8227458427912087e-17,
  3.283107224245627e-17, -6.122763413004143e-17, -1.0619946056195963e-16, 8.960767791036668e-17,
]);

/**
 * e^x for x ≤ 0 (0 below −745, NaN for NaN), within about 3e-16 relative down to 2^−1022
 * (fewer digits in the subnormal range): x = (32m + j)·ln(2)/32 + r with |r| ≤ ln(2)/64,
 * e^x = 2^m·2^(j/32)·e^r, both powers of 2 from tables and e^r by its Taylor polynomial of
 * degree 6 (truncation below 4e-18), 2^(j/32) carried to beyond double precision.
 */
export function expNonPositive(x: number): number {
  if (!(x > -745)) return x === x ? 0 : NaN;
  // k = round(32x/ln 2) by adding and subtracting 1.5·2^52 (Math.round is a call here).
  const k = x * LOG2E_32 + ROUNDER - ROUNDER;
  const r = x - k * LN2_32_HI - k * LN2_32_LO;
  const ki = k | 0;
  const r2 = r * r;
  const q = r + (0.5 + E3 * r) * r2 + (E4 + E5 * r + E6 * r2) * (r2 * r2); // e^r − 1
  const f = EXP2_FRACTIONS[ki & 31];
  // 2^(j/32)·e^r = f + (f_lo + f·q) up to f_lo·q (below 1e-19 relative).
  return EXP2_TABLE[(ki >> 5) + 1075] * (f + (EXP2_FRACTIONS_LO[ki & 31] + f * q));
}

/**
 * e^x − 1 for x ≤ 0 (−1 below −745, NaN for NaN), accurate relative for small |x| too: with
 * e^x = 2^m·(f + f_lo)·(1 + q) (f + f_lo = 2^(j/32)), e^x − 1 = (2^m·f − 1) + 2^m·(f_lo + f·q),
 * whose first term is exact wherever it cancels (Sterbenz) and 0 for |x| < ln(2)/64 (k = 0).
 */
export function expm1NonPositive(x: number): number {
  if (!(x > -745)) return x === x ? -1 : NaN;
  const k = x * LOG2E_32 + ROUNDER - ROUNDER;
  const r = x - k * LN2_32_HI - k * LN2_32_LO;
  const ki = k | 0;
  const r2 = r * r;
  const q = r + (0.5 + E3 * r) * r2 + (E4 + E5 * r + E6 * r2) * (r2 * r2);
  const m = EXP2_TABLE[(ki >> 5) + 1075];
  const f = EXP2_FRACTIONS[ki & 31];
  return (m * f - 1) + m * (EXP2_FRACTIONS_LO[ki & 31] + f * q);
}

/**
 * The logistic sigmoid 1/(1 + e^(−x)) (0 and 1 in the tails, NaN for NaN): a degree-8
 * polynomial on each eighth of [−16, 16] (_activation_tables.ts), e^(−|x|) beyond.
 */
export function sigmoid(x: number): number {
  if (x > -16 && x < 16) {
    const u = x + 16; // exact for a float32 x; for a double x, ≤ 9e-16 relative more error
    const k = (8 * u) | 0;
    const s = 16 * u - 2 * k - 1;
    const c = SIGMOID_EIGHTHS;
    const o = (9 * k) | 0;
    const s2 = s * s, s4 = s2 * s2;
    return c[o] + c[o + 1] * s + (c[o + 2] + c[o + 3] * s) * s2 +
      (c[o + 4] + c[o + 5] * s + (c[o + 6] + c[o + 7] * s) * s2) * s4 + c[o + 8] * (s4 * s4);
  }
  const e = expNonPositive(-Math.abs(x));
  const s = 1 / (1 + e);
  // x ≥ 0: s; x < 0: e/(1 + e) = e·s. +(x >= 0) compiles without a branch.
  return s * (e + +(x >= 0) * (1 - e));
}

/**
 * tanh(x) (±0 → ±0, ±1 at ±∞, NaN for NaN): x·(tanh(x)/x) with a degree-9 polynomial of the
 * even tanh(x)/x on each eighth of [0, 10) (relative near 0, odd by construction); beyond,
 * −expm1(−2|x|)/(2 + expm1(−2|x|)) with x's sign.
 */
export function tanh(x: number): number {
  const ax = Math.abs(x);
  if (ax < 10) {
    const k = (8 * ax) | 0;
    const s = 16 * ax - 2 * k - 1;
    const c = TANH_OVER_X_EIGHTHS;
    const o = (10 * k) | 0;
    const s2 = s * s, s4 = s2 * s2;
    return x * (c[o] + c[o + 1] * s + (c[o + 2] + c[o + 3] * s) * s2 +
      (c[o + 4] + c[o + 5] * s + (c[o + 6] + c[o + 7] * s) * s2) * s4 +
      (c[o + 8] + c[o + 9] * s) * (s4 * s4));
  }
  const e = expm1NonPositive(-2 * ax);
  return (-e / (2 + e)) * (1 - 2 * +(x < 0));
}

/** a[i] = σ(a[i]) for lo ≤ i < hi. */
export function sigmoidInPlace(a: Float32Array, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) a[i] = sigmoid(a[i]);
}

/** a[i] = tanh(a[i]) for lo ≤ i < hi. */
export function tanhInPlace(a: Float32Array, lo: number, hi: number): void {
  for (let i = lo; i < hi; i++) a[i] = tanh(a[i]);
}
