/**
 * The error function family in float64 at a fixed cost: erf, erfc, erfcx and the standard
 * normal CDF Φ (GELU's), each a few dozen multiply-adds and at most one or two exponentials, to
 * about 1e-15 relative (tests/tensor/kernels/elementwise_test.ts checks them against a
 * series/continued-fraction reference and mpmath values on dense grids).
 *
 * How: erf for |z| < 1: z·P(z²), P of degree 11 in s = 2z² − 1. Φ and GELU's derivative
 * Φ(x) + x·φ(x) for −6.0625 < x < 5.9375 (every GELU input that matters): a degree-10
 * polynomial on each eighth of that range, no exponential. Everything else goes through
 * erfcx(z) = e^(z²)·erfc(z) (entire and slowly varying): for 0 ≤ z < 6 a degree-9 polynomial
 * on each eighth [k/8, (k + 1)/8]; for z ≥ 6 the continued fraction of erfc, 20 levels
 * (converged to double precision there); times an exponential from _fast_exp.ts (Math.exp is a
 * call). Pieces are picked by index, not by branches (a random sign or size would mispredict).
 * The coefficients (_erf_tables.ts) are Chebyshev interpolants computed in 50-digit arithmetic
 * and converted to powers of the piece's variable s ∈ [−1, 1] (bench/_erf_coefficients.py
 * derives them and prints each table's error: within 3.1e-16 relative before rounding), and
 * are evaluated by Estrin's scheme, whose shallow tree lets neighbouring elements overlap in
 * the CPU (Horner's chain bound them by its latency). The replaced implementation summed the
 * power series of erf (up to 200 terms, a division each): the GELU of a transformer spent
 * most of its time there.
 */

import { expNonPositive } from "./_fast_exp.ts";
import { ERFCX_EIGHTHS, GELU_GRAD_EIGHTHS, PHI_EIGHTHS } from "./_erf_tables.ts";

/** erf(z)/z = P(2z² − 1) for |z| < 1, lowest power first. */
const ERF_SMALL = [
  0.9654687386698673, -0.1405360890227171, 0.019852496688984218,
  -0.0022854855611440855, 0.00021751715603563488, -1.75371694412802e-05,
  1.2233827638093572e-06, -7.51156925108609e-08, 4.115751500265885e-09,
  -2.035231956483527e-10, 9.21125018742823e-12, -3.80659122412214e-13,
];

const INV_SQRT_PI = 1 / Math.sqrt(Math.PI);
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const SQRT1_2 = Math.SQRT1_2;

/** The error function erf(x) = 2/√π ∫₀ˣ e^(−t²) dt (odd; ±1 at ±∞, NaN for NaN). */
export function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 1) return x * erfSmallOverZ(x * x);
  if (ax >= 1) return (x > 0 ? 1 : -1) * (1 - expMinusSquare(ax) * erfcx(ax));
  return NaN;
}

/** The complementary error function erfc(x) = 1 − erf(x), accurate in the tails too (relative). */
export function erfc(x: number): number {
  if (x >= 1) return expMinusSquare(x) * erfcx(x);
  if (x > -1) return 1 - x * erfSmallOverZ(x * x);
  if (x <= -1) return 2 - expMinusSquare(-x) * erfcx(-x);
  return NaN;
}

/**
 * Φ(x) = P(Z ≤ x) for Z ~ N(0, 1) = erfc(−x/√2) / 2, accurate relative in the lower tail.
 * The tails take e^(−x²/2) from x·x, which is exact for a float32 x (GELU's inputs), so the
 * one exponential here adds no error of its own argument there.
 */
export function normalCdf(x: number): number {
  if (x > -6.0625 && x < 5.9375) return eighthsPolynomial(PHI_EIGHTHS, x);
  const tail = 0.5 * expNonPositive(-0.5 * x * x) * erfcx(Math.abs(x) * SQRT1_2);
  // x < 0 (or NaN): tail; x > 0: 1 − tail. +(x > 0) compiles without a branch (a ternary
  // or Math.sign here costs 6 ns an element on random signs).
  return tail + +(x > 0) * (1 - 2 * tail);
}

