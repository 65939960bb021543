/**
 * The activation rows with loops of their own (relu, gelu) against their own f and df, and
 * PyTorch's edge cases; erf, erfc and Φ against independent references.
 */

import { test } from "node:test";
import assert from "node:assert/strict";
import {
  activationBackward,
  activationForward,
  type ActivationRow,
  ACTIVATIONS,
  biasAddBackward,
  biasAddForward,
  erf,
  erfc,
  normalCdf,
  repeatRows,
  zeroFloats,
} from "../../../tensor/kernels/elementwise.ts";
import { Rng } from "../../../tensor/rng.ts";

const rng = new Rng(3);
const specials = [0, -0, 1e-45, -1e-45, 3.4e38, -3.4e38, Infinity, -Infinity];
const x = Float32Array.from([...specials, ...Array.from({ length: 1000 }, () => rng.normal() * 3)]);
const gy = Float32Array.from(x, () => rng.normal());

for (const [name, row] of Object.entries(ACTIVATIONS) as [string, ActivationRow][]) {
  if (row.forwardLoop === undefined && row.backwardLoop === undefined) continue;
  test(`${name}: its own loops give exactly f and gy·df on finite and infinite inputs, and on a sub-range`, () => {
    const y = new Float32Array(x.length), gx = new Float32Array(x.length);
    activationForward(row, x, y, 0.1, 0, 0, x.length);
    activationBackward(row, x, y, gy, gx, 0.1, 0, 0, x.length);
    for (let i = 0; i < x.length; i++) {
      assert.equal(y[i], Math.fround(row.f(x[i], 0.1, 0)), `y at x = ${x[i]}`);
      assert.equal(gx[i], Math.fround(gy[i] * row.df(x[i], y[i], 0.1, 0)) + 0, `gx at x = ${x[i]}`);
    }
    const part = new Float32Array(x.length).fill(9);
    activationForward(row, x, part, 0.1, 0, 3, 7);
    assert.deepEqual(
      [...part.subarray(0, 3), ...part.subarray(7)],
      new Array(x.length - 4).fill(9),
    );
  });
}

test("relu keeps NaN (as PyTorch) and gives dL/dx exactly 0 where x ≤ 0 even when dL/dy is NaN or ∞", () => {
  const xs = Float32Array.from([NaN, -1, 0, -0, 2]);
  const y = new Float32Array(5);
  activationForward(ACTIVATIONS.relu, xs, y, 0, 0, 0, xs.length);
  assert.ok(Number.isNaN(y[0]));
  assert.deepEqual([...y.subarray(1)], [0, 0, 0, 2]);
  // torch.relu: -inf → 0, inf → inf, ±FLT_MAX and the smallest subnormals as max(0, x).
  const edges = Float32Array.from([
    -Infinity,
    Infinity,
    -3.4028234663852886e38,
    3.4028234663852886e38,
    -1e-45,
    1e-45,
  ]);
  const yEdges = new Float32Array(edges.length).fill(7);
  activationForward(ACTIVATIONS.relu, edges, yEdges, 0, 0, 0, edges.length);
  assert.deepEqual([...yEdges], [0, Infinity, 0, 3.4028234663852886e38, 0, edges[5]]);
  assert.deepEqual(Array.from(edges, (v) => ACTIVATIONS.relu.f(v)), [...yEdges]);
  const gx = new Float32Array(5);
  activationBackward(
    ACTIVATIONS.relu,
    xs,
    y,
    Float32Array.from([1, NaN, Infinity, -Infinity, 5]),
    gx,
    0,
    0,
    0,
    xs.length,
  );
  assert.deepEqual([...gx.subarray(1)], [0, 0, 0, 5]);
  assert.ok(Object.is(gx[1], 0) && Object.is(gx[3], 0), "+0, not −0");
});

test("biasAddForward/biasAddBackward on [outer, channels] (inner 1) and [outer, channels, inner]: the naive loops' float64 sums, accumulated", () => {
  const r = new Rng(5);
  for (const [outer, channels, inner] of [[37, 19, 1], [3, 5, 7], [1, 4, 1]]) {
    const gy = Float32Array.from({ length: outer * channels * inner }, () => r.normal() * 10);
    const gb = Float32Array.from({ length: channels }, () => r.normal());
    const expected = gb.slice();
    for (let c = 0; c < channels; c++) {
      let sum = 0;
      for (let o = 0; o < outer; o++) {
        for (let j = 0; j < inner; j++) sum += gy[(o * channels + c) * inner + j];
      }
      expected[c] += sum;
    }
    biasAddBackward(gy, gb, outer, channels, inner);
    assert.deepEqual(gb, expected, `gradient, [${outer}, ${channels}, ${inner}]`);
    const y = gy.slice();
    biasAddForward(y, gb, outer, channels, inner);
    assert.deepEqual(y, gy.map((v, i) => Math.fround(v + gb[Math.floor(i / inner) % channels])));
  }
});

// ---- erf, erfc, Φ (tensor/kernels/_erf.ts) against references that share none of its code.

