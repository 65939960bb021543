/**
 * The error function family in float64 at a fixed cost: erf, erfc, erfcx and the standard
 * normal CDF Φ (GELU's), each a few dozen multiply-adds and at most one or two Math.exp, to
 * about 1e-15 relative (tests/tensor/kernels/elementwise_test.ts checks them against a
 * series/continued-fraction reference and mpmath values on dense grids).
 *
 * How: |z| < 1: erf(z) = z·P(z²), P of degree 11 in s = 2z² − 1. 1 ≤ z < 6: erfcx(z) =
 * e^(z²)·erfc(z) (entire and slowly varying) by a degree-15 polynomial on each unit interval
 * [k, k + 1], in s = 2(z − k) − 1. z ≥ 6: the continued fraction of erfc, 20 levels (it
 * converges to double precision there). The coefficients are Chebyshev interpolants computed
 * in 50-digit arithmetic and converted to powers of s (bench/_erf_coefficients.py derives and
 * checks them); each piece is within 2.3e-16 of erf(z)/z or erfcx(z) before rounding.
 * The replaced implementation summed the power series of erf (up to 200 terms, a division
 * each): the GELU of a transformer spent most of its time there.
 */

/** erf(z)/z = P(2z² − 1) for |z| < 1, lowest power first. */
const ERF_SMALL = [
  0.9654687386698673, -0.1405360890227171, 0.019852496688984218,
  -0.0022854855611440855, 0.00021751715603563488, -1.75371694412802e-05,
  1.2233827638093572e-06, -7.51156925108609e-08, 4.115751500265885e-09,
  -2.035231956483527e-10, 9.21125018742823e-12, -3.80659122412214e-13,
];

/** erfcx on [k, k + 1] for k = 1..5: 16 coefficients each, lowest power of s = 2(z − k) − 1 first. */
const ERFCX_UNIT = new Float64Array([
  0.3215854164543175, -0.08181145886628004, 0.019037759963870138, -0.0041163631624454335,
  0.0008360838095501772, -0.00016081117337237463, 2.9470857585360663e-05, -5.171328661078072e-06,
  8.723039535796884e-07, -1.4191188983511488e-07, 2.2329527918697295e-08, -3.40590129634009e-09,
  5.033420569164749e-10, -7.259519499451313e-11, 1.100964212179346e-11, -1.5053845831299624e-12,
  0.2108063640611436, -0.037173673394897334, 0.006234499271664239, -0.0010001961727627022,
  0.0001541898009810762, -2.292471678557055e-05, 3.297184756555058e-06, -4.5991378690493624e-07,
  6.23509805422363e-08, -8.231045886845501e-09, 1.0598053484404956e-09, -1.3327960574607426e-10,
  1.6370931081216197e-11, -1.9715125149527955e-12, 2.4557491161343156e-13, -2.837850552546129e-14,
  0.1552936556088943, -0.020661788916626248, 0.002665283298127644, -0.00033413430495545665,
  4.079289542992325e-05, -4.858403694593252e-06, 5.653391307093344e-07, -6.435927001017616e-08,
  7.176514796968728e-09, -7.846480175848879e-10, 8.419945217596862e-11, -8.875298339270431e-12,
  9.190688044843335e-13, -9.36928175164091e-14, 9.778066768083697e-15, -9.654286793495858e-16,
  0.12248480427384142, -0.013007964315469907, 0.0013532813586530615, -0.00013807201459872584,
  1.382915340806575e-05, -1.3609633926130502e-06, 1.3170690621527237e-07, -1.2542945478941804e-08,
  1.176274795095904e-09, -1.0869290016762256e-10, 9.901959123854636e-12, -8.897969253320492e-13,
  7.887888461491974e-14, -6.906343876251835e-15, 6.14995564098036e-16, -5.251667964406599e-17,
  0.10096221839949909, -0.008897382350511301, 0.0007727531359686925, -6.618297580928075e-05,
  5.592550258325508e-06, -4.664922967699859e-07, 3.842791615484072e-08, -3.127515647797566e-09,
  2.515777510224045e-10, -2.0008909821076812e-11, 1.5739888445795248e-12, -1.225024488762873e-13,
  9.433909030825102e-15, -7.193705824897978e-16, 5.554880494363212e-17, -4.152735051052138e-18,
]);

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
 * one Math.exp here adds no error of its own argument there.
 */
export function normalCdf(x: number): number {
  const z = x * SQRT1_2;
  const az = Math.abs(z);
  if (az < 1) return 0.5 + 0.5 * z * erfSmallOverZ(z * z);
  const tail = 0.5 * Math.exp(-0.5 * x * x) * erfcx(az);
  if (x < 0) return tail;
  if (x > 0) return 1 - tail;
  return NaN;
}

/**
 * GELU's derivative Φ(x) + x·φ(x), φ the standard normal density, with one Math.exp shared by
 * both terms (the same Φ as `normalCdf`).
 */
export function geluGrad(x: number): number {
  const z = x * SQRT1_2;
  const az = Math.abs(z);
  const e = Math.exp(-0.5 * x * x);
  let cdf;
  if (az < 1) cdf = 0.5 + 0.5 * z * erfSmallOverZ(z * z);
  else {
    const tail = 0.5 * e * erfcx(az);
    cdf = x < 0 ? tail : 1 - tail;
  }
  return cdf + x * INV_SQRT_2PI * e;
}

// The scaled complementary error function erfcx(z) = e^(z²)·erfc(z) for z ≥ 1 only (the
// table starts at 1); ≈ 1/(z√π) for large z, 0 at +∞.
function erfcx(z: number): number {
  if (z < 6) {
    const k = Math.floor(z);
    const s = 2 * (z - k) - 1;
    const c = ERFCX_UNIT;
    const o = (k - 1) << 4;
    // Horner, the 16 coefficients written out (a loop is not unrolled by every JIT).
    let r = c[o + 15];
    r = r * s + c[o + 14];
    r = r * s + c[o + 13];
    r = r * s + c[o + 12];
    r = r * s + c[o + 11];
    r = r * s + c[o + 10];
    r = r * s + c[o + 9];
    r = r * s + c[o + 8];
    r = r * s + c[o + 7];
    r = r * s + c[o + 6];
    r = r * s + c[o + 5];
    r = r * s + c[o + 4];
    r = r * s + c[o + 3];
    r = r * s + c[o + 2];
    r = r * s + c[o + 1];
    return r * s + c[o];
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
  let r = c[11];
  r = r * s + c[10];
  r = r * s + c[9];
  r = r * s + c[8];
  r = r * s + c[7];
  r = r * s + c[6];
  r = r * s + c[5];
  r = r * s + c[4];
  r = r * s + c[3];
  r = r * s + c[2];
  r = r * s + c[1];
  return r * s + c[0];
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