/**
 * GELU's derivative Φ(x) + x·φ(x), φ the standard normal density, with one exponential shared by
 * both terms (the same Φ as `normalCdf`).
 */
export function geluGrad(x: number): number {
  if (x > -6.0625 && x < 5.9375) return eighthsPolynomial(GELU_GRAD_EIGHTHS, x);
  const e = expNonPositive(-0.5 * x * x);
  const tail = 0.5 * e * erfcx(Math.abs(x) * SQRT1_2);
  return tail + +(x > 0) * (1 - 2 * tail) + x * INV_SQRT_2PI * e;
}

// The degree-10 polynomial of piece ⌊8(x + 6.0625)⌋ of `table` at x, for −6.0625 < x < 5.9375
// (Estrin).
function eighthsPolynomial(table: Float64Array, x: number): number {
  const u = x + 6.0625; // exact for a float32 x; for a double x, off by ≤ 2^−50
  const k = (8 * u) | 0;
  const s = 16 * u - 2 * k - 1;
  const o = (11 * k) | 0;
  const s2 = s * s, s4 = s2 * s2;
  return table[o] + table[o + 1] * s + (table[o + 2] + table[o + 3] * s) * s2 +
    (table[o + 4] + table[o + 5] * s + (table[o + 6] + table[o + 7] * s) * s2) * s4 +
    (table[o + 8] + table[o + 9] * s + table[o + 10] * s2) * (s4 * s4);
}

// The scaled complementary error function erfcx(z) = e^(z²)·erfc(z) for z ≥ 0 (the table
// starts at 0); ≈ 1/(z√π) for large z, 0 at +∞.
function erfcx(z: number): number {
  if (z < 6) {
    const k = (8 * z) | 0; // floor for 0 ≤ z < 6, as an int32 (a float index is slow)
    const s = 16 * z - 2 * k - 1;
    const c = ERFCX_EIGHTHS;
    const o = (10 * k) | 0;
    // Estrin's scheme: a tree of depth 4 instead of Horner's chain of 9 multiply-adds, so
    // neighbouring elements' evaluations overlap in the CPU (the chain's latency bound it).
    const s2 = s * s, s4 = s2 * s2;
    return c[o] + c[o + 1] * s + (c[o + 2] + c[o + 3] * s) * s2 +
      (c[o + 4] + c[o + 5] * s + (c[o + 6] + c[o + 7] * s) * s2) * s4 +
      (c[o + 8] + c[o + 9] * s) * (s4 * s4);
  }
  // erfc(z) = e^(−z²)/√π · 1/(z + (1/2)/(z + 1/(z + (3/2)/(z + …)))), bottom-up.
  let t = z;
  for (let k = 20; k >= 1; k--) t = z + (0.5 * k) / t;
  return INV_SQRT_PI / t;
}

/** erf(z)/z for u = z² < 1. */
function erfSmallOverZ(u: number): number {
  const s = 2 * u - 1;
  const c = ERF_SMALL;
  const s2 = s * s, s4 = s2 * s2;
  return c[0] + c[1] * s + (c[2] + c[3] * s) * s2 +
    (c[4] + c[5] * s + (c[6] + c[7] * s) * s2) * s4 +
    (c[8] + c[9] * s + (c[10] + c[11] * s) * s2) * (s4 * s4);
}

/**
 * e^(−z²) without the rounding of z² in the exponent (which costs up to z²·1e-16 relative):
 * z = h + l with h = fround(z), so h² is exact and e^(−z²) = e^(−h²)·e^(−l(2h + l)).
 */
function expMinusSquare(z: number): number {
  if (z > 28) return 0; // e^(−784) underflows; also keeps ∞ − ∞ out of l
  const h = Math.fround(z);
  const l = z - h;
  return Math.exp(-h * h) * Math.exp(-l * (h + z));
}