// The implementation _erf.ts replaced, as the oracle: the all-positive power series
// e^(−x²)·2/√π·Σ 2ⁿx^(2n+1)/(1·3·…·(2n+1)) for erf (|x| < 3, no cancellation), and the
// continued fraction of erfcx(x) = e^(x²)·erfc(x), 1000 levels (converged to double
// precision for x ≥ 0.5).
function seriesErf(x: number): number {
  const x2 = x * x;
  let term = x;
  let sum = x;
  for (let n = 1; n < 400; n++) {
    term *= (2 * x2) / (2 * n + 1);
    sum += term;
    if (Math.abs(term) < 1e-17 * Math.abs(sum)) break;
  }
  return (2 / Math.sqrt(Math.PI)) * Math.exp(-x2) * sum;
}
function fractionErfcx(x: number): number {
  let t = x;
  for (let k = 1000; k >= 1; k--) t = x + k / 2 / t;
  return 1 / (Math.sqrt(Math.PI) * t);
}
// e^(−x²) with x² split exactly (h = fround(x): h² is exact).
function expMinusSquareRef(x: number): number {
  const h = Math.fround(x);
  return Math.exp(-h * h) * Math.exp(-(x - h) * (x + h));
}
function refErfc(x: number): number {
  if (x >= 0.5) return expMinusSquareRef(x) * fractionErfcx(x);
  if (x > -0.5) return 1 - seriesErf(x);
  return 2 - expMinusSquareRef(-x) * fractionErfcx(-x);
}
// Φ for a float32 x: e^(−x²/2) has an exact argument there.
function refNormalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  if (z < 0.5) return 0.5 + 0.5 * seriesErf(x / Math.SQRT2);
  const tail = 0.5 * Math.exp(-0.5 * x * x) * fractionErfcx(z);
  return x < 0 ? tail : 1 - tail;
}

function worstRelative(f: (x: number) => number, ref: (x: number) => number, xs: number[]) {
  let worst = { error: 0, x: NaN };
  for (const x of xs) {
    const r = ref(x);
    const error = Math.abs(f(x) - r) / Math.abs(r);
    if (!(error <= worst.error)) worst = { error, x };
  }
  return worst;
}
const grid = (from: number, to: number, step: number) =>
  Array.from(
    { length: Math.round((to - from) / step) + 1 },
    (_, i) => from + i * step + 1e-7 * Math.sin(i),
  );

test("erf: within 1e-14 relative of the power series on a dense grid of [−3, 3] (every piece and boundary)", () => {
  const worst = worstRelative(erf, seriesErf, [
    ...grid(-3, 3, 1e-3),
    1,
    -1,
    1 - 2 ** -52,
    2,
    5e-324,
  ]);
  assert.ok(worst.error <= 1e-14, `erf off by ${worst.error} at x = ${worst.x}`);
});

test("erfc: within 1e-14 relative of the continued fraction / series on a dense grid of [−6, 27]", () => {
  const worst = worstRelative(erfc, refErfc, [...grid(-6, 27, 1e-3), 1, 2, 3, 4, 5, 6, -1]);
  assert.ok(worst.error <= 1e-14, `erfc off by ${worst.error} at x = ${worst.x}`);
});

test("normalCdf: within 1e-14 relative of the reference for float32 inputs in [−37, 9]", () => {
  const xs = grid(-37, 9, 1e-3).map(Math.fround);
  const worst = worstRelative(normalCdf, refNormalCdf, xs);
  assert.ok(worst.error <= 1e-14, `Φ off by ${worst.error} at x = ${worst.x}`);
});

test("erf, erfc, Φ: within 2e-15 relative of mpmath's 40-digit values", () => {
  for (const [x, e, c] of MPMATH_ERF) {
    assert.ok(Math.abs(erf(x) - e) <= 2e-15 * Math.abs(e), `erf(${x}) = ${erf(x)}, mpmath ${e}`);
    assert.ok(Math.abs(erfc(x) - c) <= 2e-15 * c, `erfc(${x}) = ${erfc(x)}, mpmath ${c}`);
  }
  for (const [x, p] of MPMATH_PHI) {
    assert.ok(Math.abs(normalCdf(x) - p) <= 2e-15 * p, `Φ(${x}) = ${normalCdf(x)}, mpmath ${p}`);
  }
});

test("erf, erfc, Φ at ±0, ±∞, NaN and past underflow", () => {
  assert.ok(Object.is(erf(0), 0) && Object.is(erf(-0), -0));
  assert.deepEqual([erf(Infinity), erf(-Infinity), erf(40), erf(-1e300)], [1, -1, 1, -1]);
  assert.deepEqual([erfc(Infinity), erfc(-Infinity), erfc(28), erfc(1e300), erfc(0)], [
    0,
    2,
    0,
    0,
    1,
  ]);
  assert.deepEqual([normalCdf(Infinity), normalCdf(-Infinity), normalCdf(0), normalCdf(-40)], [
    1,
    0,
    0.5,
    0,
  ]);
  for (const f of [erf, erfc, normalCdf]) assert.ok(Number.isNaN(f(NaN)), `${f.name}(NaN)`);
});

