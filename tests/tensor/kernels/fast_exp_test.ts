/** tensor/kernels/_fast_exp.ts against Math.exp, Math.expm1 and Math.tanh on dense grids, and its edge cases. */

import { test } from "node:test";
import assert from "node:assert/strict";
import { expm1NonPositive, expNonPositive, sigmoid, tanh } from "../../../tensor/kernels/_fast_exp.ts";
import { Rng } from "../../../tensor/rng.ts";

function worst(f: (x: number) => number, ref: (x: number) => number, xs: Iterable<number>) {
  let w = { error: 0, x: NaN };
  for (const x of xs) {
    const r = ref(x);
    const error = r === 0 ? Math.abs(f(x)) : Math.abs(f(x) - r) / Math.abs(r);
    if (!(error <= w.error)) w = { error, x };
  }
  return w;
}
function* grid(from: number, to: number, count: number) {
  for (let i = 0; i <= count; i++) yield from + ((to - from) * i) / count + 1e-9 * Math.sin(i);
}
// Small magnitudes down to 1e-300 (where e^x − 1 and tanh must stay relative), both signs.
function* small() {
  for (let e = -300; e <= 0; e += 0.01) yield -(10 ** e);
}

test("expNonPositive: within 5e-16 relative of Math.exp on [−708, 0] (normal results)", () => {
  const w = worst(expNonPositive, Math.exp, [...grid(-708, 0, 400000), ...small()]);
  assert.ok(w.error <= 5e-16, `off by ${w.error} at ${w.x}`);
});

test("expm1NonPositive: within 1e-15 relative of Math.expm1, tiny arguments included", () => {
  const w = worst(expm1NonPositive, Math.expm1, [...grid(-745, 0, 400000), ...small()]);
  assert.ok(w.error <= 1e-15, `off by ${w.error} at ${w.x}`);
});

// σ's table is indexed by x + 16, which rounds for a double x (not for a float32 one): up to
// 9e-16 relative more than the pieces' own error.
test("sigmoid: within 2e-15 relative of 1/(1 + e^−x) (e^x/(1 + e^x) below 0) on [−700, 700]", () => {
  const ref = (x: number) => (x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x)));
  const w = worst(sigmoid, ref, [...grid(-700, 700, 400000), ...small(), ...[...small()].map((x) => -x)]);
  assert.ok(w.error <= 2e-15, `off by ${w.error} at ${w.x}`);
});

test("tanh: within 1e-15 relative of Math.tanh on [−30, 30], tiny arguments included", () => {
  const w = worst(tanh, Math.tanh, [...grid(-30, 30, 400000), ...small(), ...[...small()].map((x) => -x)]);
  assert.ok(w.error <= 1e-15, `off by ${w.error} at ${w.x}`);
});

test("on float32 inputs, sigmoid and tanh round to Math's float32 on 200000 normal samples", () => {
  const r = new Rng(7);
  let differ = 0;
  for (let i = 0; i < 200000; i++) {
    const x = Math.fround(r.normal() * 4);
    const ref = x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
    if (Math.fround(sigmoid(x)) !== Math.fround(ref)) differ++;
    if (Math.fround(tanh(x)) !== Math.fround(Math.tanh(x))) differ++;
  }
  // A float64 error of a few 1e-16 flips a float32 rounding only at near-ties (~1e-8 odds).
  assert.ok(differ <= 2, `${differ} of 400000 float32 results differ`);
});

test("edge cases: ±∞, NaN, ±0 and underflow", () => {
  assert.deepEqual([expNonPositive(0), expNonPositive(-0), expNonPositive(-746), expNonPositive(-Infinity)], [1, 1, 0, 0]);
  assert.deepEqual([expm1NonPositive(0), expm1NonPositive(-800), expm1NonPositive(-Infinity)], [0, -1, -1]);
  assert.deepEqual([sigmoid(0), sigmoid(Infinity), sigmoid(-Infinity), sigmoid(800), sigmoid(-800)], [0.5, 1, 0, 1, 0]);
  assert.deepEqual([tanh(0), tanh(Infinity), tanh(-Infinity), tanh(40), tanh(-40)], [0, 1, -1, 1, -1]);
  for (const f of [expNonPositive, expm1NonPositive, sigmoid, tanh]) assert.ok(Number.isNaN(f(NaN)), `${f.name}(NaN)`);
});