test("GELU on float32: x·Φ(x) and Φ(x) + x·φ(x) round to the reference's float32 on 200000 inputs", () => {
  const r = new Rng(11);
  const xs = Float32Array.from({ length: 200000 }, (_, i) => r.normal() * (i % 2 ? 1 : 6));
  const y = new Float32Array(xs.length), g = new Float32Array(xs.length);
  activationForward(ACTIVATIONS.gelu, xs, y, 0, 0, 0, xs.length);
  activationBackward(
    ACTIVATIONS.gelu,
    xs,
    y,
    new Float32Array(xs.length).fill(1),
    g,
    0,
    0,
    0,
    xs.length,
  );
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    const phi = refNormalCdf(v);
    assert.equal(y[i], Math.fround(v * phi), `gelu(${v})`);
    assert.equal(
      g[i],
      Math.fround(phi + (v * Math.exp(-0.5 * v * v)) / Math.sqrt(2 * Math.PI)),
      `gelu'(${v})`,
    );
  }
});
// [x, erf(x), erfc(x)] from mpmath at 40 digits.
const MPMATH_ERF: [number, number, number][] = [
  [-5.5, -0.9999999999999927, 1.9999999999999927],
  [-2.25, -0.9985372834133188, 1.9985372834133188],
  [-1, -0.8427007929497149, 1.8427007929497148],
  [-0.75, -0.7111556336535151, 1.7111556336535152],
  [-0.1, -0.1124629160182849, 1.1124629160182848],
  [1e-08, 1.1283791670955126e-08, 0.9999999887162083],
  [0.3, 0.3286267594591274, 0.6713732405408726],
  [0.9999, 0.8426592780487595, 0.15734072195124052],
  [1.0, 0.8427007929497149, 0.15729920705028513],
  [1.5, 0.9661051464753108, 0.033894853524689274],
  [2.5, 0.999593047982555, 0.0004069520174449589],
  [3.7, 0.9999998328489421, 1.6715105790914599e-07],
  [4.999, 0.9999999999984468, 1.5532092718641274e-12],
  [5.25, 0.9999999999998869, 1.1310313266887154e-13],
  [6, 1.0, 2.1519736712498913e-17],
  [8.5, 1.0, 2.7623240713337716e-33],
  [12, 1.0, 1.3562611692059042e-64],
  [20, 1.0, 5.395865611607901e-176],
  [26, 1.0, 5.663192408856143e-296],
];
// [x, Φ(x)] from mpmath.ncdf at 40 digits.
const MPMATH_PHI: [number, number][] = [
  [-37.5, 4.605353009581955e-308],
  [-30, 4.906713927148187e-198],
  [-20, 2.7536241186062337e-89],
  [-12.5, 3.732564298877713e-36],
  [-8, 6.220960574271784e-16],
  [-5, 2.866515718791939e-07],
  [-3, 0.0013498980316300946],
  [-1.5, 0.06680720126885807],
  [-1.25, 0.10564977366685525],
  [-0.5, 0.3085375387259869],
  [0.25, 0.5987063256829237],
  [1, 0.8413447460685429],
  [1.75, 0.9599408431361829],
  [2.5, 0.9937903346742238],
  [4, 0.9999683287581669],
  [6, 0.9999999990134123],
  [9, 1.0],
];

test("repeatRows writes rows·n floats of the row repeated and nothing past them, for any row count", () => {
  const row = Float32Array.from([1.5, -2, NaN]);
  for (const rows of [0, 1, 2, 3, 5, 8, 13]) {
    const out = new Float32Array(3 * rows + 2).fill(7);
    repeatRows(row, out, rows);
    for (let i = 0; i < 3 * rows; i++) {
      assert.ok(Object.is(out[i], row[i % 3]), `rows ${rows}, element ${i}`);
    }
    assert.deepEqual([...out.subarray(3 * rows)], [7, 7]);
  }
  const view = new Float32Array(20).fill(7).subarray(4, 14);
  repeatRows(Float32Array.from([9, 8]), view, 4);
  assert.deepEqual([...view], [9, 8, 9, 8, 9, 8, 9, 8, 7, 7]);
});

test("zeroFloats zeroes [lo, hi) of plain and SharedArrayBuffer-backed arrays, across its block size", () => {
  for (const shared of [false, true]) {
    for (const [n, lo, hi] of [[5, 0, 5], [40000, 3, 39999], [16384, 0, 16384], [20, 7, 7]]) {
      const buffer = shared ? new SharedArrayBuffer(n * 4) : new ArrayBuffer(n * 4);
      const a = new Float32Array(buffer).fill(-0.5);
      a[0] = NaN;
      zeroFloats(a, lo, hi);
      for (let i = 0; i < n; i++) {
        const expected = i >= lo && i < hi ? 0 : i === 0 ? NaN : -0.5;
        assert.ok(Object.is(a[i], expected), `shared ${shared}, n ${n}, element ${i}: ${a[i]}`);
      }
    }
  }
});
